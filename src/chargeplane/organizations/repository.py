"""Every query on organizations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import Organization
from chargeplane.db.queries import compare_and_set
from chargeplane.db.upsert import insert


class NameTaken(Exception):
    """Another organization has this name."""


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

    async def create(self, name: str, *, now: datetime) -> int | None:
        """The id of a new organization called ``name``; None if the name is taken
        (race-safe: the unique index decides)."""
        stmt = (
            insert(self.session, Organization)
            .values(name=name, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(Organization.id)
        )
        org_id: int | None = await self.session.scalar(stmt)
        return org_id

    async def get(self, organization_id: int) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def by_name(self, name: str) -> Organization | None:
        stmt = select(Organization).where(Organization.name == name)
        return (await self.session.scalars(stmt)).first()

    async def all(self) -> Sequence[Organization]:
        return (await self.session.scalars(select(Organization).order_by(Organization.id))).all()

    async def change(
        self,
        organization_id: int,
        expected_etag: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> str | None:
        """As :func:`compare_and_set`; raises :class:`NameTaken` when the new name is another
        organization's (in a savepoint, so the unit of work goes on)."""
        try:
            async with self.session.begin_nested():
                return await compare_and_set(
                    self.session, Organization, organization_id, expected_etag, values, now=now
                )
        except IntegrityError as exc:
            raise NameTaken(values.get("name")) from exc
