"""An OCPP 1.6J charger simulator built on the ``ocpp`` client side."""

from ._station import Station
from ._types import CallError, Sample, StationConfig

__all__ = ["CallError", "Sample", "Station", "StationConfig"]
