"""Rules of organizations: a caller sees and changes only its own; names are unique;
creating one is an operator action (CLI). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import Organization
from chargeplane.errors import Conflict, NotFound, PreconditionFailed
from chargeplane.organizations.repository import NameTaken, OrganizationRepository
from chargeplane.organizations.schemas import OrganizationReplace, OrganizationUpdate


def _name_taken(name: str) -> Conflict:
    return Conflict(f"an organization named {name!r} already exists", code="name_taken")


class OrganizationService:
    def __init__(self, session: AsyncSession) -> None:
        self.organizations = OrganizationRepository(session)

    async def create(self, name: str, *, now: datetime) -> Organization:
        """A new organization (operator action); :class:`Conflict` if the name is taken."""
        org_id = await self.organizations.create(name, now=now)
        if org_id is None:
            raise _name_taken(name)
        org = await self.organizations.get(org_id)
        assert org is not None
        return org

    async def all(self) -> Sequence[Organization]:
        """Every organization (operator action)."""
        return await self.organizations.all()

    async def by_name(self, name: str) -> Organization:
        org = await self.organizations.by_name(name)
        if org is None:
            raise NotFound(f"no organization named {name!r}")
        return org

    async def get(self, own_id: int, organization_id: int) -> Organization:
        """Organization ``organization_id`` as seen by a caller of ``own_id``: another's is
        not found."""
        org = await self.organizations.get(organization_id) if organization_id == own_id else None
        if org is None:
            raise NotFound("organization not found")
        return org

    async def _change(
        self,
        own_id: int,
        organization_id: int,
        expected: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> Organization:
        org = await self.get(own_id, organization_id)
        if expected is not None and org.etag != expected:
            raise PreconditionFailed()
        if values:
            try:
                changed = await self.organizations.change(
                    org.id, expected or org.etag, values, now=now
                )
            except NameTaken:
                raise _name_taken(values["name"]) from None
            if changed is None:
                raise PreconditionFailed()
            await self.organizations.session.refresh(org)
        return org

    async def replace(
        self,
        own_id: int,
        organization_id: int,
        body: OrganizationReplace,
        expected: str,
        *,
        now: datetime,
    ) -> Organization:
        values = body.model_dump(exclude={"etag"})
        return await self._change(own_id, organization_id, expected, values, now=now)

    async def update(
        self, own_id: int, organization_id: int, body: OrganizationUpdate, *, now: datetime
    ) -> Organization:
        return await self._change(own_id, organization_id, None, body.given(), now=now)
