"""``UTCDateTime`` binds SQLite timestamps in one step: the text must be exactly what
SQLAlchemy's own SQLite DATETIME stores, so old and new rows compare and sort alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from chargeplane.db.base import UTCDateTime

SQLITE = sqlite.aiosqlite.dialect()


def stored_by_sqlalchemy(value: datetime) -> str:
    naive = value.astimezone(UTC).replace(tzinfo=None)
    process = sqlite.DATETIME().bind_processor(SQLITE)  # type: ignore[no-untyped-call]
    assert process is not None
    text: str = process(naive)
    return text


def bind(value: datetime | None) -> object:
    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    return process(value)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 22, 7, 54, 48, 265499, tzinfo=UTC),
        datetime(2026, 11, 22, 7, 54, 48, tzinfo=UTC),  # no microseconds: still six digits
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a four-digit year
        datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Amsterdam")),
        datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("UTC")),
    ],
)
def test_sqlite_text_is_sqlalchemys_own(value: datetime) -> None:
    assert bind(value) == stored_by_sqlalchemy(value)


def test_none_and_naive() -> None:
    assert bind(None) is None
    with pytest.raises(ValueError, match="naive"):
        bind(datetime(2026, 1, 1))


def test_postgresql_keeps_the_aware_value() -> None:
    dialect = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    value = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    bound = process(value) if process else value
    assert bound == value
    assert bound.utcoffset() == timedelta(0)


def test_one_processor_gives_the_same_texts_while_it_keeps_those_it_made() -> None:
    """The processor keeps the texts it made last: a repeated value, the same instant in
    another zone, and more values than it keeps all bind as SQLAlchemy stores them."""
    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    start = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    values = [start + timedelta(seconds=n, microseconds=n) for n in range(600)]
    amsterdam = ZoneInfo("Europe/Amsterdam")
    for value in [*values, *values[::-1], *(v.astimezone(amsterdam) for v in values[::7])]:
        assert process(value) == stored_by_sqlalchemy(value)
    assert process(start) == "2026-11-22 07:00:00.000000"
    with pytest.raises(ValueError, match="naive"):
        process(start.replace(tzinfo=None))  # equal to no aware value it has made
