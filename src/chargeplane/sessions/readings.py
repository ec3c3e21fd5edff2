"""Pure rules that turn sampled values into a session's latest readings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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

_LINE_TO_NEUTRAL = {"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"}


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
    if value.format == "SignedData":
        return None
    try:
        number = float(value.raw_value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _scaled(
    values: Iterable[SampledValue], factors: dict[str | None, float]
) -> list[tuple[str | None, float]]:
    out = []
    for v in values:
        number = numeric(v)
        if number is None or v.unit not in factors:
            continue
        out.append((v.phase, number * factors[v.unit]))
    return out


def _electrical(values: list[SampledValue], measurand: str) -> list[SampledValue]:
    """Values of one measurand, measured at the outlet when the charger says where."""
    chosen = [v for v in values if v.measurand == measurand]
    outlet = [v for v in chosen if v.location in (None, "Outlet")]
    return outlet or chosen


def _total(pairs: list[tuple[str | None, float]]) -> float | None:
    """A whole-charger value if given, else the sum of the phases (energy, power)."""
    whole = [n for phase, n in pairs if phase is None or phase == "N"]
    if whole:
        return whole[-1]
    phased = {phase: n for phase, n in pairs if phase in _LINE_TO_NEUTRAL}
    return sum(phased.values()) if phased else None


def _highest(pairs: list[tuple[str | None, float]]) -> float | None:
    """A whole-charger value if given, else the highest phase (current)."""
    whole = [n for phase, n in pairs if phase is None]
    if whole:
        return whole[-1]
    phased = [n for phase, n in pairs if phase in _LINE_TO_NEUTRAL]
    return max(phased) if phased else None


def _average(pairs: list[tuple[str | None, float]]) -> float | None:
    """A whole-charger value if given, else the mean line-to-neutral voltage."""
    whole = [n for phase, n in pairs if phase is None]
    if whole:
        return whole[-1]
    phased = [n for phase, n in pairs if phase in _LINE_TO_NEUTRAL]
    return sum(phased) / len(phased) if phased else None


def quantities(sample: MeterSample) -> Quantities:
    values = list(sample.values)
    soc = _scaled((v for v in values if v.measurand == SOC), _TO_PERCENT)
    return Quantities(
        energy_register_wh=_total(_scaled(_electrical(values, ENERGY), _TO_WH)),
        power_kw=_total(_scaled(_electrical(values, POWER), _TO_KW)),
        current_a=_highest(_scaled(_electrical(values, CURRENT), _TO_A)),
        voltage_v=_average(_scaled(_electrical(values, VOLTAGE), _TO_V)),
        soc_percent=soc[-1][1] if soc else None,
    )
