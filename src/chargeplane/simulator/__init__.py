"""An OCPP 1.6J charger simulator built on the ``ocpp`` client side.

``Station`` is one charger driven call by call; ``Scenario`` describes a fleet as data (TOML)
and ``Fleet`` runs it: sessions with a charging curve, faults, offline periods with queued
and replayed messages, on a scalable simulated clock.
"""

from ._clock import SimClock
from ._curve import ChargingCurve, Vehicle
from ._fleet import Fleet
from ._progress import Progress, describe, run_fleet, summary
from ._scenario import Scenario, ScenarioError, builtin_scenarios, parse_duration
from ._station import Station
from ._stats import Delivery, FleetStats
from ._types import CallError, Sample, StationConfig

__all__ = [
    "CallError",
    "ChargingCurve",
    "Delivery",
    "Fleet",
    "FleetStats",
    "Progress",
    "Sample",
    "Scenario",
    "ScenarioError",
    "SimClock",
    "Station",
    "StationConfig",
    "Vehicle",
    "builtin_scenarios",
    "describe",
    "parse_duration",
    "run_fleet",
    "summary",
]
