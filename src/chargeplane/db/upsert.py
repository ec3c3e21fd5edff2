"""``INSERT … ON CONFLICT`` for the two backends we run on (both speak it; SQLAlchemy spells
it per dialect)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    """A dialect-specific ``insert(table)`` that offers ``on_conflict_do_*``."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
