"""Version-neutral facts: what a charger told us, as the OCPP gateway hands it to the domain.

The gateway maps each OCPP payload (1.6 now, 2.0.1 later) to one of these; the domain
services know these and nothing of OCPP versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Connection:
    """A charger whose WebSocket was admitted."""

    charger_id: int
    organization_id: int
    ocpp_id: str
    connection_seq: int


@dataclass(frozen=True, slots=True)
class BootFacts:
    vendor: str
    model: str
    serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


@dataclass(frozen=True, slots=True)
class StatusFact:
    """A status report of the charger itself (``evse_number`` 0) or of one EVSE."""

    evse_number: int
    status: str
    error_code: str
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class SampledValue:
    raw_value: str
    measurand: str = "Energy.Active.Import.Register"
    unit: str | None = None
    phase: str | None = None
    context: str | None = None
    location: str | None = None
    format: str | None = None


@dataclass(frozen=True, slots=True)
class MeterSample:
    timestamp: datetime
    values: tuple[SampledValue, ...]


@dataclass(frozen=True, slots=True)
class SessionStart:
    evse_number: int
    id_tag: str
    meter_start: int
    timestamp: datetime
    reservation_id: int | None = None


@dataclass(frozen=True, slots=True)
class SessionStop:
    transaction_id: int
    meter_stop: int
    timestamp: datetime
    id_tag: str | None = None
    reason: str | None = None
    samples: tuple[MeterSample, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class MeterValuesFact:
    evse_number: int
    samples: tuple[MeterSample, ...]
    transaction_id: int | None = None


@dataclass(frozen=True, slots=True)
class Authorization:
    """The verdict on an id tag."""

    status: str
    """Accepted, Blocked, Expired or Invalid."""
    expires_at: datetime | None = None
    parent_id_tag: str | None = None
    id_token_id: int | None = None
    customer_id: int | None = None
