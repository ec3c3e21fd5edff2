"""The thor dialect under ``/compat/thor``: Thor's "Get chargebox" integration endpoint.

``chargebox`` is a pure function of the charger snapshot (``ChargerRead``); the router only
authenticates the ``X-Api-Key`` header, looks the snapshot up with ``snapshot_of`` and
renders Thor's own error format (``{"message": "<Thor error name>"}``) instead of the app's
problem+json. Every mapping choice is written down in ``docs/compat/thor.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.deps import RuntimeDep, authenticate
from chargeplane.apikeys.service import Principal
from chargeplane.chargers.endpoints import snapshot_of
from chargeplane.chargers.schemas import ChargerRead, ConnectorRead, EvseRead
from chargeplane.compat._common import epoch_ms
from chargeplane.errors import Forbidden, NotFound, Unauthenticated
from chargeplane.runtime import Runtime

log = logging.getLogger(__name__)

router = APIRouter(prefix="/compat/thor", tags=["compat: thor"])

CONNECTOR_TYPES: Mapping[str, str] = {
    "IEC_62196_T1_COMBO": "ccs",
    "IEC_62196_T2_COMBO": "ccs",
    "CHADEMO": "chademo",
    "IEC_60309_2_single_16": "commando",
    "IEC_60309_2_three_16": "commando",
    "IEC_60309_2_three_32": "commando",
    "IEC_60309_2_three_64": "commando",
    "IEC_62196_T1": "type_1",
    "IEC_62196_T2": "type_2",
    "IEC_62196_T3A": "type_3a",
    "IEC_62196_T3C": "type_3c",
    "DOMESTIC_F": "schuko",
}
"""OCPI connector standard → Thor connector type; any other standard is ``null``."""

POWER_TYPES = frozenset({"AC_1_PHASE", "AC_3_PHASE", "DC"})
"""The power types Thor knows; OCPI's 2-phase types are ``null``."""

FORMATS = frozenset({"CABLE", "SOCKET"})

NAYAX = "Nayax"
MESSAGE_FORMAT = "json"
"""chargeplane speaks OCPP-J only (no SOAP)."""
_OCPP_PREFIX = "ocpp"

# Thor's error names (the ``message`` of an error body) and their HTTP statuses.
API_KEY_NOT_FOUND = "APIKeyNotFound"
REST_API_NOT_ENABLED = "RestAPINotEnabled"
INVALID_SOURCE_IP = "InvalidSourceIPAddr"
CHARGEBOX_NOT_FOUND = "ChargeboxNotFound"
INTERNAL_SERVER_ERROR = "InternalServerError"


# --- the pure mapping -------------------------------------------------------------------


def ocpp_version(protocol: str | None) -> str | None:
    """The negotiated WebSocket subprotocol as Thor's version (``ocpp1.6`` → ``1.6``);
    None for a charger that never connected."""
    if not protocol:
        return None
    return protocol.removeprefix(_OCPP_PREFIX) if protocol.startswith(_OCPP_PREFIX) else protocol


def power_w(connector: ConnectorRead | None, evse: EvseRead) -> int | None:
    """Thor's ``power`` ("Integer … in Wh"): the maximum power in whole watts, of the
    connector, else of its EVSE; None if neither is known."""
    kw = connector.max_power_kw if connector is not None else None
    if kw is None:
        kw = evse.max_power_kw
    return None if kw is None else round(kw * 1000)


def _described_by(evse: EvseRead) -> ConnectorRead | None:
    """The connector that describes the EVSE: its lowest-numbered one (OCPP 1.6 has one)."""
    return min(evse.connectors, key=lambda c: c.number, default=None)


def _connector(evse: EvseRead, snapshot: ChargerRead) -> dict[str, Any]:
    c = _described_by(evse)
    standard = c.standard if c else None
    format_ = c.format if c else None
    power_type = c.power_type if c else None
    nayax = snapshot.contactless.type == NAYAX
    return {
        "power": power_w(c, evse),
        "type": CONNECTOR_TYPES.get(standard) if standard else None,
        "format": format_ if format_ in FORMATS else None,
        "max_amperage": c.max_amperage if c else None,
        "power_type": power_type if power_type in POWER_TYPES else None,
        "terminal_id": snapshot.contactless.terminal_id if nayax else None,
        "token": (
            snapshot.sensitive.contactless_token
            if nayax and snapshot.sensitive is not None
            else None
        ),
    }


def _coordinates(snapshot: ChargerRead) -> dict[str, float | None]:
    """The charger's coordinates, else its site's (as for the time zone), else nulls."""
    if snapshot.latitude is not None and snapshot.longitude is not None:
        return {"latitude": snapshot.latitude, "longitude": snapshot.longitude}
    site = snapshot.site
    if site is not None and site.latitude is not None and site.longitude is not None:
        return {"latitude": site.latitude, "longitude": site.longitude}
    return {"latitude": None, "longitude": None}


def _reserved(evse: EvseRead) -> bool:
    return evse.ocpp_status is not None and evse.ocpp_status.status == "Reserved"


def chargebox(snapshot: ChargerRead) -> dict[str, Any]:
    """The charger as Thor's "Get chargebox" answers it. Thor's connectors are OCPP 1.6
    connectors: one per EVSE, in EVSE-number order; ``occupied_connectors`` and
    ``reserved_connectors`` hold EVSE numbers (OCPP 1.6 connectorIds)."""
    evses = sorted(snapshot.evses, key=lambda e: e.number)
    return {
        "active": snapshot.active,
        "alias": snapshot.name,
        "connected": snapshot.connectivity == "Online",
        "public": snapshot.public,
        "reservable": snapshot.reservable,
        "connectors": [_connector(e, snapshot) for e in evses],
        "coordinates": _coordinates(snapshot),
        "id": snapshot.ocpp_id,
        "last_heartbeat": epoch_ms(snapshot.connection.last_heartbeat_at),
        "timezone": snapshot.timezone,
        "type": {
            "vehicle": snapshot.vehicle_type,
            "msg": MESSAGE_FORMAT,
            "version": ocpp_version(snapshot.connection.protocol),
        },
        "occupied_connectors": [e.number for e in evses if e.current_session is not None],
        "reserved_connectors": [e.number for e in evses if _reserved(e)],
    }


# --- errors -----------------------------------------------------------------------------


class ThorError(Exception):
    """One of the errors Thor documents, rendered as ``{"message": name}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def answer(produce: Callable[[], Awaitable[dict[str, Any]]]) -> JSONResponse:
    """``produce()``'s body as a 200, a ``ThorError`` as Thor renders it, and anything else
    as Thor's 500 ``InternalServerError`` (logged here: the app's handlers never see it)."""
    try:
        body = await produce()
    except ThorError as exc:
        return error_response(exc.status, exc.message)
    except Exception:
        log.exception("thor dialect: unexpected error")
        return error_response(500, INTERNAL_SERVER_ERROR)
    return JSONResponse(body)


async def thor_principal(
    request: Request, runtime: Runtime, api_key: str | None, session: AsyncSession
) -> Principal:
    """The caller of a Thor request, its key read in ``session``, or the Thor error that
    refuses it."""
    if not api_key:
        raise ThorError(403, API_KEY_NOT_FOUND)
    try:
        principal = await authenticate(request, runtime, api_key, session)
    except Unauthenticated:
        raise ThorError(403, API_KEY_NOT_FOUND) from None
    except Forbidden as exc:
        if exc.code == "ip_not_allowed":
            raise ThorError(403, INVALID_SOURCE_IP) from None
        raise
    if not principal.thor_rest_api:
        raise ThorError(403, REST_API_NOT_ENABLED)
    return principal


# --- routes -----------------------------------------------------------------------------

_api_key = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    description="A chargeplane API key with the Thor REST API switch (`thor_rest_api`) on.",
)

_ERROR = {
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"message": {"type": "string"}}}
        }
    }
}


@router.get(
    "/latest/integration/chargeboxes/{chargebox_id}",
    summary="Get chargebox (Thor)",
    response_class=JSONResponse,
    responses={
        200: {"description": "The chargebox, in Thor's shape (docs/compat/thor.md)."},
        403: {"description": "APIKeyNotFound, RestAPINotEnabled or InvalidSourceIPAddr"} | _ERROR,
        404: {"description": "ChargeboxNotFound"} | _ERROR,
        500: {"description": "InternalServerError"} | _ERROR,
    },
)
async def get_chargebox(
    chargebox_id: str,
    request: Request,
    runtime: RuntimeDep,
    api_key: Annotated[str | None, Depends(_api_key)],
) -> JSONResponse:
    """A charger by its OCPP identity (``chargebox_id``), as Thor serves a chargebox."""

    async def produce() -> dict[str, Any]:
        # A session of its own, inside ``answer``: a failing store is Thor's 500 too. The
        # key is read in it as well.
        async with runtime.db.reader() as session:
            principal = await thor_principal(request, runtime, api_key, session)
            try:
                snapshot = await snapshot_of(
                    session, principal, runtime.sealer, ocpp_id=chargebox_id
                )
            except NotFound:
                raise ThorError(404, CHARGEBOX_NOT_FOUND) from None
        return chargebox(snapshot)

    return await answer(produce)
