"""Every query on hardware templates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import Charger, HardwareTemplate
from chargeplane.db.queries import compare_and_set, of_organization, owned, page


class HardwareTemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: int, template_id: int) -> HardwareTemplate | None:
        return await owned(self.session, HardwareTemplate, organization_id, template_id)

    async def list(
        self,
        organization_id: int,
        *,
        after_id: int | None,
        limit: int,
        updated_since: datetime | None,
        vendor: str | None,
    ) -> tuple[Sequence[HardwareTemplate], bool]:
        stmt = of_organization(HardwareTemplate, organization_id, updated_since=updated_since)
        if vendor is not None:
            stmt = stmt.where(HardwareTemplate.vendor == vendor)
        return await page(self.session, stmt, HardwareTemplate.id, after_id=after_id, limit=limit)

    async def add(self, template: HardwareTemplate) -> HardwareTemplate:
        self.session.add(template)
        await self.session.flush()
        return template

    async def change(
        self, template_id: int, expected_etag: str | None, values: dict[str, Any], *, now: datetime
    ) -> str | None:
        return await compare_and_set(
            self.session, HardwareTemplate, template_id, expected_etag, values, now=now
        )

    async def charger_count(self, template_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Charger)
            .where(Charger.hardware_template_id == template_id)
        )
        return int(count or 0)

    async def delete(self, template: HardwareTemplate) -> None:
        await self.session.delete(template)
