"""Every query on sites."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import Charger, Site
from chargeplane.db.queries import compare_and_set, of_organization, owned, page


class SiteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: int, site_id: int) -> Site | None:
        return await owned(self.session, Site, organization_id, site_id)

    async def list(
        self,
        organization_id: int,
        *,
        after_id: int | None,
        limit: int,
        updated_since: datetime | None,
    ) -> tuple[Sequence[Site], bool]:
        stmt = of_organization(Site, organization_id, updated_since=updated_since)
        return await page(self.session, stmt, Site.id, after_id=after_id, limit=limit)

    async def add(self, site: Site) -> Site:
        self.session.add(site)
        await self.session.flush()
        return site

    async def change(
        self, site_id: int, expected_etag: str | None, values: dict[str, Any], *, now: datetime
    ) -> str | None:
        return await compare_and_set(self.session, Site, site_id, expected_etag, values, now=now)

    async def charger_count(self, site_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Charger).where(Charger.site_id == site_id)
        )
        return int(count or 0)

    async def delete(self, site: Site) -> None:
        await self.session.delete(site)
