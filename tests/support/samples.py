"""Meter samples as chargers send them, for the tests of a session's latest readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chargeplane.facts import MeterSample, SampledValue
from chargeplane.sessions.readings import CURRENT, POWER, SOC, VOLTAGE

T0 = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sample(minutes: float, *values: SampledValue) -> MeterSample:
    return MeterSample(timestamp=at(minutes), values=values)


def energy(wh: str) -> SampledValue:
    """The energy register: OCPP's default measurand."""
    return SampledValue(raw_value=wh, unit="Wh")


def power(kw: str) -> SampledValue:
    return SampledValue(raw_value=kw, measurand=POWER, unit="kW")


def current(a: str) -> SampledValue:
    return SampledValue(raw_value=a, measurand=CURRENT, unit="A")


def voltage(v: str) -> SampledValue:
    return SampledValue(raw_value=v, measurand=VOLTAGE, unit="V")


def soc(percent: str) -> SampledValue:
    return SampledValue(raw_value=percent, measurand=SOC, unit="Percent")
