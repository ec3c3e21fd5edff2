"""Properties of the store itself: SQLite pragmas, and retried starts racing each other."""

from __future__ import annotations

import asyncio
import sqlite3
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.repository import _ADD_STATUS_EVENT
from chargeplane.db import Database
from chargeplane.db.appends import append
from chargeplane.db.base import Base
from chargeplane.db.group_commit import GroupCommit
from chargeplane.db.models import ChargingSession, StatusEvent
from chargeplane.db.prepared import Prepared
from chargeplane.facts import Authorization, SessionStart
from chargeplane.sessions.service import SessionService
from tests.conftest import Tenant
from tests.integration.test_chargers_api import add_charger
from tests.support import factories


async def test_sqlite_runs_wal_full_sync_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    try:
        for engine in (db.engine, db.read_engine):
            async with engine.connect() as conn:
                journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
                synchronous = (await conn.execute(text("PRAGMA synchronous"))).scalar()
                foreign_keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
                checkpoint = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
            assert (journal, synchronous, foreign_keys) == ("wal", 2, 1)  # 2 = FULL
            assert checkpoint == 10_000  # pages: checkpoints every ~40 MiB of WAL, not 4
    finally:
        await db.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What SQLite connections hand to aiosqlite's thread."""
    handed: list[str] = []
    original = aiosqlite.Connection._execute

    async def spy(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "func", fn).__name__  # a partial: the function it wraps
        handed.append(next((a for a in args if isinstance(a, str)), name))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", spy)
    return handed


async def test_sqlite_statements_run_inline_and_only_commit_waits_on_the_thread(
    tmp_path: Path, hops: list[str]
) -> None:
    """Statements and BEGIN IMMEDIATE run on the loop's thread while the write lock is free;
    COMMIT, which waits for the disk, on aiosqlite's; a reader never leaves the loop's."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    try:
        async with db.unit_of_work() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        hops.clear()
        for _ in range(3):
            async with db.unit_of_work() as session:
                for x in range(5):
                    await session.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})
        assert hops == ["commit"] * 3
        hops.clear()
        async with db.reader() as session:
            assert await session.scalar(text("SELECT sum(x) FROM t")) == 30
        assert hops == []
    finally:
        await db.dispose()


async def test_a_writer_waits_for_a_held_write_lock_off_the_loop(
    tmp_path: Path, hops: list[str]
) -> None:
    """Another connection (another process: the CLI, say) holds the write lock: BEGIN
    IMMEDIATE finds it taken without waiting, and waits for it on aiosqlite's thread, with
    the busy timeout, while the loop goes on."""
    path = tmp_path / "locked.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with db.unit_of_work() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        other.execute("BEGIN IMMEDIATE")
        hops.clear()

        async def write() -> None:
            async with db.unit_of_work() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.2)  # the loop runs on while the writer waits (not blocked in it)
        assert not writing.done()
        assert hops == ["BEGIN IMMEDIATE"]  # tried inline, found taken, waited for here
        other.execute("INSERT INTO t VALUES (2)")
        other.execute("COMMIT")
        await asyncio.wait_for(writing, 10)
        async with db.reader() as session:
            assert await session.scalar(text("SELECT sum(x) FROM t")) == 3
        async with db.unit_of_work() as session:  # the busy timeout is off again
            raw = (await (await session.connection()).get_raw_connection()).driver_connection
            assert raw is not None
            assert raw.inline_connection().execute("PRAGMA busy_timeout").fetchone()[0] == 0
    finally:
        other.close()
        await db.dispose()


async def test_a_group_committers_batch_hands_only_what_waits_to_the_thread(
    tmp_path: Path, hops: list[str]
) -> None:
    """A batch begins and commits on the driver's connection (Database.batch) as a unit of
    work does through the session: BEGIN IMMEDIATE inline while the lock is free, and on
    aiosqlite's thread, with the busy timeout, while another connection holds it; COMMIT on
    the thread."""
    path = tmp_path / "batch.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    committer = GroupCommit(db)
    try:
        async with db.unit_of_work() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        insert = Prepared(Table("t", MetaData(), Column("x", Integer)).insert())

        def adding(x: int) -> Any:
            async def work(session: AsyncSession) -> None:
                await insert.run(session, {"x": x})

            return work

        committer.start()
        await committer.run(adding(1))  # the committer holds its connection from here
        hops.clear()
        await committer.run(adding(2))
        assert hops == ["commit"]
        other.execute("BEGIN IMMEDIATE")
        hops.clear()
        writing = asyncio.ensure_future(committer.run(adding(4)))
        await asyncio.sleep(0.2)
        assert not writing.done()
        assert hops == ["BEGIN IMMEDIATE"]
        other.execute("COMMIT")
        await asyncio.wait_for(writing, 10)
        assert hops == ["BEGIN IMMEDIATE", "commit"]
        async with db.reader() as session:
            assert await session.scalar(text("SELECT sum(x) FROM t")) == 7
    finally:
        other.close()
        await committer.stop()
        await db.dispose()


async def test_readers_autocommit_on_postgres_and_hold_a_snapshot_on_sqlite(
    db: Database,
) -> None:
    """PostgreSQL readers autocommit (READ COMMITTED gives each statement its own snapshot
    anyway, so a transaction would only add round trips); SQLite readers keep a deferred
    transaction, one snapshot for the whole read, which takes no lock in WAL mode."""
    xact = text("SELECT pg_current_xact_id()::text")
    async with db.reader() as session:
        if db.backend == "postgresql":
            assert await session.scalar(xact) != await session.scalar(xact)
        else:
            await session.execute(text("SELECT 1"))
            raw = await (await session.connection()).get_raw_connection()
            assert raw.driver_connection is not None
            assert raw.driver_connection.in_transaction
    if db.backend == "postgresql":
        async with db.unit_of_work() as session:
            assert await session.scalar(xact) == await session.scalar(xact)


async def _reader_after_its_backend_died(database_url: str, *, ping_after: float) -> int:
    """A reader connection goes back to the pool, the server ends its backend, and the next
    reader checks a connection out: the backend pid it then runs on."""
    own = Database(database_url, reader_ping_after=ping_after)  # a pool of its own
    pid_of = text("SELECT pg_backend_pid()")
    try:
        async with own.reader() as session:
            pid = await session.scalar(pid_of)
        async with own.unit_of_work() as session:  # the writer: another pool
            assert await session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.05)
        async with own.reader() as session:
            after = await session.scalar(pid_of)
        assert after != pid
        return int(after)
    finally:
        await own.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_idle_reader_connection_that_died_is_replaced(database_url: str) -> None:
    """Readers ping a pooled connection that sat idle (here: any time at all) before use."""
    await _reader_after_its_backend_died(database_url, ping_after=0.0)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_reader_connection_in_steady_use_is_not_pinged(database_url: str) -> None:
    """The trade-off, shown: a connection back in the pool for less than ``ping_after`` is
    used unchecked, so the read that finds it dead fails (and the pool drops it)."""
    with pytest.raises(DBAPIError) as failed:
        await _reader_after_its_backend_died(database_url, ping_after=60.0)
    assert failed.value.connection_invalidated


async def test_concurrent_identical_starts_make_one_session(db: Database) -> None:
    connection = await factories.admitted_charger(db, "RACE")
    fact = SessionStart(
        evse_number=1, id_tag="tag", meter_start=42, timestamp=datetime(2025, 5, 5, tzinfo=UTC)
    )

    async def start() -> int:
        async with db.unit_of_work() as session:
            started = await SessionService(session).start(
                connection, fact, Authorization(status="Accepted"), now=factories.now()
            )
        return started.transaction_id

    ids = await asyncio.gather(*(start() for _ in range(8)))
    assert len(set(ids)) == 1
    async with db.reader() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ChargingSession)
            .where(ChargingSession.charger_id == connection.charger_id)
        )
    assert count == 1


def _status_event(charger_id: int, n: int) -> dict[str, Any]:
    now = factories.now()
    return {
        "charger_id": charger_id,
        "evse_number": n,
        "status": "Available",
        "error_code": "NoError",
        "vendor_id": None,
        "vendor_error_code": None,
        "info": None,
        "timestamp": now,
        "received_at": now,
    }


async def _status_events(db: Database, charger_id: int) -> list[int]:
    async with db.reader() as session:
        rows = await session.scalars(
            select(StatusEvent.evse_number)
            .where(StatusEvent.charger_id == charger_id)
            .order_by(StatusEvent.id)
        )
        return list(rows)


async def test_appended_rows_are_written_in_one_statement_when_the_unit_of_work_ends(
    db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    charger = await add_charger(db, tenant.id)
    inserts: list[int] = []
    run_many = Prepared.run_many

    async def count(statement: Prepared, session: Any, rows: Any) -> None:
        if statement is _ADD_STATUS_EVENT:
            inserts.append(len(rows))
        await run_many(statement, session, rows)

    monkeypatch.setattr(Prepared, "run_many", count)
    async with db.unit_of_work() as session:
        for n in range(3):
            append(session, _ADD_STATUS_EVENT, [_status_event(charger.id, n)])
        append(session, _ADD_STATUS_EVENT, [])
        assert await _status_events(db, charger.id) == []  # not yet
    assert inserts == [3]
    assert await _status_events(db, charger.id) == [0, 1, 2]

    # Many rows go in slices of 256, in order.
    inserts.clear()
    async with db.unit_of_work() as session:
        append(session, _ADD_STATUS_EVENT, [_status_event(charger.id, n) for n in range(600)])
    assert inserts == [256, 256, 88]
    assert await _status_events(db, charger.id) == [0, 1, 2, *range(600)]


async def test_appended_rows_go_with_a_unit_of_work_that_fails(
    db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)

    async def failing() -> None:
        async with db.unit_of_work() as session:
            append(session, _ADD_STATUS_EVENT, [_status_event(charger.id, 1)])
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        await failing()
    async with db.unit_of_work() as session:  # a new unit of work starts with nothing queued
        append(session, _ADD_STATUS_EVENT, [_status_event(charger.id, 2)])
    assert await _status_events(db, charger.id) == [2]


async def test_a_held_writer_runs_transaction_after_transaction_on_one_connection(
    db: Database, tenant: Tenant
) -> None:
    """A group committer's session: each transaction commits on its own, and what a failed
    one queued is not written by the next."""
    charger = await add_charger(db, tenant.id)
    async with db.held_writer() as session:
        async with db.transaction(session):
            append(session, _ADD_STATUS_EVENT, [_status_event(charger.id, 1)])
            connection = await session.connection()
        assert await _status_events(db, charger.id) == [1]  # committed, seen by a reader

        async def failing() -> None:
            async with db.transaction(session):
                append(session, _ADD_STATUS_EVENT, [_status_event(charger.id, 2)])
                raise RuntimeError("the batch failed")

        with pytest.raises(RuntimeError):
            await failing()
        async with db.transaction(session):
            append(session, _ADD_STATUS_EVENT, [_status_event(charger.id, 3)])
            assert await session.connection() is connection  # the same connection throughout
    assert await _status_events(db, charger.id) == [1, 3]


async def test_the_migrations_build_the_schema_the_models_describe(db: Database) -> None:
    """Alembic's comparison of the migrated database with the models finds nothing: no table,
    column, index or constraint that one has and the other lacks."""

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, Base.metadata))

    with warnings.catch_warnings():
        # SQLite cannot reflect the expression index on id tokens' lower(value), so that one
        # index goes uncompared there (alembic and SQLAlchemy each warn).
        warnings.simplefilter("ignore")
        async with db.engine.connect() as conn:
            found = await conn.run_sync(differences)
    assert found == []
