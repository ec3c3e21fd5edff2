"""Every query on customers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import ChargingSession, Customer, IdToken, Vehicle
from chargeplane.db.queries import compare_and_set, of_organization, owned, page


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: int, customer_id: int) -> Customer | None:
        return await owned(self.session, Customer, organization_id, customer_id)

    async def list(
        self,
        organization_id: int,
        *,
        after_id: int | None,
        limit: int,
        updated_since: datetime | None,
    ) -> tuple[Sequence[Customer], bool]:
        stmt = of_organization(Customer, organization_id, updated_since=updated_since)
        return await page(self.session, stmt, Customer.id, after_id=after_id, limit=limit)

    async def add(self, customer: Customer) -> Customer:
        self.session.add(customer)
        await self.session.flush()
        return customer

    async def change(
        self, customer_id: int, expected_etag: str | None, values: dict[str, Any], *, now: datetime
    ) -> str | None:
        return await compare_and_set(
            self.session, Customer, customer_id, expected_etag, values, now=now
        )

    async def holder_count(self, customer_id: int) -> int:
        """Id tokens and vehicles of the customer."""
        count = 0
        for model in (IdToken, Vehicle):
            count += int(
                await self.session.scalar(
                    select(func.count()).select_from(model).where(model.customer_id == customer_id)
                )
                or 0
            )
        return count

    async def session_count(self, customer_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ChargingSession)
            .where(ChargingSession.customer_id == customer_id)
        )
        return int(count or 0)

    async def delete(self, customer: Customer) -> None:
        """Flushed at once, so a row referencing it meanwhile fails here, not at commit."""
        await self.session.delete(customer)
        await self.session.flush()
