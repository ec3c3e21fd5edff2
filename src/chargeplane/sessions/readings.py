"""Pure rules that turn sampled values into a session's latest readings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from chargeplane.facts import MeterSample, SampledValue

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
VOLTAGE = "Voltage"
SOC = "SoC"

# Multipliers to the unit we keep: Wh, kW, A, V, %.
_TO_WH = {None: 1.0, "Wh": 1.0, "kWh": 1000.0}
_TO_KW = {None: 0.001, "W": 0.001, "kW": 1.0}
_TO_A = {None: 1.0, "A": 1.0}
_TO_V = {None: 1.0, "V": 1.0}
_TO_PERCENT = {None: 1.0, "Percent": 1.0}

# Line-to-neutral phases, normalised: "L1" and "L1-N" are the same measurement point.
_PHASE = {"L1": "L1", "L2": "L2", "L3": "L3", "L1-N": "L1", "L2-N": "L2", "L3-N": "L3"}


@dataclass(frozen=True, slots=True)
class Quantities:
    """What one meter sample says about a session; None where it says nothing."""

    energy_register_wh: float | None = None
    power_kw: float | None = None
    current_a: float | None = None
    voltage_v: float | None = None
    soc_percent: float | None = None


def numeric(value: SampledValue) -> float | None:
    """The numeric value of a sample, or None (signed data, garbage)."""
    if value.format == "SignedData" or "_" in value.raw_value:
        return None
    try:
        number = float(value.raw_value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class _Measured:
    whole: float | None
    """The value without phase, if the charger sent one."""
    phases: dict[str, float]
    """Line-to-neutral values by phase (L1, L2, L3); neutral and line-to-line are left out."""


def _measured(
    values: list[SampledValue], measurand: str, factors: dict[str | None, float]
) -> _Measured:
    """The usable values of one measurand in our unit, measured at the outlet when the charger
    gives both the outlet and another location."""
    usable = [
        (v, n * factors[v.unit])
        for v in values
        if v.measurand == measurand and v.unit in factors and (n := numeric(v)) is not None
    ]
    outlet = [(v, n) for v, n in usable if v.location in (None, "Outlet")]
    chosen = outlet or usable
    whole = [n for v, n in chosen if v.phase is None]
    phases = {_PHASE[v.phase]: n for v, n in chosen if v.phase in _PHASE}
    return _Measured(whole[-1] if whole else None, phases)


def _total(m: _Measured) -> float | None:
    """Energy, power: the whole value, else the sum of the phases."""
    if m.whole is not None:
        return m.whole
    return sum(m.phases.values()) if m.phases else None


def _highest(m: _Measured) -> float | None:
    """Current: the whole value, else the highest phase."""
    if m.whole is not None:
        return m.whole
    return max(m.phases.values()) if m.phases else None


def _average(m: _Measured) -> float | None:
    """Voltage: the whole value, else the mean line-to-neutral voltage."""
    if m.whole is not None:
        return m.whole
    return sum(m.phases.values()) / len(m.phases) if m.phases else None


def quantities(sample: MeterSample) -> Quantities:
    values = list(sample.values)
    soc = [
        n
        for v in values
        if v.measurand == SOC and v.unit in _TO_PERCENT and (n := numeric(v)) is not None
    ]
    return Quantities(
        energy_register_wh=_total(_measured(values, ENERGY, _TO_WH)),
        power_kw=_total(_measured(values, POWER, _TO_KW)),
        current_a=_highest(_measured(values, CURRENT, _TO_A)),
        voltage_v=_average(_measured(values, VOLTAGE, _TO_V)),
        soc_percent=soc[-1] if soc else None,
    )


# A session's latest-reading columns, each with the column of the sample time it came from.
LATEST_COLUMNS = (
    ("energy_register_wh", "energy_register_at"),
    ("power_kw", "power_at"),
    ("current_a", "current_at"),
    ("voltage_v", "voltage_at"),
    ("soc_percent", "soc_at"),
)


@dataclass(frozen=True, slots=True)
class Newest:
    """What a batch of samples can bring to a session's latest readings: per column of
    ``LATEST_COLUMNS``, the value and time of the newest sample that carries it (of samples
    with the same time, the last sent), and the state of charge of the earliest sample that
    carries one. Whether it replaces what the session holds depends on the session's row: a
    reading replaces one no newer than itself."""

    readings: dict[str, tuple[float, datetime]]
    first_soc: float | None


def newest(samples: tuple[MeterSample, ...]) -> Newest:
    readings: dict[str, tuple[float, datetime]] = {}
    first_soc = None
    for sample in sorted(samples, key=lambda s: s.timestamp):
        q = quantities(sample)
        for column, _ in LATEST_COLUMNS:
            value = getattr(q, column)
            if value is not None:
                readings[column] = (value, sample.timestamp)
        if first_soc is None:
            first_soc = q.soc_percent
    return Newest(readings, first_soc)
