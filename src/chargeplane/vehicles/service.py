"""Rules of vehicles: the customer and id token named are the organization's own; a vehicle
in use is not deleted. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.customers.service import CustomerService, in_use
from chargeplane.db.models import Vehicle
from chargeplane.errors import NotFound, PreconditionFailed
from chargeplane.tokens.service import IdTokenService
from chargeplane.vehicles.repository import VehicleRepository
from chargeplane.vehicles.schemas import VehicleCreate, VehicleReplace, VehicleUpdate


class VehicleService:
    def __init__(self, session: AsyncSession) -> None:
        self.vehicles = VehicleRepository(session)
        self.customers = CustomerService(session)
        self.tokens = IdTokenService(session)

    async def get(self, organization_id: int, vehicle_id: int) -> Vehicle:
        vehicle = await self.vehicles.get(organization_id, vehicle_id)
        if vehicle is None:
            raise NotFound("vehicle not found")
        return vehicle

    async def _check_references(self, organization_id: int, values: dict[str, Any]) -> None:
        if "customer_id" in values:
            await self.customers.check(organization_id, values["customer_id"], "customer_id")
        if "id_token_id" in values:
            await self.tokens.check(organization_id, values["id_token_id"], "id_token_id")

    async def create(self, organization_id: int, body: VehicleCreate, *, now: datetime) -> Vehicle:
        values = body.model_dump()
        await self._check_references(organization_id, values)
        return await self.vehicles.add(
            Vehicle(organization_id=organization_id, created_at=now, updated_at=now, **values)
        )

    async def _change(
        self,
        organization_id: int,
        vehicle_id: int,
        expected: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> Vehicle:
        vehicle = await self.get(organization_id, vehicle_id)
        if expected is not None and vehicle.etag != expected:
            raise PreconditionFailed()
        if values:
            await self._check_references(organization_id, values)
            etag = await self.vehicles.change(vehicle_id, expected or vehicle.etag, values, now=now)
            if etag is None:
                raise PreconditionFailed()
            await self.vehicles.session.refresh(vehicle)
        return vehicle

    async def replace(
        self,
        organization_id: int,
        vehicle_id: int,
        body: VehicleReplace,
        expected: str,
        *,
        now: datetime,
    ) -> Vehicle:
        values = body.model_dump(exclude={"etag"})
        return await self._change(organization_id, vehicle_id, expected, values, now=now)

    async def update(
        self, organization_id: int, vehicle_id: int, body: VehicleUpdate, *, now: datetime
    ) -> Vehicle:
        return await self._change(organization_id, vehicle_id, None, body.given(), now=now)

    async def delete(self, organization_id: int, vehicle_id: int) -> None:
        vehicle = await self.get(organization_id, vehicle_id)
        if await self.vehicles.session_count(vehicle_id):
            raise in_use("vehicle")
        try:
            await self.vehicles.delete(vehicle)
        except IntegrityError as exc:
            raise in_use("vehicle") from exc
