"""The flipturn dialect under ``/compat/flipturn``: Flipturn's ``GET /api/chargers/...``.

``charger()`` is a pure function of the charger snapshot; the routes look the snapshot up
with the native API's ``snapshot_of`` and render errors as Flipturn does
(``{"error": "..."}``, plus chargeplane's stable ``code``). See ``docs/compat/flipturn.md``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.deps import ReadSession, RuntimeDep
from chargeplane.api.params import INT32_MAX
from chargeplane.chargers.endpoints import snapshot_of
from chargeplane.chargers.schemas import (
    ChargerRead,
    EvseRead,
    OcppStatus,
    Reading,
    SessionRead,
    SiteRef,
)
from chargeplane.compat._common import BearerCredentials, bearer_principal, iso_ms
from chargeplane.errors import ChargeplaneError, NotFound
from chargeplane.runtime import Runtime

router = APIRouter(prefix="/compat/flipturn", tags=["compat: flipturn"])

CONNECTOR_TYPES = {
    "IEC_62196_T1_COMBO": "CCS1",
    "IEC_62196_T1": "J1772",
    "SAE_J3400": "NACS",
    "TESLA_S": "NACS",
    "TESLA_R": "NACS",
}
"""OCPI connector standard → Flipturn ``connectorType`` (the three types Flipturn knows).
Any other standard is shown under its OCPI name; a port without one is ``"Unknown"``."""

UNKNOWN_CONNECTOR = "Unknown"
"""Internal ids are 32-bit database keys: a larger number names no charger."""


def is_dc(snapshot: ChargerRead) -> bool:
    """DC if any connector delivers DC, or the hardware template says so."""
    template_dc = snapshot.hardware_template is not None and snapshot.hardware_template.is_dc
    return template_dc or any(c.power_type == "DC" for e in snapshot.evses for c in e.connectors)


def connector_type(evse: EvseRead) -> str:
    """The port's connector in Flipturn's names: the first connector (by number) of a type
    Flipturn knows, else the first connector's OCPI standard, else ``"Unknown"``."""
    connectors = sorted(evse.connectors, key=lambda c: c.number)
    for c in connectors:
        if c.standard in CONNECTOR_TYPES:
            return CONNECTOR_TYPES[c.standard]
    for c in connectors:
        if c.standard is not None:
            return c.standard
    return UNKNOWN_CONNECTOR


def maximum_power_kw(evse: EvseRead) -> float | None:
    if evse.max_power_kw is not None:
        return evse.max_power_kw
    powers = [c.max_power_kw for c in evse.connectors if c.max_power_kw is not None]
    return max(powers) if powers else None


def _ocpp_status(status: OcppStatus | None) -> dict[str, Any] | None:
    if status is None or status.status is None:
        return None
    return {
        "status": status.status,
        # The charger's own time of the report; our receive time if it sent none.
        "timestamp": iso_ms(status.timestamp or status.received_at),
        # OCPP 1.6 always sends one; OCPP 2.0.1 has none: no error reported.
        "errorCode": status.error_code or "NoError",
        "vendorErrorCode": status.vendor_error_code,
        "info": status.info,
    }


def _reading(reading: Reading | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    return {"value": reading.value, "timestamp": iso_ms(reading.timestamp)}


def _session(s: SessionRead | None) -> dict[str, Any] | None:
    if s is None:
        return None
    readings = s.latest_readings
    return {
        "id": s.id,
        "startTime": iso_ms(s.started_at),
        "socStartPercent": s.soc_start_percent,
        "energyDeliveredKwh": s.energy_delivered_kwh,
        "ocppIdTag": s.id_tag,
        "ocppTransactionId": s.transaction_id,
        "latestReadings": {
            "powerKw": _reading(readings.power_kw),
            "currentA": _reading(readings.current_a),
            "socPercent": _reading(readings.soc_percent),
            "voltage": _reading(readings.voltage_v),
        },
        "vehicle": (
            None
            if s.vehicle is None
            else {
                "id": s.vehicle.id,
                "make": s.vehicle.make,
                "model": s.vehicle.model,
                "name": s.vehicle.name,
                "vin": s.vehicle.vin,
            }
        ),
        "rfid": None if s.rfid is None else {"id": s.rfid.id, "name": s.rfid.name},
        "customer": None if s.customer is None else {"name": s.customer.name},
    }


def _port(evse: EvseRead) -> dict[str, Any]:
    return {
        "id": evse.id,
        "name": evse.name or f"Port {evse.number}",
        "portNumber": evse.number,
        "maximumPowerKw": maximum_power_kw(evse),
        "connectorType": connector_type(evse),
        "ocppStatus": _ocpp_status(evse.ocpp_status),
        "currentChargingSession": _session(evse.current_session),
    }


def _connection_status(snapshot: ChargerRead) -> dict[str, Any] | None:
    connection = snapshot.connection
    if connection.status is None:
        return None
    since = connection.status_at or (
        connection.last_connected_at
        if connection.status == "Connected"
        else connection.last_disconnected_at
    )
    return {"status": connection.status, "timestamp": iso_ms(since)}


def _coordinates(snapshot: ChargerRead) -> tuple[float | None, float | None]:
    if snapshot.latitude is not None and snapshot.longitude is not None:
        return snapshot.latitude, snapshot.longitude
    site = snapshot.site
    if site is not None and site.latitude is not None and site.longitude is not None:
        return site.latitude, site.longitude
    return None, None


def _site(site: SiteRef | None) -> dict[str, Any] | None:
    if site is None:
        return None  # Flipturn chargers always have one; ours may not (see the docs).
    return {"id": site.id, "name": site.name, "address": site.address, "timezone": site.timezone}


def charger(snapshot: ChargerRead) -> dict[str, Any]:
    """The charger as Flipturn's ``data`` object."""
    latitude, longitude = _coordinates(snapshot)
    evses = sorted(snapshot.evses, key=lambda e: e.number)
    boot, template = snapshot.boot, snapshot.hardware_template
    return {
        "id": snapshot.id,
        "name": snapshot.name or snapshot.ocpp_id,
        "manufacturer": boot.vendor or (template.vendor if template else None),
        "model": boot.model or (template.name if template else None),
        "serialNumber": boot.serial_number or boot.charge_box_serial_number,
        "firmwareVersion": boot.firmware_version,
        "latitude": latitude,
        "longitude": longitude,
        "externalId": snapshot.external_id,
        "ocppId": snapshot.ocpp_id,
        "type": "DCFC" if is_dc(snapshot) else "Level 2",
        "powerSharing": len(evses) > 1,
        "connectionStatus": _connection_status(snapshot),
        "numberOfPorts": len(evses),
        "ports": [_port(e) for e in evses],
        "site": _site(snapshot.site),
    }


# --- HTTP -------------------------------------------------------------------------------

Credentials = BearerCredentials

_MESSAGES = {
    "unauthenticated": "Invalid API key",
    "not_found": "Charger not found",
}


def error(exc: ChargeplaneError) -> JSONResponse:
    """Flipturn's error body (``{"error": message}``) with chargeplane's stable ``code``."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    message = _MESSAGES.get(exc.code, exc.detail)
    return JSONResponse(
        {"error": message, "code": exc.code}, status_code=exc.status, headers=headers
    )


async def _serve(
    request: Request,
    runtime: Runtime,
    session: AsyncSession,
    credentials: HTTPAuthorizationCredentials | None,
    by: dict[str, Any] | None,
) -> JSONResponse:
    """The charger found ``by`` (None: a path that names no charger) as the caller's key
    may see it, or Flipturn's error. The key is checked first, whatever the path."""
    try:
        principal = await bearer_principal(request, runtime, credentials, session)
        if by is None:
            raise NotFound()
        snapshot = await snapshot_of(session, principal, runtime.sealer, **by)
    except ChargeplaneError as exc:
        return error(exc)
    return JSONResponse({"data": charger(snapshot)})


@router.get("/api/chargers/{charger_id}", summary="Flipturn: a charger by internal id")
async def get_charger(
    charger_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    credentials: Credentials,
) -> JSONResponse:
    digits = charger_id.isascii() and charger_id.isdigit() and len(charger_id) <= 10
    valid = digits and int(charger_id) <= INT32_MAX
    by = {"id": int(charger_id)} if valid else None
    return await _serve(request, runtime, session, credentials, by)


@router.get(
    "/api/chargers/by-external-id/{external_id}",
    summary="Flipturn: a charger by external id (network station id)",
)
async def get_charger_by_external_id(
    external_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    credentials: Credentials,
) -> JSONResponse:
    return await _serve(request, runtime, session, credentials, {"external_id": external_id})


@router.get("/api/chargers/by-ocpp-id/{ocpp_id}", summary="Flipturn: a charger by OCPP id")
async def get_charger_by_ocpp_id(
    ocpp_id: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    credentials: Credentials,
) -> JSONResponse:
    return await _serve(request, runtime, session, credentials, {"ocpp_id": ocpp_id})
