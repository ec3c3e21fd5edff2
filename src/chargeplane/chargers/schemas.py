"""The charger read model: one snapshot of a charger's identity, facts and live state.

The native API serves it as is; the vendor dialects are pure functions of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chargeplane.api.input import StrictInput
from chargeplane.api.params import DbId
from chargeplane.layout import EvseSpec, check_unique_evses
from chargeplane.vocab import (
    Capability,
    ChargerType,
    Connectivity,
    ContactlessType,
    DeployState,
    VehicleType,
)


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
    created_at: datetime
    updated_at: datetime


class TemplateRef(_Read):
    id: int
    vendor: str
    name: str
    is_dc: bool


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


class Licenses(BaseModel):
    smart: bool = False
    pro: bool = False


class Contactless(_Read):
    type: ContactlessType | None
    terminal_id: str | None


class Sensitive(_Read):
    """Shown only to keys with the ``sensitive`` scope (null otherwise); sealed at rest."""

    pincode: str | None
    contactless_token: str | None


class ChargerRead(_Read):
    id: int
    uuid: str
    ocpp_id: str
    external_id: str | None
    name: str | None
    reference: str | None
    organization_id: int
    site_id: int | None
    hardware_template_id: int | None
    latitude: float | None
    longitude: float | None
    active: bool
    public: bool
    reservable: bool
    blocked: bool
    deploy_state: DeployState
    charger_type: ChargerType
    vehicle_type: VehicleType
    capabilities: list[Capability]
    contactless: Contactless
    max_current: float | None
    default_tariff_code: str | None
    setup_pending: bool
    setup_completed: bool
    licenses: Licenses
    remote_manageable: bool
    sensitive: Sensitive | None
    connectivity: Connectivity
    """``Online`` while a connection is open, else ``Offline``."""
    timezone: str | None
    """IANA time zone at the charger's coordinates, else its site's; None if neither is known."""
    hardware_template: TemplateRef | None
    site: SiteRef | None
    boot: BootInfo
    connection: ConnectionInfo
    ocpp_status: OcppStatus | None
    """The charger's own status (OCPP 1.6 connectorId 0); None until reported."""
    firmware_status: str | None
    diagnostics_status: str | None
    evses: list[EvseRead]
    created_at: datetime
    updated_at: datetime
    etag: str


class ChargerPage(_Read):
    data: list[ChargerRead]
    next_cursor: str | None


def _unique_evses(evses: list[EvseSpec] | None) -> list[EvseSpec] | None:
    return None if evses is None else check_unique_evses(evses)


Evses = Annotated[list[EvseSpec] | None, AfterValidator(_unique_evses)]

# Everything the read model shows that a client cannot write.
_READ_ONLY = frozenset(ChargerRead.model_fields) - {
    "ocpp_id",
    "external_id",
    "name",
    "reference",
    "site_id",
    "hardware_template_id",
    "latitude",
    "longitude",
    "active",
    "public",
    "reservable",
    "blocked",
    "deploy_state",
    "charger_type",
    "vehicle_type",
    "capabilities",
    "max_current",
    "default_tariff_code",
    "setup_pending",
    "setup_completed",
    "licenses",
    "evses",
}


class _ChargerFields(StrictInput):
    """The writable fields; the optional ones are cleared by a PUT that omits them."""

    READ_ONLY = _READ_ONLY | {"etag"}

    ocpp_id: str = Field(min_length=1, max_length=255, description="Identity in the OCPP URL.")
    external_id: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=255)
    site_id: DbId | None = None
    hardware_template_id: DbId | None = Field(
        default=None, description="Creates the EVSEs from this template when given."
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    active: bool = True
    public: bool = False
    reservable: bool = False
    blocked: bool = False
    deploy_state: DeployState = "Production"
    charger_type: ChargerType = "Public"
    vehicle_type: VehicleType = "car"
    capabilities: list[Capability] = Field(default_factory=list)
    contactless_type: ContactlessType | None = None
    contactless_terminal_id: str | None = Field(default=None, max_length=100)
    contactless_token: str | None = Field(default=None, max_length=500)
    pincode: str | None = Field(default=None, max_length=32)
    max_current: float | None = Field(default=None, ge=0)
    default_tariff_code: str | None = Field(default=None, max_length=64)
    setup_pending: bool = False
    setup_completed: bool = False
    licenses: Licenses = Field(default_factory=Licenses)
    evses: Evses = Field(
        default=None, description="A manual EVSE/connector layout (instead of a template)."
    )

    @model_validator(mode="after")
    def _coordinates(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class ChargerCreate(_ChargerFields):
    @model_validator(mode="after")
    def _needs_an_evse(self) -> Self:
        if self.evses is None and self.hardware_template_id is None:
            raise ValueError("a charger needs at least one EVSE: give evses or a template")
        return self


class ChargerReplace(_ChargerFields):
    READ_ONLY = _READ_ONLY - {"etag"}
    etag: str | None = None
    """The etag being replaced (or the If-Match header). Omitting ``evses`` keeps the layout."""


class ChargerUpdate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}
    NOT_NULL = frozenset(
        {
            "ocpp_id",
            "active",
            "public",
            "reservable",
            "blocked",
            "deploy_state",
            "charger_type",
            "vehicle_type",
            "capabilities",
            "setup_pending",
            "setup_completed",
            "licenses",
            "evses",
        }
    )

    ocpp_id: str | None = Field(default=None, min_length=1, max_length=255)
    external_id: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=255)
    site_id: DbId | None = None
    hardware_template_id: DbId | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    active: bool | None = None
    public: bool | None = None
    reservable: bool | None = None
    blocked: bool | None = None
    deploy_state: DeployState | None = None
    charger_type: ChargerType | None = None
    vehicle_type: VehicleType | None = None
    capabilities: list[Capability] | None = None
    contactless_type: ContactlessType | None = None
    contactless_terminal_id: str | None = Field(default=None, max_length=100)
    contactless_token: str | None = Field(default=None, max_length=500)
    pincode: str | None = Field(default=None, max_length=32)
    max_current: float | None = Field(default=None, ge=0)
    default_tariff_code: str | None = Field(default=None, max_length=64)
    setup_pending: bool | None = None
    setup_completed: bool | None = None
    licenses: Licenses | None = None
    evses: Evses = None
