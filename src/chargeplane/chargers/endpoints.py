"""``/api/v1/chargers``: the read side of chargers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from chargeplane.api.deps import PrincipalDep, ReadSession, RuntimeDep
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.chargers.repository import ChargerRepository
from chargeplane.chargers.schemas import ChargerPage, ChargerRead
from chargeplane.chargers.snapshot import snapshots
from chargeplane.errors import NotFound

router = APIRouter(prefix="/api/v1/chargers", tags=["chargers"])


async def _one(session: ReadSession, principal: PrincipalDep, **by: Any) -> ChargerRead:
    charger = await ChargerRepository(session).get(principal.organization_id, **by)
    if charger is None:
        raise NotFound("charger not found")
    (snapshot,) = await snapshots(session, [charger])
    return snapshot


@router.get("", response_model=ChargerPage)
async def list_chargers(
    session: ReadSession,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ChargerPage:
    limit = min(limit, runtime.settings.api.page_size_max)
    rows = await ChargerRepository(session).list(
        principal.organization_id, after_id=decode_cursor(cursor), limit=limit + 1
    )
    page = rows[:limit]
    return ChargerPage(
        data=await snapshots(session, page),
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
    )


@router.get("/{charger_id}", response_model=ChargerRead)
async def get_charger(
    charger_id: int, session: ReadSession, principal: PrincipalDep
) -> ChargerRead:
    return await _one(session, principal, id=charger_id)


@router.get("/by-ocpp-id/{ocpp_id}", response_model=ChargerRead)
async def get_charger_by_ocpp_id(
    ocpp_id: str, session: ReadSession, principal: PrincipalDep
) -> ChargerRead:
    return await _one(session, principal, ocpp_id=ocpp_id)


@router.get("/by-external-id/{external_id}", response_model=ChargerRead)
async def get_charger_by_external_id(
    external_id: str, session: ReadSession, principal: PrincipalDep
) -> ChargerRead:
    return await _one(session, principal, external_id=external_id)


@router.get("/by-uuid/{uuid}", response_model=ChargerRead)
async def get_charger_by_uuid(
    uuid: str, session: ReadSession, principal: PrincipalDep
) -> ChargerRead:
    return await _one(session, principal, uuid=uuid)
