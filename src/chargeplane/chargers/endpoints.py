"""``/api/v1/chargers``: chargers with their live state, and their management."""

from __future__ import annotations

from typing import Annotated, Any

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
from chargeplane.api.params import DbId, UtcDatetime
from chargeplane.apikeys.service import Principal
from chargeplane.chargers.management import ChargerManagement
from chargeplane.chargers.repository import ChargerRepository
from chargeplane.chargers.schemas import (
    ChargerCreate,
    ChargerPage,
    ChargerRead,
    ChargerReplace,
    ChargerUpdate,
)
from chargeplane.chargers.snapshot import redacted, snapshots
from chargeplane.crypto import Sealer
from chargeplane.db.prepared import flush_pending
from chargeplane.errors import NotFound
from chargeplane.vocab import Connectivity

router = APIRouter(prefix="/api/v1/chargers", tags=["chargers"])


async def snapshot_of(
    session: AsyncSession, principal: Principal, sealer: Sealer, **by: Any
) -> ChargerRead:
    """One charger of the caller's organization, as the caller may see it (404 otherwise)."""
    await flush_pending(session)  # a write endpoint reads back what it changed
    charger = await ChargerRepository(session).get(principal.organization_id, **by)
    if charger is None:
        raise NotFound("charger not found")
    (snapshot,) = await snapshots(session, [charger], sealer)
    return redacted(snapshot, sensitive=principal.sensitive)


def _send(snapshot: ChargerRead, response: Response) -> ChargerRead:
    set_etag(response, snapshot.etag)
    return snapshot


@router.get("", response_model=ChargerPage)
async def list_chargers(
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    updated_since: Annotated[
        UtcDatetime | None,
        Query(
            description="Only chargers changed at or after this time (live OCPP state "
            "changes do not count)."
        ),
    ] = None,
    site_id: DbId | None = None,
    connectivity: Connectivity | None = None,
    status: Annotated[
        str | None, Query(description="OCPP status of the charger or any of its EVSEs.")
    ] = None,
) -> ChargerPage:
    rows, more = await ChargerRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=min(limit, runtime.settings.api.page_size_max),
        updated_since=updated_since,
        site_id=site_id,
        connectivity=connectivity,
        status=status,
    )
    return ChargerPage(
        data=[
            redacted(s, sensitive=principal.sensitive)
            for s in await snapshots(session, rows, runtime.sealer)
        ],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@router.post("", response_model=ChargerRead, status_code=status.HTTP_201_CREATED)
async def create_charger(
    body: ChargerCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> ChargerRead:
    charger_id = await ChargerManagement(session, runtime.sealer).create(
        principal.organization_id, body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"/api/v1/chargers/{charger_id}"
    return _send(await snapshot_of(session, principal, runtime.sealer, id=charger_id), response)


@router.get("/{charger_id}", response_model=ChargerRead)
async def get_charger(
    charger_id: DbId,
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
    response: Response,
) -> ChargerRead:
    return _send(await snapshot_of(session, principal, runtime.sealer, id=charger_id), response)


@router.put("/{charger_id}", response_model=ChargerRead)
async def replace_charger(
    charger_id: DbId,
    body: ChargerReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> ChargerRead:
    await ChargerManagement(session, runtime.sealer).replace(
        principal.organization_id,
        charger_id,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _send(await snapshot_of(session, principal, runtime.sealer, id=charger_id), response)


@router.patch("/{charger_id}", response_model=ChargerRead)
async def update_charger(
    charger_id: DbId,
    body: ChargerUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> ChargerRead:
    await ChargerManagement(session, runtime.sealer).update(
        principal.organization_id, charger_id, body, now=runtime.clock.now()
    )
    return _send(await snapshot_of(session, principal, runtime.sealer, id=charger_id), response)


@router.delete("/{charger_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_charger(
    charger_id: DbId, session: WriteSession, principal: Writer, runtime: RuntimeDep
) -> None:
    await ChargerManagement(session, runtime.sealer).delete(principal.organization_id, charger_id)


@router.get("/by-ocpp-id/{ocpp_id}", response_model=ChargerRead)
async def get_charger_by_ocpp_id(
    ocpp_id: str,
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
    response: Response,
) -> ChargerRead:
    return _send(await snapshot_of(session, principal, runtime.sealer, ocpp_id=ocpp_id), response)


@router.get("/by-external-id/{external_id}", response_model=ChargerRead)
async def get_charger_by_external_id(
    external_id: str,
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
    response: Response,
) -> ChargerRead:
    return _send(
        await snapshot_of(session, principal, runtime.sealer, external_id=external_id), response
    )


@router.get("/by-uuid/{uuid}", response_model=ChargerRead)
async def get_charger_by_uuid(
    uuid: str,
    session: ReadSession,
    principal: ReadingPrincipal,
    runtime: RuntimeDep,
    response: Response,
) -> ChargerRead:
    return _send(await snapshot_of(session, principal, runtime.sealer, uuid=uuid), response)
