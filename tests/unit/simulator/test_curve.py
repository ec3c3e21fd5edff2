"""The charging curve: constant power, then tapering to a fraction of it at 100 %."""

from __future__ import annotations

import pytest

from chargeplane.simulator import ChargingCurve, Vehicle


def test_constant_power_below_the_taper() -> None:
    curve = ChargingCurve()
    assert curve.power_kw(10, 150) == 150
    assert curve.power_kw(80, 150) == 150


def test_linear_taper_to_ten_percent() -> None:
    curve = ChargingCurve(taper_start_soc=80, end_power_fraction=0.1, shape="linear")
    assert curve.fraction(90) == pytest.approx(0.55)
    assert curve.fraction(99.999) == pytest.approx(0.1, abs=1e-3)
    assert curve.fraction(100) == 0.0
    powers = [curve.power_kw(soc, 100) for soc in range(80, 100)]
    assert powers == sorted(powers, reverse=True)


def test_exponential_taper() -> None:
    curve = ChargingCurve(taper_start_soc=80, end_power_fraction=0.1, shape="exponential")
    assert curve.fraction(90) == pytest.approx(0.1**0.5)
    assert curve.fraction(99.999) == pytest.approx(0.1, abs=1e-3)
    assert curve.fraction(90) < ChargingCurve(shape="linear").fraction(90)


def test_vehicle_energy_matches_its_state_of_charge() -> None:
    vehicle = Vehicle(battery_kwh=60, soc=20, max_power_kw=60)
    energy = vehicle.charge(ChargingCurve(), 1800)  # 30 min at 60 kW below the taper
    assert energy == pytest.approx(30)
    assert vehicle.soc == pytest.approx(70)


def test_vehicle_slows_down_and_stops_at_its_target() -> None:
    curve = ChargingCurve()
    vehicle = Vehicle(battery_kwh=50, soc=75, max_power_kw=100, target_soc=95)
    first = vehicle.charge(curve, 300)
    second = vehicle.charge(curve, 300)
    assert second < first  # tapering
    vehicle.charge(curve, 10 * 3600)
    assert vehicle.soc == pytest.approx(95)
    assert vehicle.full
    assert vehicle.power_kw(curve) == 0
    assert vehicle.charge(curve, 600) == 0


def test_reaching_full_takes_long_in_the_taper() -> None:
    curve = ChargingCurve()
    vehicle = Vehicle(battery_kwh=100, soc=0, max_power_kw=100)
    minutes = 0
    while vehicle.soc < 80 - 1e-9:
        vehicle.charge(curve, 60)
        minutes += 1
    assert minutes == 48  # 80 kWh at 100 kW
    while vehicle.soc < 99:
        vehicle.charge(curve, 60)
        minutes += 1
    assert minutes > 48 + 19 * 60 / 100 * 1.5  # far slower than at full power
