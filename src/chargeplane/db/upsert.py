"""``INSERT … ON CONFLICT`` for the two backends we run on (both speak it; SQLAlchemy spells
it per dialect), and statements built once per dialect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

S = TypeVar("S")

_INSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert(session: AsyncSession, table: Any) -> Any:
    """A dialect-specific ``insert(table)`` that offers ``on_conflict_do_*``."""
    return _INSERTS[dialect_of(session)](table)


class per_dialect(Generic[S]):
    """A statement built once per dialect from ``build(insert)``, where ``insert`` is that
    dialect's ``insert``: ``STMT[dialect_of(session)]``."""

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[Callable[[Any], Any]], S]) -> None:
        self._build = build
        self._built: dict[str, S] = {}

    def __getitem__(self, dialect: str) -> S:
        stmt = self._built.get(dialect)
        if stmt is None:
            stmt = self._built[dialect] = self._build(_INSERTS[dialect])
        return stmt
