"""Every query on the raw OCPP message log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.appends import append
from chargeplane.db.base import table_of
from chargeplane.db.models import OcppMessage
from chargeplane.db.prepared import Prepared


class MessageLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Queued: written when the unit of work ends, in slices that let the event loop turn
        between them (db/appends.py). A flush holds every frame of the last half second."""
        # A Core INSERT on the table: the ORM's bulk path costs more per row than the
        # executemany itself, and every frame in both directions is a row.
        append(self.session, _ADD, rows)

    async def delete_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(OcppMessage).where(OcppMessage.at < cutoff))
        return int(result.rowcount)  # type: ignore[attr-defined]


_ADD = Prepared(insert(table_of(OcppMessage)))
