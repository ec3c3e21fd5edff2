"""The greenflux dialect under ``/compat/greenflux``: GreenFlux's Charge Stations API.

Reads render the native charger snapshot (``_greenflux_model``); writes translate GreenFlux
bodies into the native write models (``_greenflux_input``) and go through the native
``ChargerManagement`` and ``HardwareTemplateService``. Errors are the native problem+json.
A charge station is addressed by its OCPP identity (GreenFlux's "Charge station ID").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.deps import (
    ReadingPrincipal,
    ReadSession,
    RuntimeDep,
    Writer,
    WriteSession,
)
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.api.params import DbId
from chargeplane.apikeys.service import Principal
from chargeplane.chargers.endpoints import snapshot_of
from chargeplane.chargers.layout import layout_of_template
from chargeplane.chargers.management import ChargerManagement
from chargeplane.chargers.repository import ChargerRepository
from chargeplane.chargers.schemas import ChargerCreate, ChargerRead
from chargeplane.chargers.snapshot import redacted, snapshots
from chargeplane.compat._greenflux_input import (
    GreenFluxChargeStationCreate,
    GreenFluxChargeStationReplace,
    GreenFluxChargeStationUpdate,
    GreenFluxTemplatePut,
    build,
    greenflux_fields,
    native,
    specs,
    to_update,
)
from chargeplane.compat._greenflux_model import (
    GreenFluxChargeStation,
    GreenFluxTemplate,
    charge_station,
    template,
)
from chargeplane.crypto import Sealer
from chargeplane.db.models import HardwareTemplate
from chargeplane.errors import InvalidRequest, PreconditionRequired
from chargeplane.templates.repository import HardwareTemplateRepository
from chargeplane.templates.schemas import (
    HardwareTemplateCreate,
    HardwareTemplateRead,
    HardwareTemplateReplace,
    HardwareTemplateUpdate,
)
from chargeplane.templates.service import HardwareTemplateService

PREFIX = "/compat/greenflux"
router = APIRouter(prefix=PREFIX, tags=["compat: greenflux"])


def ocpp_endpoint(request: Request) -> str:
    """The OCPP URL chargers connect to, as this request reached the server."""
    scheme = "wss" if request.url.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{request.url.netloc}/ocpp"


def _station(snapshot: ChargerRead, request: Request, response: Response) -> GreenFluxChargeStation:
    set_etag(response, snapshot.etag)
    return charge_station(snapshot, endpoint=ocpp_endpoint(request))


def _optional_etag(request: Request, body_etag: str | None) -> str | None:
    try:
        return expected_etag(request, body_etag)
    except PreconditionRequired:
        return None


def _utc(value: datetime | None) -> datetime | None:
    """A time without an offset is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# --- charge stations ---------------------------------------------------------------------------


@router.get("/chargestations", response_model=list[GreenFluxChargeStation])
async def list_charge_stations(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
    date_from: Annotated[
        datetime | None,
        Query(
            description="Only charge stations changed at or after this time (EVSE status "
            "changes do not count). Without an offset: UTC."
        ),
    ] = None,
    location: Annotated[
        DbId | None, Query(alias="LocationId", description="Only this location's (site id).")
    ] = None,
    location_id: Annotated[DbId | None, Query(description="The same as LocationId.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(description='From the previous page\'s Link: rel="next".')
    ] = None,
) -> list[GreenFluxChargeStation]:
    if location is not None and location_id is not None and location != location_id:
        raise InvalidRequest(
            "LocationId and location_id disagree",
            fields=[
                {"field": "query.LocationId", "code": "conflict", "message": "disagrees"},
                {"field": "query.location_id", "code": "conflict", "message": "disagrees"},
            ],
        )
    limit = min(limit, runtime.settings.api.page_size_max)
    rows, more = await ChargerRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=limit,
        updated_since=_utc(date_from),
        site_id=location if location is not None else location_id,
    )
    endpoint = ocpp_endpoint(request)
    response.headers["X-Limit"] = str(limit)
    if more:
        following = request.url.include_query_params(cursor=encode_cursor(rows[-1].id))
        response.headers["Link"] = f'<{following}>; rel="next"'
    return [
        charge_station(redacted(s, sensitive=principal.sensitive), endpoint=endpoint)
        for s in await snapshots(session, rows, runtime.sealer)
    ]


@router.get("/chargestations/{ocpp_id}", response_model=GreenFluxChargeStation)
async def get_charge_station(
    ocpp_id: str,
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
) -> GreenFluxChargeStation:
    snapshot = await snapshot_of(session, principal, runtime.sealer, ocpp_id=ocpp_id)
    return _station(snapshot, request, response)


@router.post(
    "/chargestations",
    response_model=GreenFluxChargeStation,
    status_code=status.HTTP_201_CREATED,
)
async def create_charge_station(
    body: GreenFluxChargeStationCreate,
    request: Request,
    response: Response,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
) -> GreenFluxChargeStation:
    with greenflux_fields():
        charger_id = await ChargerManagement(session, runtime.sealer).create(
            principal.organization_id,
            build(ChargerCreate, native(body)),
            now=runtime.clock.now(),
        )
    snapshot = await snapshot_of(session, principal, runtime.sealer, id=charger_id)
    response.headers["Location"] = f"{PREFIX}/chargestations/{quote(snapshot.ocpp_id, safe='')}"
    return _station(snapshot, request, response)


async def _update(
    session: AsyncSession,
    principal: Principal,
    sealer: Sealer,
    ocpp_id: str,
    body: GreenFluxChargeStationReplace | GreenFluxChargeStationUpdate,
    expected: str | None,
    *,
    now: datetime,
) -> int:
    """Write the GreenFlux fields through the native update (compare-and-set when an etag is
    given); native-only fields (name, pincode, …) are left as they are. The charger's id."""
    charger_id = (await snapshot_of(session, principal, sealer, ocpp_id=ocpp_id)).id
    given_only = isinstance(body, GreenFluxChargeStationUpdate)
    with greenflux_fields():
        await ChargerManagement(session, sealer).update(
            principal.organization_id,
            charger_id,
            to_update(body, given_only=given_only),
            now=now,
            expected=expected,
        )
    return charger_id


@router.put("/chargestations/{ocpp_id}", response_model=GreenFluxChargeStation)
async def replace_charge_station(
    ocpp_id: str,
    body: GreenFluxChargeStationReplace,
    request: Request,
    response: Response,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
) -> GreenFluxChargeStation:
    expected = expected_etag(request, body.etag)
    charger_id = await _update(
        session, principal, runtime.sealer, ocpp_id, body, expected, now=runtime.clock.now()
    )
    snapshot = await snapshot_of(session, principal, runtime.sealer, id=charger_id)
    return _station(snapshot, request, response)


@router.patch("/chargestations/{ocpp_id}", response_model=GreenFluxChargeStation)
async def update_charge_station(
    ocpp_id: str,
    body: GreenFluxChargeStationUpdate,
    request: Request,
    response: Response,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
) -> GreenFluxChargeStation:
    charger_id = await _update(
        session,
        principal,
        runtime.sealer,
        ocpp_id,
        body,
        _optional_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    snapshot = await snapshot_of(session, principal, runtime.sealer, id=charger_id)
    return _station(snapshot, request, response)


# --- hardware templates ------------------------------------------------------------------------


def _template(row: HardwareTemplate, response: Response) -> GreenFluxTemplate:
    set_etag(response, row.etag)
    return template(_read(row))


def _read(row: HardwareTemplate) -> HardwareTemplateRead:
    return HardwareTemplateRead(
        id=row.id,
        organization_id=row.organization_id,
        vendor=row.vendor,
        name=row.name,
        is_dc=row.is_dc,
        evses=layout_of_template(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
        etag=row.etag,
    )


@router.get("/chargestation-templates", response_model=list[GreenFluxTemplate])
async def list_templates(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
    date_from: Annotated[
        datetime | None, Query(description="Only templates changed at or after this time.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> list[GreenFluxTemplate]:
    limit = min(limit, runtime.settings.api.page_size_max)
    rows, more = await HardwareTemplateRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=limit,
        updated_since=_utc(date_from),
        vendor=None,
    )
    response.headers["X-Limit"] = str(limit)
    if more:
        following = request.url.include_query_params(cursor=encode_cursor(rows[-1].id))
        response.headers["Link"] = f'<{following}>; rel="next"'
    return [template(_read(row)) for row in rows]


@router.get("/chargestation-templates/{template_id}", response_model=GreenFluxTemplate)
async def get_template(
    template_id: DbId, response: Response, session: ReadSession, principal: ReadingPrincipal
) -> GreenFluxTemplate:
    row = await HardwareTemplateService(session).get(principal.organization_id, template_id)
    return _template(row, response)


@router.put(
    "/chargestation-templates",
    response_model=GreenFluxTemplate,
    status_code=status.HTTP_201_CREATED,
)
async def create_template(
    body: GreenFluxTemplatePut,
    response: Response,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
) -> GreenFluxTemplate:
    """PUT on the collection creates (the id comes from chargeplane)."""
    if body.etag is not None:
        raise InvalidRequest(
            "a new template has no etag",
            fields=[{"field": "body.etag", "code": "read_only_field", "message": "read only"}],
        )
    native_body = build(
        HardwareTemplateCreate,
        {
            "vendor": body.vendor,
            "name": body.model,
            "is_dc": body.is_dc,
            "evses": specs(body.evses),
        },
    )
    row = await HardwareTemplateService(session).create(
        principal.organization_id, native_body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"{PREFIX}/chargestation-templates/{row.id}"
    return _template(row, response)


@router.put("/chargestation-templates/{template_id}", response_model=GreenFluxTemplate)
async def replace_template(
    template_id: DbId,
    body: GreenFluxTemplatePut,
    request: Request,
    response: Response,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
) -> GreenFluxTemplate:
    """PUT on an item replaces it; the etag is optional and checked when given."""
    service = HardwareTemplateService(session)
    fields = {"vendor": body.vendor, "name": body.model, "is_dc": body.is_dc}
    layout = specs(body.evses)
    expected = _optional_etag(request, body.etag)
    now = runtime.clock.now()
    if expected is not None:
        replacement = build(HardwareTemplateReplace, fields | {"evses": layout})
        row = await service.replace(
            principal.organization_id, template_id, replacement, expected, now=now
        )
    else:
        update = build(HardwareTemplateUpdate, fields | {"evses": layout})
        row = await service.update(principal.organization_id, template_id, update, now=now)
    return _template(row, response)
