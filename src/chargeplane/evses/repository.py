"""Every query on EVSEs and their connectors (the API side; the OCPP side creates EVSEs on
first sight in ``chargers.repository``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from chargeplane.db import upsert
from chargeplane.db.base import new_etag
from chargeplane.db.models import Charger, ChargingSession, Connector, Evse
from chargeplane.db.queries import compare_and_set
from chargeplane.layout import ConnectorSpec


class EvseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def charger(self, charger_id: int, organization_id: int | None = None) -> Charger | None:
        """The charger with its EVSEs and connectors freshly loaded (rows already in the
        session are refreshed: writes here go around the identity map)."""
        stmt = (
            select(Charger)
            .where(Charger.id == charger_id)
            .options(selectinload(Charger.evses).selectinload(Evse.connectors))
            .execution_options(populate_existing=True)
        )
        if organization_id is not None:
            stmt = stmt.where(Charger.organization_id == organization_id)
        return (await self.session.scalars(stmt)).first()

    async def numbers(self, charger_id: int) -> dict[int, int]:
        """``{number: id}`` of the charger's EVSEs."""
        rows = await self.session.execute(
            select(Evse.number, Evse.id).where(Evse.charger_id == charger_id)
        )
        return {number: id for number, id in rows}

    async def add(
        self, charger_id: int, number: int, values: dict[str, Any], *, now: datetime
    ) -> int | None:
        """Create EVSE ``number``; None if the charger already has one by that number."""
        stmt = (
            upsert.insert(self.session, Evse)
            .values(charger_id=charger_id, number=number, created_at=now, updated_at=now, **values)
            .on_conflict_do_nothing(index_elements=["charger_id", "number"])
            .returning(Evse.id)
        )
        evse_id: int | None = await self.session.scalar(stmt)
        return evse_id

    async def put(
        self, charger_id: int, number: int, values: dict[str, Any], *, now: datetime
    ) -> int:
        """Create EVSE ``number`` or set ``values`` on the existing row (same id, live status
        kept); a new etag either way."""
        stmt = upsert.insert(self.session, Evse).values(
            charger_id=charger_id, number=number, created_at=now, updated_at=now, **values
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["charger_id", "number"],
            set_={**values, "etag": new_etag(), "updated_at": now},
        ).returning(Evse.id)
        evse_id: int | None = await self.session.scalar(stmt)
        assert evse_id is not None
        return evse_id

    async def change(
        self, evse_id: int, expected_etag: str | None, values: dict[str, Any], *, now: datetime
    ) -> str | None:
        return await compare_and_set(self.session, Evse, evse_id, expected_etag, values, now=now)

    async def replace_connectors(
        self, evse_id: int, connectors: Sequence[ConnectorSpec], *, now: datetime
    ) -> None:
        await self.session.execute(delete(Connector).where(Connector.evse_id == evse_id))
        if connectors:
            await self.session.execute(
                insert(Connector),
                [
                    {**c.model_dump(), "evse_id": evse_id, "created_at": now, "updated_at": now}
                    for c in connectors
                ],
            )

    async def session_count(self, evse_ids: Collection[int]) -> int:
        """Charging sessions (of any state) on these EVSEs."""
        if not evse_ids:
            return 0
        count = await self.session.scalar(
            select(func.count())
            .select_from(ChargingSession)
            .where(ChargingSession.evse_id.in_(evse_ids))
        )
        return int(count or 0)

    async def delete(self, evse_ids: Collection[int]) -> None:
        """Delete EVSEs; their connectors go with them (ON DELETE CASCADE)."""
        if evse_ids:
            await self.session.execute(
                delete(Evse)
                .where(Evse.id.in_(evse_ids))
                .execution_options(synchronize_session=False)
            )
