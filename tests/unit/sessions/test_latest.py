"""Unit tests for ``_latest``: which column updates a batch of meter samples brings."""

from __future__ import annotations

from typing import Any

from chargeplane.db.models import ChargingSession
from chargeplane.facts import SampledValue
from chargeplane.sessions.readings import CURRENT, POWER, VOLTAGE
from chargeplane.sessions.service import _latest
from tests.support.samples import T0, at, energy, sample, soc


def session(**latest: Any) -> Any:
    """A session with the given latest readings (an ORM object stands in for the row that
    the repository reads: ``_latest`` only reads attributes)."""
    return ChargingSession(
        id=1,
        meter_start=1000,
        started_at=T0,
        flags=[],
        **latest,
    )


def test_no_samples_change_nothing() -> None:
    assert _latest(session(energy_register_wh=1500.0, energy_register_at=at(1)), ()) == {}


def test_a_sample_without_readings_changes_nothing() -> None:
    temperature = SampledValue(raw_value="30", measurand="Temperature", unit="Celsius")
    assert _latest(session(), (sample(5, temperature),)) == {}


def test_first_reading_fills_empty_columns() -> None:
    changes = _latest(session(), (sample(5, energy("2000")),))
    assert changes == {"energy_register_wh": 2000.0, "energy_register_at": at(5)}


def test_newer_sample_updates_values_and_timestamps() -> None:
    s = session(
        energy_register_wh=1500.0,
        energy_register_at=at(1),
        power_kw=3.0,
        power_at=at(1),
    )
    changes = _latest(
        s, (sample(5, energy("2500"), SampledValue(raw_value="7", measurand=POWER, unit="kW")),)
    )
    assert changes == {
        "energy_register_wh": 2500.0,
        "energy_register_at": at(5),
        "power_kw": 7.0,
        "power_at": at(5),
    }


def test_older_sample_does_not_overwrite_a_newer_reading() -> None:
    s = session(energy_register_wh=2500.0, energy_register_at=at(10))
    assert _latest(s, (sample(5, energy("2000")),)) == {}


def test_older_sample_still_fills_a_column_that_has_no_reading() -> None:
    s = session(energy_register_wh=2500.0, energy_register_at=at(10))
    changes = _latest(
        s, (sample(5, energy("2000"), SampledValue(raw_value="230", measurand=VOLTAGE)),)
    )
    assert changes == {"voltage_v": 230.0, "voltage_at": at(5)}


def test_older_sample_only_updates_columns_whose_reading_is_older() -> None:
    s = session(
        energy_register_wh=2500.0,
        energy_register_at=at(10),
        current_a=10.0,
        current_at=at(1),
    )
    changes = _latest(
        s, (sample(5, energy("2000"), SampledValue(raw_value="16", measurand=CURRENT, unit="A")),)
    )
    assert changes == {"current_a": 16.0, "current_at": at(5)}


def test_sample_with_the_same_timestamp_replaces_the_reading() -> None:
    s = session(energy_register_wh=2500.0, energy_register_at=at(10))
    changes = _latest(s, (sample(10, energy("2600")),))
    assert changes == {"energy_register_wh": 2600.0, "energy_register_at": at(10)}


def test_samples_are_applied_in_time_order_whatever_the_batch_order() -> None:
    samples = (sample(20, energy("3000")), sample(5, energy("2000")), sample(10, energy("2500")))
    changes = _latest(session(), samples)
    assert changes == {"energy_register_wh": 3000.0, "energy_register_at": at(20)}


def test_each_column_keeps_its_own_latest_sample() -> None:
    samples = (
        sample(10, energy("2500")),
        sample(5, energy("2000"), SampledValue(raw_value="11", measurand=POWER, unit="kW")),
    )
    changes = _latest(session(), samples)
    assert changes == {
        "energy_register_wh": 2500.0,
        "energy_register_at": at(10),
        "power_kw": 11.0,
        "power_at": at(5),
    }


def test_soc_start_is_set_from_the_first_soc_seen() -> None:
    changes = _latest(session(), (sample(5, soc("42")),))
    assert changes == {"soc_percent": 42.0, "soc_at": at(5), "soc_start_percent": 42.0}


def test_soc_start_is_the_earliest_soc_of_the_batch() -> None:
    changes = _latest(session(), (sample(10, soc("50")), sample(5, soc("42"))))
    assert (changes["soc_start_percent"], changes["soc_percent"]) == (42.0, 50.0)


def test_soc_start_is_never_overwritten() -> None:
    s = session(soc_percent=50.0, soc_at=at(10), soc_start_percent=40.0)
    changes = _latest(s, (sample(20, soc("60")),))
    assert changes == {"soc_percent": 60.0, "soc_at": at(20)}


def test_soc_start_is_not_overwritten_by_an_older_soc() -> None:
    s = session(soc_percent=50.0, soc_at=at(10), soc_start_percent=40.0)
    assert _latest(s, (sample(1, soc("30")),)) == {}


def test_latest_does_not_modify_the_session() -> None:
    s = session(energy_register_wh=1500.0, energy_register_at=at(1))
    _latest(s, (sample(5, energy("2500")),))
    assert (s.energy_register_wh, s.energy_register_at) == (1500.0, at(1))
