"""Unit tests for the rules that turn sampled values into a session's latest readings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from chargeplane.facts import MeterSample, SampledValue
from chargeplane.sessions.readings import (
    CURRENT,
    ENERGY,
    POWER,
    SOC,
    VOLTAGE,
    Quantities,
    numeric,
    quantities,
)

T0 = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)


def value(raw: str, measurand: str = ENERGY, **kw: Any) -> SampledValue:
    return SampledValue(raw_value=raw, measurand=measurand, **kw)


def sample(*values: SampledValue) -> MeterSample:
    return MeterSample(timestamp=T0, values=values)


# --- numeric -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1234", 1234.0), ("12.5", 12.5), ("-3", -3.0), ("0", 0.0), ("1e3", 1000.0)],
)
def test_numeric_parses_decimal_strings(raw: str, expected: float) -> None:
    assert numeric(SampledValue(raw_value=raw)) == expected


@pytest.mark.parametrize("raw", ["", "abc", "12 kWh", "1,5", "NaN", "nan", "inf", "-Infinity"])
def test_numeric_is_none_for_garbage_nan_and_infinity(raw: str) -> None:
    assert numeric(SampledValue(raw_value=raw)) is None


def test_numeric_ignores_signed_data_even_when_it_looks_numeric() -> None:
    assert numeric(SampledValue(raw_value="1234", format="SignedData")) is None


def test_numeric_reads_raw_format() -> None:
    assert numeric(SampledValue(raw_value="1234", format="Raw")) == 1234.0


# --- energy --------------------------------------------------------------------------------


def test_default_measurand_is_the_energy_register_in_wh() -> None:
    q = quantities(sample(SampledValue(raw_value="1500")))
    assert q == Quantities(energy_register_wh=1500.0)


def test_energy_in_kwh_is_converted_to_wh() -> None:
    assert quantities(sample(value("12.345", unit="kWh"))).energy_register_wh == pytest.approx(
        12345.0
    )


def test_energy_in_wh_is_kept() -> None:
    assert quantities(sample(value("800", unit="Wh"))).energy_register_wh == 800.0


def test_energy_with_an_unknown_unit_is_ignored() -> None:
    assert quantities(sample(value("800", unit="kvarh"))).energy_register_wh is None


def test_other_energy_measurands_are_not_the_import_register() -> None:
    q = quantities(sample(value("800", measurand="Energy.Active.Export.Register")))
    assert q.energy_register_wh is None


def test_energy_is_summed_over_phases_without_a_whole_value() -> None:
    q = quantities(
        sample(value("100", phase="L1"), value("200", phase="L2"), value("300", phase="L3"))
    )
    assert q.energy_register_wh == 600.0


def test_energy_is_summed_over_line_to_neutral_phases() -> None:
    q = quantities(
        sample(value("1", unit="kWh", phase="L1-N"), value("2", unit="kWh", phase="L2-N"))
    )
    assert q.energy_register_wh == 3000.0


def test_whole_energy_is_preferred_to_the_phases() -> None:
    q = quantities(
        sample(value("100", phase="L1"), value("5000"), value("200", phase="L2")),
    )
    assert q.energy_register_wh == 5000.0


def test_line_to_line_energy_phases_are_not_summed() -> None:
    assert quantities(sample(value("100", phase="L1-L2"))).energy_register_wh is None


# --- power ---------------------------------------------------------------------------------


def test_power_in_w_is_converted_to_kw() -> None:
    q = quantities(sample(value("7400", POWER, unit="W")))
    assert q.power_kw == pytest.approx(7.4)


def test_power_without_unit_is_taken_as_w() -> None:
    assert quantities(sample(value("11000", POWER))).power_kw == pytest.approx(11.0)


def test_power_in_kw_is_kept() -> None:
    assert quantities(sample(value("22", POWER, unit="kW"))).power_kw == 22.0


def test_power_with_an_unknown_unit_is_ignored() -> None:
    assert quantities(sample(value("22", POWER, unit="kVA"))).power_kw is None


def test_power_is_summed_over_phases() -> None:
    q = quantities(
        sample(
            value("2000", POWER, unit="W", phase="L1"),
            value("2500", POWER, unit="W", phase="L2"),
            value("3000", POWER, unit="W", phase="L3"),
        )
    )
    assert q.power_kw == pytest.approx(7.5)


def test_whole_power_is_preferred_to_the_phases() -> None:
    q = quantities(sample(value("1", POWER, unit="kW", phase="L1"), value("11", POWER, unit="kW")))
    assert q.power_kw == 11.0


# --- current -------------------------------------------------------------------------------


def test_current_is_the_highest_phase() -> None:
    q = quantities(
        sample(
            value("15.5", CURRENT, unit="A", phase="L1"),
            value("16.2", CURRENT, unit="A", phase="L2"),
            value("14.9", CURRENT, unit="A", phase="L3"),
        )
    )
    assert q.current_a == 16.2


def test_whole_current_is_preferred_to_the_phases() -> None:
    q = quantities(
        sample(value("32", CURRENT, unit="A", phase="L1"), value("10", CURRENT, unit="A"))
    )
    assert q.current_a == 10.0


def test_neutral_current_is_not_a_phase_current() -> None:
    q = quantities(
        sample(value("40", CURRENT, unit="A", phase="N"), value("16", CURRENT, phase="L1"))
    )
    assert q.current_a == 16.0


def test_current_in_an_unknown_unit_is_ignored() -> None:
    assert quantities(sample(value("16000", CURRENT, unit="mA"))).current_a is None


# --- voltage -------------------------------------------------------------------------------


def test_voltage_is_the_mean_of_line_to_neutral_phases() -> None:
    q = quantities(
        sample(
            value("230", VOLTAGE, unit="V", phase="L1-N"),
            value("232", VOLTAGE, unit="V", phase="L2-N"),
            value("234", VOLTAGE, unit="V", phase="L3-N"),
            value("400", VOLTAGE, unit="V", phase="L1-L2"),
        )
    )
    assert q.voltage_v == pytest.approx(232.0)


def test_line_to_line_voltage_alone_gives_no_voltage() -> None:
    q = quantities(
        sample(
            value("400", VOLTAGE, unit="V", phase="L1-L2"),
            value("400", VOLTAGE, unit="V", phase="L2-L3"),
        )
    )
    assert q.voltage_v is None


def test_whole_voltage_is_preferred_to_the_phases() -> None:
    q = quantities(sample(value("220", VOLTAGE, phase="L1-N"), value("229", VOLTAGE, unit="V")))
    assert q.voltage_v == 229.0


# --- location ------------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["Inlet", "EV"])
def test_outlet_is_preferred_to_other_locations(other: str) -> None:
    q = quantities(
        sample(value("700", location="Outlet"), value("900", location=other)),
    )
    assert q.energy_register_wh == 700.0


def test_a_value_without_location_counts_as_outlet() -> None:
    q = quantities(sample(value("700"), value("900", location="Inlet")))
    assert q.energy_register_wh == 700.0


def test_outlet_phases_are_summed_without_the_inlet_ones() -> None:
    q = quantities(
        sample(
            value("1", POWER, unit="kW", phase="L1", location="Outlet"),
            value("2", POWER, unit="kW", phase="L2", location="Outlet"),
            value("10", POWER, unit="kW", phase="L1", location="Inlet"),
        )
    )
    assert q.power_kw == 3.0


def test_inlet_is_used_when_it_is_the_only_location() -> None:
    q = quantities(sample(value("32", CURRENT, unit="A", location="Inlet")))
    assert q.current_a == 32.0


def test_ev_location_is_used_when_it_is_the_only_location() -> None:
    q = quantities(sample(value("7", POWER, unit="kW", location="EV")))
    assert q.power_kw == 7.0


def test_location_is_chosen_per_measurand() -> None:
    q = quantities(
        sample(
            value("700", location="Outlet"),
            value("230", VOLTAGE, unit="V", location="Inlet"),
        )
    )
    assert (q.energy_register_wh, q.voltage_v) == (700.0, 230.0)


# --- state of charge -----------------------------------------------------------------------


def test_soc_in_percent_is_read() -> None:
    assert quantities(sample(value("57", SOC, unit="Percent", location="EV"))).soc_percent == 57.0


def test_soc_without_unit_is_taken_as_percent() -> None:
    assert quantities(sample(value("80.5", SOC))).soc_percent == 80.5


def test_soc_with_another_unit_is_ignored() -> None:
    assert quantities(sample(value("40000", SOC, unit="Wh"))).soc_percent is None


def test_soc_does_not_count_as_energy() -> None:
    assert quantities(sample(value("57", SOC, unit="Percent"))).energy_register_wh is None


# --- ignored values ------------------------------------------------------------------------


def test_non_numeric_values_are_skipped_in_favour_of_numeric_ones() -> None:
    q = quantities(sample(value("n/a"), value("1200")))
    assert q.energy_register_wh == 1200.0


@pytest.mark.parametrize("raw", ["n/a", "NaN", "inf", "-inf"])
def test_unusable_values_give_no_reading(raw: str) -> None:
    q = quantities(
        sample(
            value(raw),
            value(raw, POWER),
            value(raw, CURRENT),
            value(raw, VOLTAGE),
            value(raw, SOC),
        )
    )
    assert q == Quantities()


def test_signed_data_gives_no_reading() -> None:
    q = quantities(sample(value("1234", format="SignedData")))
    assert q.energy_register_wh is None


def test_signed_data_is_skipped_next_to_a_raw_value() -> None:
    q = quantities(sample(value("99999", format="SignedData"), value("1234", format="Raw")))
    assert q.energy_register_wh == 1234.0


def test_a_sample_with_nothing_relevant_gives_all_none() -> None:
    q = quantities(
        sample(
            value("21.5", "Temperature", unit="Celsius", location="Body"),
            value("50", "Frequency"),
            value("5", "Energy.Reactive.Import.Register", unit="kvarh"),
        )
    )
    assert q == Quantities(None, None, None, None, None)


def test_an_empty_sample_gives_all_none() -> None:
    assert quantities(sample()) == Quantities()


def test_one_sample_gives_every_quantity() -> None:
    q = quantities(
        sample(
            value("12.5", unit="kWh"),
            value("7400", POWER, unit="W"),
            value("32", CURRENT, unit="A"),
            value("231", VOLTAGE, unit="V"),
            value("64", SOC, unit="Percent"),
        )
    )
    assert q.power_kw == pytest.approx(7.4)
    assert replace(q, power_kw=None) == Quantities(
        energy_register_wh=12500.0,
        power_kw=None,
        current_a=32.0,
        voltage_v=231.0,
        soc_percent=64.0,
    )


# Edge cases found in review: fixed in readings.py.


def test_an_unusable_outlet_value_does_not_hide_a_usable_inlet_value() -> None:
    q = quantities(
        MeterSample(
            T0,
            (
                SampledValue("abc", unit="Wh", location="Outlet", format="SignedData"),
                SampledValue("1200", unit="Wh", location="Inlet"),
            ),
        )
    )
    assert q.energy_register_wh == 1200.0


def test_l1_and_l1_n_are_one_measurement_point_not_two() -> None:
    q = quantities(
        MeterSample(
            T0,
            (
                SampledValue("7000", POWER, "W", phase="L1"),
                SampledValue("7000", POWER, "W", phase="L1-N"),
            ),
        )
    )
    assert q.power_kw == 7.0


def test_a_neutral_reading_is_not_taken_for_the_whole() -> None:
    q = quantities(
        MeterSample(
            T0,
            (
                SampledValue("3", CURRENT, "A", phase="N"),
                SampledValue("16", CURRENT, "A", phase="L1"),
            ),
        )
    )
    assert q.current_a == 16.0


def test_underscored_numbers_are_not_numbers() -> None:
    assert numeric(SampledValue("1_000")) is None
