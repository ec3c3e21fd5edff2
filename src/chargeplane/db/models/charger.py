from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeplane.db.base import Base


class OcppStatusColumns:
    """The live OCPP status of a charger (connectorId 0) or an EVSE, as last reported."""

    status: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(50))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    status_info: Mapped[str | None] = mapped_column(String(50))
    status_timestamp: Mapped[datetime | None]
    """The charger's own timestamp of the status (its clock)."""
    status_received_at: Mapped[datetime | None]
    """When chargeplane received the status (our clock)."""


class Charger(OcppStatusColumns, Base):
    __tablename__ = "chargers"
    __table_args__ = (UniqueConstraint("organization_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    ocpp_id: Mapped[str] = mapped_column(String(255), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    # Boot facts (BootNotification).
    vendor: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    serial_number: Mapped[str | None] = mapped_column(String(50))
    charge_box_serial_number: Mapped[str | None] = mapped_column(String(50))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    iccid: Mapped[str | None] = mapped_column(String(50))
    imsi: Mapped[str | None] = mapped_column(String(50))
    meter_type: Mapped[str | None] = mapped_column(String(50))
    meter_serial_number: Mapped[str | None] = mapped_column(String(50))
    last_boot_at: Mapped[datetime | None]
    heartbeat_interval: Mapped[int | None] = mapped_column(Integer)
    firmware_status: Mapped[str | None] = mapped_column(String(32))
    firmware_status_at: Mapped[datetime | None]
    diagnostics_status: Mapped[str | None] = mapped_column(String(32))
    diagnostics_status_at: Mapped[datetime | None]

    # Connection facts.
    connection_status: Mapped[str | None] = mapped_column(String(16))
    """``Connected`` / ``Disconnected``; null if the charger never connected."""
    connection_status_at: Mapped[datetime | None]
    last_connected_at: Mapped[datetime | None]
    last_disconnected_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]
    client_ip: Mapped[str | None] = mapped_column(String(64))
    node_name: Mapped[str | None] = mapped_column(String(255))
    protocol: Mapped[str | None] = mapped_column(String(16))
    connection_seq: Mapped[int] = mapped_column(Integer, default=0)
    """Incremented on every accepted connection; a disconnect only applies to its own."""

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    evses: Mapped[list[Evse]] = relationship(
        back_populates="charger", lazy="raise", order_by="Evse.number"
    )


class Evse(OcppStatusColumns, Base):
    """An independently operated outlet (Flipturn port).

    ``number`` is the OCPP 2.0.1 evseId and, for OCPP 1.6, the connectorId (> 0): in 1.6 a
    connectorId addresses exactly what 2.0.1 calls an EVSE. Connectors inside it carry the
    2.0.1 connectorId as their own ``number``.
    """

    __tablename__ = "evses"
    __table_args__ = (UniqueConstraint("charger_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(100))
    max_power_kw: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    charger: Mapped[Charger] = relationship(back_populates="evses", lazy="raise")
    connectors: Mapped[list[Connector]] = relationship(
        back_populates="evse", lazy="raise", order_by="Connector.number"
    )


class Connector(Base):
    """A physical connector of an EVSE (OCPI vocabulary)."""

    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("evse_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evse_id: Mapped[int] = mapped_column(ForeignKey("evses.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    standard: Mapped[str | None] = mapped_column(String(40))
    format: Mapped[str | None] = mapped_column(String(10))
    power_type: Mapped[str | None] = mapped_column(String(12))
    max_voltage: Mapped[int | None] = mapped_column(Integer)
    max_amperage: Mapped[int | None] = mapped_column(Integer)
    max_power_kw: Mapped[float | None] = mapped_column(Float)
    phase_rotation: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    evse: Mapped[Evse] = relationship(back_populates="connectors", lazy="raise")


class StatusEvent(Base):
    """Status history: every StatusNotification as received (current status lives on the row)."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(
        ForeignKey("chargers.id", ondelete="CASCADE"), index=True
    )
    evse_number: Mapped[int] = mapped_column(Integer)
    """0 is the charger itself."""
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str] = mapped_column(String(50))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    info: Mapped[str | None] = mapped_column(String(50))
    timestamp: Mapped[datetime | None]
    received_at: Mapped[datetime]
