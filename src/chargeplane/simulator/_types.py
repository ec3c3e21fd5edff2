"""Public value types of the charger simulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CallError", "Sample", "StationConfig"]


@dataclass(frozen=True)
class Sample:
    """One sampled value of a MeterValues / transactionData entry."""

    value: float | str
    measurand: str = "Energy.Active.Import.Register"
    unit: str | None = None
    phase: str | None = None
    context: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class StationConfig:
    """Identity of a simulated charge point, as announced in BootNotification."""

    ocpp_id: str
    vendor: str = "chargeplane"
    model: str = "SimCharger"
    serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None
    connectors: int = 1


class CallError(Exception):
    """The CSMS answered a CALL with a CALLERROR (values exactly as on the wire)."""

    code: str
    description: str
    details: dict[str, Any]
    action: str | None

    def __init__(
        self,
        code: str,
        description: str = "",
        details: dict[str, Any] | None = None,
        *,
        action: str | None = None,
    ) -> None:
        self.code = code
        self.description = description
        self.details = {} if details is None else details
        self.action = action
        prefix = f"{action}: " if action else ""
        super().__init__(f"{prefix}{code}: {description}")

    @classmethod
    def from_frame(cls, frame: list[Any], *, action: str | None = None) -> CallError:
        """Build from a decoded ``[4, uniqueId, code, description, details]`` frame."""
        code = frame[2] if len(frame) > 2 else ""
        description = frame[3] if len(frame) > 3 else ""
        details = frame[4] if len(frame) > 4 else None
        return cls(
            str(code),
            str(description),
            details if isinstance(details, dict) else None,
            action=action,
        )
