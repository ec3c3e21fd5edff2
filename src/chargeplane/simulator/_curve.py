"""The charging curve: how much power a vehicle draws at a state of charge."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._scenario import CurveSpec

__all__ = ["ChargingCurve", "Vehicle"]


@dataclass(frozen=True)
class ChargingCurve:
    """Constant power up to ``taper_start_soc``, then tapering (linearly or exponentially)
    to ``end_power_fraction`` of it at 100 % SoC."""

    taper_start_soc: float = 80.0
    end_power_fraction: float = 0.1
    shape: str = "linear"

    @classmethod
    def from_spec(cls, spec: CurveSpec) -> ChargingCurve:
        return cls(spec.taper_start_soc, spec.end_power_fraction, spec.shape)

    def fraction(self, soc: float) -> float:
        """The share of the maximum power drawn at ``soc`` percent (0 when full)."""
        if soc >= 100.0:
            return 0.0
        start = self.taper_start_soc
        if soc <= start or start >= 100.0:
            return 1.0
        progress = (soc - start) / (100.0 - start)
        if self.shape == "exponential":
            return float(self.end_power_fraction**progress)
        return 1.0 - (1.0 - self.end_power_fraction) * progress

    def power_kw(self, soc: float, max_power_kw: float) -> float:
        return max_power_kw * self.fraction(soc)


@dataclass
class Vehicle:
    """A vehicle charging: its battery, state of charge and the most power it accepts."""

    battery_kwh: float
    soc: float
    max_power_kw: float
    target_soc: float = 100.0

    @property
    def full(self) -> bool:
        return self.soc >= self.target_soc - 1e-9

    def power_kw(self, curve: ChargingCurve) -> float:
        """What it draws now (0 once at its target)."""
        return 0.0 if self.full else curve.power_kw(self.soc, self.max_power_kw)

    def charge(self, curve: ChargingCurve, seconds: float, *, step: float = 30.0) -> float:
        """Charge for ``seconds`` (simulated); returns the energy taken in kWh.

        Integrated in steps of at most ``step`` seconds, so the taper is followed closely.
        """
        energy = 0.0
        remaining = max(seconds, 0.0)
        steps = max(1, math.ceil(remaining / step))
        dt = remaining / steps
        for _ in range(steps):
            if self.full:
                break
            kwh = self.power_kw(curve) * dt / 3600.0
            room = (self.target_soc - self.soc) / 100.0 * self.battery_kwh
            kwh = min(kwh, room)
            self.soc = min(self.target_soc, self.soc + kwh / self.battery_kwh * 100.0)
            energy += kwh
        return energy
