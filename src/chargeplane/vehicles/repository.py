"""Every query on vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import ChargingSession, Vehicle
from chargeplane.db.queries import compare_and_set, of_organization, owned, page


class VehicleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: int, vehicle_id: int) -> Vehicle | None:
        return await owned(self.session, Vehicle, organization_id, vehicle_id)

    async def list(
        self,
        organization_id: int,
        *,
        after_id: int | None,
        limit: int,
        updated_since: datetime | None = None,
        customer_id: int | None = None,
        id_token_id: int | None = None,
    ) -> tuple[Sequence[Vehicle], bool]:
        stmt = of_organization(Vehicle, organization_id, updated_since=updated_since)
        if customer_id is not None:
            stmt = stmt.where(Vehicle.customer_id == customer_id)
        if id_token_id is not None:
            stmt = stmt.where(Vehicle.id_token_id == id_token_id)
        return await page(self.session, stmt, Vehicle.id, after_id=after_id, limit=limit)

    async def add(self, vehicle: Vehicle) -> Vehicle:
        self.session.add(vehicle)
        await self.session.flush()
        return vehicle

    async def change(
        self, vehicle_id: int, expected_etag: str | None, values: dict[str, Any], *, now: datetime
    ) -> str | None:
        return await compare_and_set(
            self.session, Vehicle, vehicle_id, expected_etag, values, now=now
        )

    async def session_count(self, vehicle_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ChargingSession)
            .where(ChargingSession.vehicle_id == vehicle_id)
        )
        return int(count or 0)

    async def delete(self, vehicle: Vehicle) -> None:
        """Flushed at once, so a row referencing it meanwhile fails here, not at commit."""
        await self.session.delete(vehicle)
        await self.session.flush()
