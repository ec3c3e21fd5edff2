"""The charger read model: one snapshot of a charger's identity, facts and live state.

The native API serves it as is; the vendor dialects are pure functions of it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reading(_Read):
    value: float
    timestamp: datetime


class LatestReadings(_Read):
    power_kw: Reading | None
    current_a: Reading | None
    voltage_v: Reading | None
    soc_percent: Reading | None
    energy_register_wh: Reading | None


class TokenRef(_Read):
    id: int
    name: str
    value: str


class CustomerRef(_Read):
    id: int
    name: str


class VehicleRef(_Read):
    id: int
    make: str | None
    model: str | None
    name: str | None
    vin: str | None


class SessionRead(_Read):
    id: int
    transaction_id: int
    """The OCPP transactionId the charger was given."""
    state: str
    evse_number: int
    id_tag: str
    auth_status: str
    started_at: datetime
    meter_start_wh: int
    soc_start_percent: float | None
    energy_delivered_kwh: float
    latest_readings: LatestReadings
    rfid: TokenRef | None
    customer: CustomerRef | None
    vehicle: VehicleRef | None
    flags: list[str]


class OcppStatus(_Read):
    status: str | None
    error_code: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    info: str | None
    timestamp: datetime | None
    """The charger's own timestamp of the report."""
    received_at: datetime | None


class ConnectorRead(_Read):
    id: int
    number: int
    standard: str | None
    format: str | None
    power_type: str | None
    max_voltage: int | None
    max_amperage: int | None
    max_power_kw: float | None
    phase_rotation: str | None


class EvseRead(_Read):
    id: int
    number: int
    """OCPP 2.0.1 evseId; the OCPP 1.6 connectorId."""
    name: str | None
    max_power_kw: float | None
    ocpp_status: OcppStatus | None
    """None until the EVSE reports a status."""
    connectors: list[ConnectorRead]
    current_session: SessionRead | None


class SiteRef(_Read):
    id: int
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    timezone: str


class BootInfo(_Read):
    vendor: str | None
    model: str | None
    serial_number: str | None
    charge_box_serial_number: str | None
    firmware_version: str | None
    iccid: str | None
    imsi: str | None
    meter_type: str | None
    meter_serial_number: str | None
    last_boot_at: datetime | None


class ConnectionInfo(_Read):
    status: str | None
    """``Connected`` or ``Disconnected``; None if the charger never connected."""
    status_at: datetime | None
    last_connected_at: datetime | None
    last_disconnected_at: datetime | None
    last_heartbeat_at: datetime | None
    heartbeat_interval: int | None
    client_ip: str | None
    node_name: str | None
    protocol: str | None


class ChargerRead(_Read):
    id: int
    uuid: str
    ocpp_id: str
    external_id: str | None
    name: str | None
    organization_id: int
    latitude: float | None
    longitude: float | None
    site: SiteRef | None
    boot: BootInfo
    connection: ConnectionInfo
    ocpp_status: OcppStatus | None
    """The charger's own status (OCPP 1.6 connectorId 0); None until reported."""
    evses: list[EvseRead]
    created_at: datetime
    updated_at: datetime


class ChargerPage(_Read):
    data: list[ChargerRead]
    next_cursor: str | None
