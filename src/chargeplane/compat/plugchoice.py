"""The plugchoice dialect under ``/compat/plugchoice``: Plugchoice's ``GET /api/v3/chargers``.

``charger()`` is a pure function of the charger snapshot and the caller's scopes; the route
looks the snapshot up with the native API's ``snapshot_of`` and renders errors as Plugchoice
does (``{"message": "..."}``, plus chargeplane's stable ``code``). See
``docs/compat/plugchoice.md``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from chargeplane.api.deps import ReadSession, RuntimeDep
from chargeplane.apikeys.service import SCOPES
from chargeplane.chargers.endpoints import snapshot_of
from chargeplane.chargers.schemas import ChargerRead, EvseRead, OcppStatus
from chargeplane.compat._common import BearerCredentials, bearer_principal
from chargeplane.errors import ChargeplaneError

router = APIRouter(prefix="/compat/plugchoice", tags=["compat: plugchoice"])

_DOTTED = re.compile(r"(?<!\d)\d+(?:\.\d+)+", re.ASCII)
_BARE = re.compile(r"[vV]?(\d+)", re.ASCII)


def parse_firmware_version(raw: str | None) -> str | None:
    """The version in a raw firmware string: its first dotted numeric run, each part without
    leading zeros ("v1.5.4.4-rc1" → "1.5.4.4", "DCWB_V01.03.08" → "1.3.8"); a string that is
    only a number, with or without a "v", is that number ("v326" → "326"); None otherwise."""
    if raw is None:
        return None
    dotted = _DOTTED.search(raw)
    if dotted is not None:
        return ".".join(str(int(part)) for part in dotted.group().split("."))
    bare = _BARE.fullmatch(raw.strip())
    return str(int(bare.group(1))) if bare is not None else None


def iso_us(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with microseconds and ``Z``, as Plugchoice (Laravel) renders dates
    ("2025-01-01T12:00:00.000000Z")."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _status(status: OcppStatus | None) -> dict[str, Any]:
    """The OCPP status fields, all null until a status was reported."""
    if status is None:
        return dict.fromkeys(("status", "error", "error_info", "vendor_id", "vendor_error_code"))
    return {
        "status": status.status,
        "error": None if status.error_code in (None, "NoError") else status.error_code,
        "error_info": status.info,
        "vendor_id": status.vendor_id,
        "vendor_error_code": status.vendor_error_code,
    }


def _connector(snapshot: ChargerRead, evse: EvseRead) -> dict[str, Any]:
    """An OCPP 1.6 connector: one of our EVSEs, with its first connector's hardware facts."""
    first = min(evse.connectors, key=lambda c: c.number, default=None)
    return {
        "id": evse.id,
        "charger_id": snapshot.id,
        "connector_id": evse.number,
        **_status(evse.ocpp_status),
        "max_amperage": first.max_amperage if first else None,
        "max_voltage": first.max_voltage if first else None,
        "standard": first.standard if first else None,
        "format": first.format if first else None,
        "power_type": first.power_type if first else None,
        "phase_rotation": first.phase_rotation if first else None,
        "created_at": iso_us(evse.created_at),
        "updated_at": iso_us(evse.updated_at),
    }


def _model(snapshot: ChargerRead) -> dict[str, Any]:
    """The hardware template; without one, what the charger said at boot, DC if any of its
    connectors is."""
    template = snapshot.hardware_template
    if template is not None:
        return {"vendor": template.vendor, "name": template.name, "is_dc": template.is_dc}
    return {
        "vendor": snapshot.boot.vendor,
        "name": snapshot.boot.model,
        "is_dc": any(c.power_type == "DC" for e in snapshot.evses for c in e.connectors),
    }


def charger(snapshot: ChargerRead, scopes: Collection[str]) -> dict[str, Any]:
    """The charger as Plugchoice's ``GET /api/v3/chargers/{charger}`` answer, for a caller
    with ``scopes`` (``pincode`` only with ``sensitive``)."""
    connection = snapshot.connection
    connected = connection.status == "Connected"
    body: dict[str, Any] = {
        "uuid": snapshot.uuid,
        "id": snapshot.id,
        "identity": snapshot.ocpp_id,
    }
    if "sensitive" in scopes:
        body["pincode"] = snapshot.sensitive.pincode if snapshot.sensitive else None
    body |= {
        "reference": snapshot.reference,
        "connection_status": "Connected" if connected else "Disconnected",
        **_status(snapshot.ocpp_status),
        "firmware_version": snapshot.boot.firmware_version,
        "parsed_firmware_version": parse_firmware_version(snapshot.boot.firmware_version),
        "server": connection.node_name if connected else None,
        "last_connection_at": iso_us(connection.last_connected_at),
        "last_disconnection_at": iso_us(connection.last_disconnected_at),
        "last_heartbeat_at": iso_us(connection.last_heartbeat_at),
        "setup_pending": snapshot.setup_pending,
        "setup_completed": snapshot.setup_completed,
        "blocked": snapshot.blocked,
        "max_current": snapshot.max_current,
        "created_at": iso_us(snapshot.created_at),
        "updated_at": iso_us(snapshot.updated_at),
        "licenses": {"smart": snapshot.licenses.smart, "pro": snapshot.licenses.pro},
        "model_id": snapshot.hardware_template_id,
        "model": _model(snapshot),
        "connectors": [
            _connector(snapshot, e) for e in sorted(snapshot.evses, key=lambda e: e.number)
        ],
        "permissions": {scope: scope in scopes for scope in SCOPES},
    }
    return body


# --- HTTP -------------------------------------------------------------------------------

Credentials = BearerCredentials

_MESSAGES = {
    "unauthenticated": "Unauthenticated.",
    "not_found": "Charger not found.",
}


def error(exc: ChargeplaneError) -> JSONResponse:
    """Plugchoice's error body (``{"message": ...}``) with chargeplane's stable ``code``."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    message = _MESSAGES.get(exc.code)
    if message is None:
        message = "This action is unauthorized." if exc.status == 403 else exc.detail
    return JSONResponse(
        {"message": message, "code": exc.code}, status_code=exc.status, headers=headers
    )


@router.get("/api/v3/chargers/{uuid}", summary="Plugchoice: a charger by UUID")
async def get_charger(
    uuid: str,
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    credentials: Credentials,
) -> JSONResponse:
    try:
        principal = await bearer_principal(request, runtime, credentials, session)
        snapshot = await snapshot_of(session, principal, runtime.sealer, uuid=uuid)
    except ChargeplaneError as exc:
        return error(exc)
    return JSONResponse(charger(snapshot, principal.scopes))
