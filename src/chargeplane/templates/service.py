"""Rules of hardware templates: the layout is stored as plain JSON; a template a charger
references is not deleted. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import HardwareTemplate
from chargeplane.errors import Conflict, NotFound, PreconditionFailed
from chargeplane.layout import EvseSpec
from chargeplane.templates.repository import HardwareTemplateRepository
from chargeplane.templates.schemas import (
    HardwareTemplateCreate,
    HardwareTemplateReplace,
    HardwareTemplateUpdate,
)


def _columns(values: dict[str, Any], evses: list[EvseSpec] | None) -> dict[str, Any]:
    """API fields to columns: ``evses`` is stored as the JSON ``layout``."""
    values = {k: v for k, v in values.items() if k not in {"evses", "etag"}}
    if evses is not None:
        values["layout"] = [e.model_dump(mode="json") for e in evses]
    return values


class HardwareTemplateService:
    def __init__(self, session: AsyncSession) -> None:
        self.templates = HardwareTemplateRepository(session)

    async def get(self, organization_id: int, template_id: int) -> HardwareTemplate:
        template = await self.templates.get(organization_id, template_id)
        if template is None:
            raise NotFound("hardware template not found")
        return template

    async def create(
        self, organization_id: int, body: HardwareTemplateCreate, *, now: datetime
    ) -> HardwareTemplate:
        values = _columns(body.model_dump(), body.evses)
        return await self.templates.add(
            HardwareTemplate(
                organization_id=organization_id, created_at=now, updated_at=now, **values
            )
        )

    async def _change(
        self,
        organization_id: int,
        template_id: int,
        expected: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> HardwareTemplate:
        template = await self.get(organization_id, template_id)
        if expected is not None and template.etag != expected:
            raise PreconditionFailed()
        if values:
            changed = await self.templates.change(
                template_id, expected or template.etag, values, now=now
            )
            if changed is None:
                raise PreconditionFailed()
            await self.templates.session.refresh(template)
        return template

    async def replace(
        self,
        organization_id: int,
        template_id: int,
        body: HardwareTemplateReplace,
        expected: str,
        *,
        now: datetime,
    ) -> HardwareTemplate:
        values = _columns(body.model_dump(), body.evses)
        return await self._change(organization_id, template_id, expected, values, now=now)

    async def update(
        self,
        organization_id: int,
        template_id: int,
        body: HardwareTemplateUpdate,
        *,
        now: datetime,
    ) -> HardwareTemplate:
        values = _columns(body.given(), body.evses)
        return await self._change(organization_id, template_id, None, values, now=now)

    async def delete(self, organization_id: int, template_id: int) -> None:
        template = await self.get(organization_id, template_id)
        if await self.templates.charger_count(template_id):
            raise Conflict("chargers still use this template", code="template_in_use")
        await self.templates.delete(template)
