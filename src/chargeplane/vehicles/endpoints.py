"""``/api/v1/vehicles``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from chargeplane.api.deps import ReadingPrincipal, ReadSession, RuntimeDep, Writer, WriteSession
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.api.params import DbId, UtcDatetime
from chargeplane.db.models import Vehicle
from chargeplane.vehicles.repository import VehicleRepository
from chargeplane.vehicles.schemas import (
    VehicleCreate,
    VehiclePage,
    VehicleRead,
    VehicleReplace,
    VehicleUpdate,
)
from chargeplane.vehicles.service import VehicleService

router = APIRouter(prefix="/api/v1/vehicles", tags=["vehicles"])


def _read(vehicle: Vehicle, response: Response) -> VehicleRead:
    set_etag(response, vehicle.etag)
    return VehicleRead.model_validate(vehicle, from_attributes=True)


@router.get("", response_model=VehiclePage)
async def list_vehicles(
    session: ReadSession,
    principal: ReadingPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    updated_since: Annotated[
        UtcDatetime | None, Query(description="Only vehicles changed at or after this time.")
    ] = None,
    customer_id: Annotated[DbId | None, Query(description="Only this customer's vehicles.")] = None,
    id_token_id: Annotated[
        DbId | None, Query(description="Only the vehicles linked to this id token.")
    ] = None,
) -> VehiclePage:
    rows, more = await VehicleRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=limit,
        updated_since=updated_since,
        customer_id=customer_id,
        id_token_id=id_token_id,
    )
    return VehiclePage(
        data=[VehicleRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@router.post("", response_model=VehicleRead, status_code=status.HTTP_201_CREATED)
async def create_vehicle(
    body: VehicleCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> VehicleRead:
    vehicle = await VehicleService(session).create(
        principal.organization_id, body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"/api/v1/vehicles/{vehicle.id}"
    return _read(vehicle, response)


@router.get("/{vehicle_id}", response_model=VehicleRead)
async def get_vehicle(
    vehicle_id: DbId, session: ReadSession, principal: ReadingPrincipal, response: Response
) -> VehicleRead:
    return _read(await VehicleService(session).get(principal.organization_id, vehicle_id), response)


@router.put("/{vehicle_id}", response_model=VehicleRead)
async def replace_vehicle(
    vehicle_id: DbId,
    body: VehicleReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> VehicleRead:
    vehicle = await VehicleService(session).replace(
        principal.organization_id,
        vehicle_id,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _read(vehicle, response)


@router.patch("/{vehicle_id}", response_model=VehicleRead)
async def update_vehicle(
    vehicle_id: DbId,
    body: VehicleUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> VehicleRead:
    vehicle = await VehicleService(session).update(
        principal.organization_id, vehicle_id, body, now=runtime.clock.now()
    )
    return _read(vehicle, response)


@router.delete("/{vehicle_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_vehicle(vehicle_id: DbId, session: WriteSession, principal: Writer) -> None:
    await VehicleService(session).delete(principal.organization_id, vehicle_id)
