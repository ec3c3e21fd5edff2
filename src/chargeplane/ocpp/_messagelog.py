"""The raw OCPP message log: every frame, both directions, written in batches off the
request path and purged after the retention period.

A batch goes every 50 ms, not every 500: at 1,500 msg/s a half-second flush was ~1,500 rows in
one unit of work, and the group committer spent 20-40 ms writing them while every charger's
work waited behind it (timed inside group commit). Small batches cost the same per row."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.clock import Clock
from chargeplane.db.group_commit import GroupCommit
from chargeplane.messages.repository import MessageLogRepository

log = logging.getLogger(__name__)

_HEAD = re.compile(r'\s*\[\s*(\d)\s*,\s*"([^"]{0,64})"\s*(?:,\s*"([^"]{0,64})")?')


class MessageLog:
    def __init__(
        self,
        committer: GroupCommit,
        clock: Clock,
        *,
        node_name: str,
        enabled: bool,
        retention: timedelta,
        flush_interval: float = 0.05,
        max_buffer: int = 200_000,
    ) -> None:
        self.committer, self.clock, self.node_name = committer, clock, node_name
        self.enabled, self.retention, self.flush_interval = enabled, retention, flush_interval
        self._buffer: deque[tuple[str, str, str, datetime]] = deque(maxlen=max_buffer)
        self._purged_at: datetime | None = None

    def record(self, ocpp_id: str, direction: str, frame: str) -> None:
        if self.enabled:
            self._buffer.append((ocpp_id, direction, frame, self.clock.now()))

    async def flush(self) -> int:
        if not self._buffer:
            return 0
        rows = []
        while self._buffer:
            ocpp_id, direction, frame, at = self._buffer.popleft()
            head = _HEAD.match(frame)
            message_type = int(head.group(1)) if head else None
            rows.append(
                {
                    "ocpp_id": ocpp_id,
                    "direction": direction,
                    "message_type": message_type,
                    "unique_id": head.group(2) if head else None,
                    "action": head.group(3) if head and message_type == 2 else None,
                    "frame": frame,
                    "at": at,
                    "node_name": self.node_name,
                }
            )

        async def write(session: AsyncSession) -> None:
            MessageLogRepository(session).add_many(rows)

        await self.committer.run(write)
        return len(rows)

    async def purge(self) -> int:
        cutoff = self.clock.now() - self.retention

        async def purge(session: AsyncSession) -> int:
            return await MessageLogRepository(session).delete_before(cutoff)

        deleted: int = await self.committer.run(purge)
        return deleted

    async def run(self) -> None:
        """Flush every ``flush_interval``; purge hourly. Runs until cancelled."""
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.flush()
                now = self.clock.now()
                if self._purged_at is None or now - self._purged_at > timedelta(hours=1):
                    self._purged_at = now
                    await self.purge()
            except Exception:
                log.exception("message log: write failed; will retry")
