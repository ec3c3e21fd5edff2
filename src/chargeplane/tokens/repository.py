"""Every query on id tokens, customers and vehicles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import Customer, IdToken, Vehicle


class TokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, organization_id: int, value: str) -> IdToken | None:
        return (
            await self.session.scalars(
                select(IdToken).where(
                    IdToken.organization_id == organization_id, IdToken.value == value
                )
            )
        ).first()

    async def vehicle_for(self, id_token_id: int | None, customer_id: int | None) -> int | None:
        """The vehicle linked to the token, else the customer's only vehicle."""
        if id_token_id is not None:
            vehicle_id = await self.session.scalar(
                select(Vehicle.id).where(Vehicle.id_token_id == id_token_id).order_by(Vehicle.id)
            )
            if vehicle_id is not None:
                return vehicle_id
        if customer_id is not None:
            ids = (
                await self.session.scalars(
                    select(Vehicle.id).where(Vehicle.customer_id == customer_id).limit(2)
                )
            ).all()
            if len(ids) == 1:
                return ids[0]
        return None

    async def tokens_by_id(self, ids: set[int]) -> dict[int, IdToken]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(IdToken).where(IdToken.id.in_(ids)))
        return {row.id: row for row in rows}

    async def customers_by_id(self, ids: set[int]) -> dict[int, Customer]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Customer).where(Customer.id.in_(ids)))
        return {row.id: row for row in rows}

    async def vehicles_by_id(self, ids: set[int]) -> dict[int, Vehicle]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Vehicle).where(Vehicle.id.in_(ids)))
        return {row.id: row for row in rows}
