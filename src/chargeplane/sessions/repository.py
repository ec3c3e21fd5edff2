"""Every query on charging sessions and meter readings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert as sa_insert
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.params import INT32_MAX
from chargeplane.db.models import ChargingSession, MeterReading
from chargeplane.db.queries import live_update
from chargeplane.db.upsert import insert


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_if_new(self, **values: Any) -> int | None:
        """Insert a session; None when an identical start is already stored."""
        stmt = (
            insert(self.session, ChargingSession)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=["charger_id", "evse_number", "started_at", "meter_start", "id_tag"]
            )
            .returning(ChargingSession.id)
        )
        transaction_id: int | None = await self.session.scalar(stmt)
        return transaction_id

    async def find_identical_start(
        self,
        *,
        charger_id: int,
        evse_number: int,
        started_at: datetime,
        meter_start: int,
        id_tag: str,
    ) -> int | None:
        return await self.session.scalar(
            select(ChargingSession.id).where(
                ChargingSession.charger_id == charger_id,
                ChargingSession.evse_number == evse_number,
                ChargingSession.started_at == started_at,
                ChargingSession.meter_start == meter_start,
                ChargingSession.id_tag == id_tag,
            )
        )

    async def active_on_evse(self, charger_id: int, evse_number: int) -> Sequence[ChargingSession]:
        return (
            await self.session.scalars(
                select(ChargingSession).where(
                    ChargingSession.charger_id == charger_id,
                    ChargingSession.evse_number == evse_number,
                    ChargingSession.state == "active",
                )
            )
        ).all()

    async def get_for_charger(self, transaction_id: int, charger_id: int) -> ChargingSession | None:
        """The session with this transaction id, if it belongs to the charger."""
        if not 0 < transaction_id <= INT32_MAX:  # we never issued it
            return None
        return (
            await self.session.scalars(
                select(ChargingSession).where(
                    ChargingSession.id == transaction_id,
                    ChargingSession.charger_id == charger_id,
                )
            )
        ).first()

    async def update(self, session_id: int, **values: Any) -> None:
        await self.session.execute(
            live_update(ChargingSession).where(ChargingSession.id == session_id).values(**values)
        )

    async def add_readings(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(sa_insert(MeterReading), rows)

    async def active_for_chargers(self, charger_ids: Sequence[int]) -> Sequence[ChargingSession]:
        if not charger_ids:
            return []
        return (
            await self.session.scalars(
                select(ChargingSession)
                .where(
                    ChargingSession.charger_id.in_(charger_ids),
                    ChargingSession.state == "active",
                )
                .order_by(ChargingSession.id)
            )
        ).all()
