"""GreenFlux Charge Stations API: the charge station object as a pure function of the charger
snapshot (``ChargerRead``), and the vocabularies of GreenFlux's document.

Nothing here touches the store or the request: ``charge_station(snapshot, endpoint=...)`` is
all the router needs to answer a GET.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from chargeplane.chargers.schemas import ChargerRead, ConnectorRead, OcppStatus
from chargeplane.compat._common import iso_ms
from chargeplane.layout import ConnectorSpec, EvseSpec
from chargeplane.templates.schemas import HardwareTemplateRead
from chargeplane.vocab import Capability, ChargerType, Connectivity, ContactlessType, DeployState

# --- vocabularies of the document -------------------------------------------------------------

Status = Literal[
    "AVAILABLE",
    "BLOCKED",
    "CHARGING",
    "INOPERATIVE",
    "OUTOFORDER",
    "PLANNED",
    "REMOVED",
    "RESERVED",
    "UNKNOWN",
]
"""``status`` of a charge station, EVSE or connector (OCPI ``Status``)."""

PowerType = Literal["AC_1_PHASE", "AC_3_PHASE", "DC"]
"""The document's ``power_type`` values (a subset of chargeplane's)."""

Standard = Literal[
    "IEC_62196_T1_COMBO",
    "IEC_62196_T2_COMBO",
    "IEC_62196_T2",
    "IEC_62196_T1",
    "CHADEMO",
    "DOMESTIC_E",
    "DOMESTIC_F",
    "DOMESTIC_G",
    "DOMESTIC_H",
    "DOMESTIC_I",
    "DOMESTIC_J",
    "DOMESTIC_K",
    "DOMESTIC_L",
]
"""The connector standards of the document's standard/format/internal table."""

Internal = Literal[
    "CCS1_Cable",
    "CCS2_Cable",
    "CCS1_Socket",
    "CCS2_Socket",
    "Mennekes_Socket",
    "Mennekes_Cable",
    "Type1_Cable",
    "ChaDeMo_Cable",
    "DOMESTIC_E_Socket",
    "DOMESTIC_F_Socket",
    "DOMESTIC_G_Socket",
    "DOMESTIC_H_Socket",
    "DOMESTIC_I_Socket",
    "DOMESTIC_J_Socket",
    "DOMESTIC_K_Socket",
    "DOMESTIC_L_Socket",
]

INTERNAL_NAMES: dict[tuple[str, str], str] = {
    ("IEC_62196_T1_COMBO", "CABLE"): "CCS1_Cable",
    ("IEC_62196_T2_COMBO", "CABLE"): "CCS2_Cable",
    ("IEC_62196_T1_COMBO", "SOCKET"): "CCS1_Socket",
    ("IEC_62196_T2_COMBO", "SOCKET"): "CCS2_Socket",
    ("IEC_62196_T2", "SOCKET"): "Mennekes_Socket",
    ("IEC_62196_T2", "CABLE"): "Mennekes_Cable",
    ("IEC_62196_T1", "CABLE"): "Type1_Cable",
    ("CHADEMO", "CABLE"): "ChaDeMo_Cable",
    **{(f"DOMESTIC_{c}", "SOCKET"): f"DOMESTIC_{c}_Socket" for c in "EFGHIJKL"},
}
"""The document's connector table: (standard, format) → GreenFlux ``internal`` name."""

STANDARD_FORMAT: dict[str, tuple[str, str]] = {name: key for key, name in INTERNAL_NAMES.items()}
"""``internal`` name → (standard, format)."""


def internal_name(standard: str | None, format: str | None) -> str | None:
    """The ``internal`` name of a connector; None for a pair the document's table lacks."""
    if standard is None or format is None:
        return None
    return INTERNAL_NAMES.get((standard, format))


_PROTOCOL = re.compile(r"ocpp(\d+(?:\.\d+)*)")


def protocol_version(protocol: str | None) -> str | None:
    """The negotiated WebSocket subprotocol in GreenFlux's spelling: ``ocpp1.6`` → ``Ocpp16``,
    ``ocpp2.0.1`` → ``Ocpp201``; None if the charger never connected."""
    if protocol is None:
        return None
    match = _PROTOCOL.fullmatch(protocol.lower())
    return "Ocpp" + match.group(1).replace(".", "") if match else None


_OCPP_STATUS: dict[str, Status] = {
    "Available": "AVAILABLE",
    "Preparing": "CHARGING",
    "Charging": "CHARGING",
    "SuspendedEVSE": "CHARGING",
    "SuspendedEV": "CHARGING",
    "Finishing": "CHARGING",
    "Occupied": "CHARGING",  # OCPP 2.0.1
    "Reserved": "RESERVED",
    "Unavailable": "INOPERATIVE",
    "Faulted": "OUTOFORDER",
}
"""OCPP 1.6 ChargePointStatus (and 2.0.1 ConnectorStatus) → OCPI status. Every OCPP state
between plug-in and unplug is "in use": CHARGING."""


def _state_status(charger: ChargerRead) -> Status | None:
    """The status the charger's management state or connection imposes on all its EVSEs."""
    if charger.deploy_state == "Deprecated":
        return "REMOVED"
    if charger.deploy_state == "Stock":
        return "PLANNED"
    if charger.blocked:
        return "BLOCKED"
    if charger.connectivity == "Offline":
        return "UNKNOWN"
    return None


def _reported(status: OcppStatus | None) -> Status:
    if status is None or status.status is None:
        return "UNKNOWN"
    return _OCPP_STATUS.get(status.status, "UNKNOWN")


def station_status(charger: ChargerRead) -> Status:
    """The charge station's own status: its state, else its connectorId 0 report."""
    return _state_status(charger) or _reported(charger.ocpp_status)


def evse_status(charger: ChargerRead, evse: OcppStatus | None) -> Status:
    """An EVSE's status. In order: Deprecated → REMOVED, Stock → PLANNED, blocked → BLOCKED,
    offline (or never connected) → UNKNOWN; then a whole-charger (connectorId 0) Faulted or
    Unavailable wins over the EVSE's own report; then the EVSE's report (none → UNKNOWN)."""
    imposed = _state_status(charger)
    if imposed is not None:
        return imposed
    whole = _reported(charger.ocpp_status)
    if whole in ("OUTOFORDER", "INOPERATIVE"):
        return whole
    return _reported(evse)


def watts(kw: float | None) -> int | None:
    return None if kw is None else round(kw * 1000)


def kilowatts(w: int | None) -> float | None:
    return None if w is None else w / 1000


# --- the objects served ----------------------------------------------------------------------


class _Out(BaseModel):
    pass


class GreenFluxConnector(_Out):
    id: str
    """The connector's number within its EVSE (OCPP 2.0.1 connectorId), as a string."""
    standard: str | None
    format: str | None
    power_type: str | None
    internal: str | None
    """GreenFlux's name for the standard/format pair; null for a pair its table lacks."""
    max_voltage: int | None
    max_amperage: int | None
    max_electric_power: int | None
    """Watts."""


class GreenFluxLiveConnector(GreenFluxConnector):
    status: Status
    """The status of its EVSE (one connector in use at a time)."""
    last_updated: str


class GreenFluxLayoutEvse(_Out):
    number: int
    """OCPP 1.6 connectorId / OCPP 2.0.1 evseId."""
    name: str | None
    max_electric_power: int | None
    """Watts."""
    connectors: list[GreenFluxConnector]


class GreenFluxEvse(_Out):
    uid: str
    """chargeplane's id of the EVSE."""
    number: int
    """OCPP 1.6 connectorId / OCPP 2.0.1 evseId."""
    name: str | None
    status: Status
    max_electric_power: int | None
    """Watts."""
    connectors: list[GreenFluxLiveConnector]
    last_updated: str


class GreenFluxChargeStation(_Out):
    charge_station_id: str
    """The OCPP identity: the last segment of the charger's OCPP URL."""
    location_id: str | None
    charge_station_template_id: str | None
    default_tariff_code: str | None
    deploy_state: DeployState
    charger_type: ChargerType
    capabilities: list[Capability]
    contactless_type: ContactlessType | None
    public: bool
    reservable: bool
    blocked: bool
    max_current: float | None
    evses: list[GreenFluxEvse]
    status: Status
    # Configuration (read-only)
    heartbeat_interval: int | None
    charge_point_model: str | None
    charge_point_vendor: str | None
    charge_point_serial_number: str | None
    charge_box_serial_number: str | None
    client_ip_address: str | None
    firmware_version: str | None
    iccid: str | None
    imsi: str | None
    meter_serial_number: str | None
    meter_type: str | None
    remote_manageable: bool
    connectivity_status: Connectivity
    protocol_version: str | None
    endpoint: str
    """The OCPP URL chargers connect to (followed by ``/{charge_station_id}``)."""
    etag: str
    last_updated: str


class GreenFluxTemplate(_Out):
    id: str
    vendor: str
    model: str
    is_dc: bool
    evses: list[GreenFluxLayoutEvse]
    etag: str
    last_updated: str


WRITABLE = frozenset(
    {
        "charge_station_id",
        "location_id",
        "charge_station_template_id",
        "default_tariff_code",
        "deploy_state",
        "charger_type",
        "capabilities",
        "contactless_type",
        "public",
        "reservable",
        "blocked",
        "max_current",
        "evses",
    }
)
"""The charge station fields a client writes."""

READ_ONLY = frozenset(GreenFluxChargeStation.model_fields) - WRITABLE
"""Served but never written: the configuration fields, status, etag, last_updated."""


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def _stamp(value: datetime) -> str:
    stamp = iso_ms(value)
    assert stamp is not None
    return stamp


def charge_station(charger: ChargerRead, *, endpoint: str) -> GreenFluxChargeStation:
    """The GreenFlux charge station of a snapshot; ``endpoint`` is the OCPP URL chargers use."""
    boot, connection = charger.boot, charger.connection
    return GreenFluxChargeStation(
        charge_station_id=charger.ocpp_id,
        location_id=_id(charger.site_id),
        charge_station_template_id=_id(charger.hardware_template_id),
        default_tariff_code=charger.default_tariff_code,
        deploy_state=charger.deploy_state,
        charger_type=charger.charger_type,
        capabilities=list(charger.capabilities),
        contactless_type=charger.contactless.type,
        public=charger.public,
        reservable=charger.reservable,
        blocked=charger.blocked,
        max_current=charger.max_current,
        evses=[
            GreenFluxEvse(
                uid=str(evse.id),
                number=evse.number,
                name=evse.name,
                status=(status := evse_status(charger, evse.ocpp_status)),
                max_electric_power=watts(evse.max_power_kw),
                connectors=[
                    GreenFluxLiveConnector(
                        **_connector_values(c),
                        status=status,
                        last_updated=_stamp(evse.updated_at),
                    )
                    for c in evse.connectors
                ],
                last_updated=_stamp(evse.updated_at),
            )
            for evse in charger.evses
        ],
        status=station_status(charger),
        heartbeat_interval=connection.heartbeat_interval,
        charge_point_model=boot.model,
        charge_point_vendor=boot.vendor,
        charge_point_serial_number=boot.serial_number,
        charge_box_serial_number=boot.charge_box_serial_number,
        client_ip_address=connection.client_ip,
        firmware_version=boot.firmware_version,
        iccid=boot.iccid,
        imsi=boot.imsi,
        meter_serial_number=boot.meter_serial_number,
        meter_type=boot.meter_type,
        remote_manageable=charger.remote_manageable,
        connectivity_status=charger.connectivity,
        protocol_version=protocol_version(connection.protocol),
        endpoint=endpoint,
        etag=charger.etag,
        last_updated=_stamp(charger.updated_at),
    )


def _connector_values(c: ConnectorRead | ConnectorSpec) -> dict[str, Any]:
    """The fields of ``GreenFluxConnector``, from a stored or a described connector."""
    return {
        "id": str(c.number),
        "standard": c.standard,
        "format": c.format,
        "power_type": c.power_type,
        "internal": internal_name(c.standard, c.format),
        "max_voltage": c.max_voltage,
        "max_amperage": c.max_amperage,
        "max_electric_power": watts(c.max_power_kw),
    }


def _layout_connector(c: ConnectorSpec) -> GreenFluxConnector:
    return GreenFluxConnector(**_connector_values(c))


def layout(evses: list[EvseSpec]) -> list[GreenFluxLayoutEvse]:
    return [
        GreenFluxLayoutEvse(
            number=e.number,
            name=e.name,
            max_electric_power=watts(e.max_power_kw),
            connectors=[_layout_connector(c) for c in e.connectors],
        )
        for e in evses
    ]


def template(t: HardwareTemplateRead) -> GreenFluxTemplate:
    """A hardware template in GreenFlux's shape (``name`` is served as ``model``)."""
    return GreenFluxTemplate(
        id=str(t.id),
        vendor=t.vendor,
        model=t.name,
        is_dc=t.is_dc,
        evses=layout(t.evses),
        etag=t.etag,
        last_updated=_stamp(t.updated_at),
    )
