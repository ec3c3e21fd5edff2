from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeplane.db.base import Base


class ChargingSession(Base):
    """A transaction. Its primary key is the OCPP 1.6 transactionId handed to the charger."""

    __tablename__ = "charging_sessions"
    __table_args__ = (
        # An identical retried StartTransaction maps onto the same row.
        UniqueConstraint("charger_id", "evse_number", "started_at", "meter_start", "id_tag"),
        Index("ix_charging_sessions_active", "charger_id", "evse_number", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    evse_id: Mapped[int] = mapped_column(ForeignKey("evses.id", ondelete="CASCADE"), index=True)
    evse_number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    """``active``, ``completed`` or ``superseded`` (a new transaction began on the EVSE
    without this one being stopped)."""

    id_tag: Mapped[str] = mapped_column(String(20))
    auth_status: Mapped[str] = mapped_column(String(20))
    id_token_id: Mapped[int | None] = mapped_column(ForeignKey("id_tokens.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    reservation_id: Mapped[int | None] = mapped_column(Integer)

    started_at: Mapped[datetime]
    """The charger's timestamp of the start."""
    meter_start: Mapped[int] = mapped_column(BigInteger)
    """Energy register at start, Wh."""
    received_at: Mapped[datetime]

    stopped_at: Mapped[datetime | None]
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    stop_id_tag: Mapped[str | None] = mapped_column(String(20))
    stop_received_at: Mapped[datetime | None]

    energy_register_wh: Mapped[float | None] = mapped_column(Float)
    """The latest energy register reading (Wh), from MeterValues or the stop."""
    energy_register_at: Mapped[datetime | None]
    power_kw: Mapped[float | None] = mapped_column(Float)
    power_at: Mapped[datetime | None]
    current_a: Mapped[float | None] = mapped_column(Float)
    current_at: Mapped[datetime | None]
    voltage_v: Mapped[float | None] = mapped_column(Float)
    voltage_at: Mapped[datetime | None]
    soc_percent: Mapped[float | None] = mapped_column(Float)
    soc_at: Mapped[datetime | None]
    soc_start_percent: Mapped[float | None] = mapped_column(Float)

    flags: Mapped[list[str]] = mapped_column(default=list)
    """Suspect-data flags (e.g. ``meter_stop_below_start``); data is flagged, never rejected."""
    updated_at: Mapped[datetime]

    @property
    def energy_delivered_kwh(self) -> float:
        return energy_delivered_kwh(self)


def energy_delivered_kwh(session: Any) -> float:
    """Energy delivered so far (kWh) of a session, an object or a row of its columns."""
    end = session.meter_stop if session.meter_stop is not None else session.energy_register_wh
    if end is None:
        return 0.0
    return float(max(0.0, (end - session.meter_start) / 1000.0))


class MeterReading(Base):
    """One sampled value, as the charger sent it (MeterValues or StopTransaction data)."""

    __tablename__ = "meter_readings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    charger_id: Mapped[int] = mapped_column(
        ForeignKey("chargers.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_sessions.id", ondelete="CASCADE"), index=True
    )
    evse_number: Mapped[int] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    """The transactionId the charger reported, kept even when it matches no session."""
    timestamp: Mapped[datetime]
    measurand: Mapped[str] = mapped_column(String(50))
    value: Mapped[float | None] = mapped_column(Float)
    raw_value: Mapped[str] = mapped_column(String(2500))
    unit: Mapped[str | None] = mapped_column(String(20))
    phase: Mapped[str | None] = mapped_column(String(10))
    context: Mapped[str | None] = mapped_column(String(30))
    location: Mapped[str | None] = mapped_column(String(10))
    format: Mapped[str | None] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(16))
    """``meter_values`` or ``stop_transaction``."""
    received_at: Mapped[datetime]

    extra: Mapped[dict[str, Any] | None] = mapped_column(default=None)
