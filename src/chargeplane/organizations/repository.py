from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import Organization
from chargeplane.db.upsert import insert


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_or_create(self, name: str, *, now: datetime) -> int:
        """The id of the organization called ``name``, created if missing (race-safe)."""
        stmt = (
            insert(self.session, Organization)
            .values(name=name, created_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        await self.session.execute(stmt)
        org_id = await self.session.scalar(select(Organization.id).where(Organization.name == name))
        assert org_id is not None
        return org_id
