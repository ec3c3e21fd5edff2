"""Rows the OCPP side only ever appends (status history, meter readings, the raw message log),
written once per unit of work: each statement's rows go to the database in one executemany
(in slices) just before the commit, instead of one INSERT per message.

An INSERT costs SQLAlchemy ~50 µs of fixed work on SQLite and a round trip on PostgreSQL,
whatever its rows; a group-commit batch holds tens of messages, most of which append rows.
Nothing in a unit of work reads these tables back, so writing them at its end changes no
result; they commit with everything else, before any answer is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.prepared import Prepared

_PENDING = "chargeplane.appends"
_CHUNK = 256  # rows per INSERT: ~1-2 ms of the event loop on SQLite


def append(session: AsyncSession, statement: Prepared, rows: Sequence[dict[str, Any]]) -> None:
    """Queue ``rows`` for ``statement`` (a prebuilt INSERT) until the unit of work ends."""
    if rows:
        pending: dict[Prepared, list[dict[str, Any]]] = session.info.setdefault(_PENDING, {})
        pending.setdefault(statement, []).extend(rows)


def discard_appends(session: AsyncSession) -> None:
    """Forget what ``session`` queued: its transaction rolled back (a session that lives on,
    as a committer's does, must not carry them into the next one)."""
    session.info.pop(_PENDING, None)


async def write_appends(session: AsyncSession) -> None:
    """Insert everything queued in ``session``: one executemany per statement, in order."""
    pending: dict[Prepared, list[dict[str, Any]]] | None = session.info.pop(_PENDING, None)
    for statement, rows in (pending or {}).items():
        for start in range(0, len(rows), _CHUNK):
            await statement.run_many(session, rows[start : start + _CHUNK])
            if start + _CHUNK < len(rows):
                # SQLite statements run without yielding (db/engine.py): a large batch's
                # rows (a storm, a backlog) are written in slices, as its works are applied.
                await asyncio.sleep(0)
