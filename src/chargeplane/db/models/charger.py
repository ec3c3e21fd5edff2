from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeplane.db.base import Base, Versioned


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


class Charger(Versioned, OcppStatusColumns, Base):
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

    # Management fields.
    reference: Mapped[str | None] = mapped_column(String(255))
    hardware_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("hardware_templates.id"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    reservable: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    deploy_state: Mapped[str] = mapped_column(String(16), default="Production")
    charger_type: Mapped[str] = mapped_column(String(16), default="Public")
    vehicle_type: Mapped[str] = mapped_column(String(16), default="car")
    capabilities: Mapped[list[str]] = mapped_column(default=list)
    contactless_type: Mapped[str | None] = mapped_column(String(16))
    contactless_terminal_id: Mapped[str | None] = mapped_column(String(100))
    contactless_token_sealed: Mapped[str | None] = mapped_column(Text)
    """Sensitive: encrypted at rest (chargeplane.secrets)."""
    pincode_sealed: Mapped[str | None] = mapped_column(Text)
    """Sensitive: encrypted at rest (chargeplane.secrets)."""
    max_current: Mapped[float | None] = mapped_column(Float)
    default_tariff_code: Mapped[str | None] = mapped_column(String(64))
    setup_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    setup_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    license_smart: Mapped[bool] = mapped_column(Boolean, default=False)
    license_pro: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_manageable: Mapped[bool] = mapped_column(Boolean, default=True)

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


class Evse(Versioned, OcppStatusColumns, Base):
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


class HardwareTemplate(Versioned, Base):
    """A charger model: vendor, name, AC or DC, and the EVSE/connector layout it ships with."""

    __tablename__ = "hardware_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vendor: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    is_dc: Mapped[bool] = mapped_column(Boolean)
    layout: Mapped[list[dict[str, Any]]]
    """EVSEs, each ``{number, name, max_power_kw, connectors: [{number, standard, …}]}``."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


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
