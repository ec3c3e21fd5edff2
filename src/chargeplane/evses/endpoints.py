"""``/api/v1/chargers/{charger_id}/evses``: a charger's EVSEs and their connectors."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response, status

from chargeplane.api.deps import ReadingPrincipal, ReadSession, RuntimeDep, Writer, WriteSession
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.params import INT32_MAX, DbId
from chargeplane.evses.schemas import EvseCreate, EvseList, EvseReplace, EvseResource, EvseUpdate
from chargeplane.evses.service import EvseService

router = APIRouter(prefix="/api/v1/chargers/{charger_id}/evses", tags=["evses"])

Number = Path(ge=1, le=INT32_MAX, description="OCPP 2.0.1 evseId; the OCPP 1.6 connectorId.")


def _read(evse: EvseResource, response: Response) -> EvseResource:
    set_etag(response, evse.etag)
    return evse


@router.get("", response_model=EvseList)
async def list_evses(
    charger_id: DbId, session: ReadSession, principal: ReadingPrincipal
) -> EvseList:
    return EvseList(data=await EvseService(session).list(principal.organization_id, charger_id))


@router.post("", response_model=EvseResource, status_code=status.HTTP_201_CREATED)
async def create_evse(
    charger_id: DbId,
    body: EvseCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> EvseResource:
    evse = await EvseService(session).create(
        principal.organization_id, charger_id, body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"/api/v1/chargers/{charger_id}/evses/{evse.number}"
    return _read(evse, response)


@router.get("/{number}", response_model=EvseResource)
async def get_evse(
    charger_id: DbId,
    session: ReadSession,
    principal: ReadingPrincipal,
    response: Response,
    number: int = Number,
) -> EvseResource:
    evse = await EvseService(session).get(principal.organization_id, charger_id, number)
    return _read(evse, response)


@router.put("/{number}", response_model=EvseResource)
async def replace_evse(
    charger_id: DbId,
    body: EvseReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
    number: int = Number,
) -> EvseResource:
    evse = await EvseService(session).replace(
        principal.organization_id,
        charger_id,
        number,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _read(evse, response)


@router.patch("/{number}", response_model=EvseResource)
async def update_evse(
    charger_id: DbId,
    body: EvseUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
    number: int = Number,
) -> EvseResource:
    evse = await EvseService(session).update(
        principal.organization_id, charger_id, number, body, now=runtime.clock.now()
    )
    return _read(evse, response)


@router.delete("/{number}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_evse(
    charger_id: DbId, session: WriteSession, principal: Writer, number: int = Number
) -> None:
    await EvseService(session).delete(principal.organization_id, charger_id, number)
