"""Writes whose results nobody waits for, run once per unit of work: each statement's rows go
to the database in one executemany (in slices) just before the commit, instead of one
statement per message. They are the rows the OCPP side only ever appends (status history,
meter readings, the raw message log) and the updates that only record what a charger said
(its heartbeat, the status of a connector, the latest readings of a session the gateway
knows is the charger's).

A statement costs SQLAlchemy ~50 µs of fixed work on SQLite and a round trip on PostgreSQL,
whatever its rows; a group-commit batch holds tens of messages, most of which write such rows.
Writing them at the end of the unit of work changes no result: nothing in it reads the
appended tables back, and a gateway handles a charger's messages one at a time, so the works
of a batch are of different chargers and none reads the heartbeat or status that another
queued. The updates keep their own ordering rules (a status or a reading older by the
charger's clock does not win). Everything commits together, before any answer is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.prepared import Prepared

_PENDING = "chargeplane.appends"
_CHUNK = 256  # rows per executemany: ~1-2 ms of the event loop on SQLite


def append(session: AsyncSession, statement: Prepared, rows: Sequence[dict[str, Any]]) -> None:
    """Queue ``rows`` for ``statement`` (a prebuilt INSERT or UPDATE, its result unread) until
    the unit of work ends."""
    if rows:
        pending: dict[Prepared, list[dict[str, Any]]] = session.info.setdefault(_PENDING, {})
        pending.setdefault(statement, []).extend(rows)


def discard_appends(session: AsyncSession) -> None:
    """Forget what ``session`` queued: its transaction rolled back (a session that lives on,
    as a committer's does, must not carry them into the next one)."""
    session.info.pop(_PENDING, None)


async def write_appends(session: AsyncSession) -> None:
    """Write everything queued in ``session``: one executemany per statement, in the order
    each was first queued."""
    pending: dict[Prepared, list[dict[str, Any]]] | None = session.info.pop(_PENDING, None)
    for statement, rows in (pending or {}).items():
        for start in range(0, len(rows), _CHUNK):
            await statement.run_many(session, rows[start : start + _CHUNK])
            if start + _CHUNK < len(rows):
                # SQLite statements run without yielding (db/engine.py): a large batch's
                # rows (a storm, a backlog) are written in slices, as its works are applied.
                await asyncio.sleep(0)
