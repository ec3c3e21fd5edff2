"""The OCPP side's prepared statements (db/prepared.py): what they return and write is what
SQLAlchemy's own execution returns and writes, on each backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.repository import _HEARTBEAT
from chargeplane.db import Database
from chargeplane.db.appends import append
from chargeplane.db.base import table_of
from chargeplane.db.group_commit import GroupCommit
from chargeplane.db.models import Charger, MeterReading, Organization
from chargeplane.db.prepared import _COPY_FROM, Prepared, _AsyncPG, _SQLite
from chargeplane.facts import (
    Authorization,
    Connection,
    MeterSample,
    MeterValuesFact,
    SampledValue,
    SessionStart,
)
from chargeplane.sessions.repository import _ADD_READINGS, _FOR_CHARGER
from chargeplane.sessions.service import SessionService
from tests.support import factories

_chargers = table_of(Charger)


async def _admitted(db: Database) -> Connection:
    return await factories.admitted_charger(db, "PREP")


async def _last_heartbeat(db: Database, charger_id: int) -> datetime | None:
    async with db.reader() as session:
        value: datetime | None = await session.scalar(
            select(Charger.last_heartbeat_at).where(Charger.id == charger_id)
        )
        return value


async def test_a_row_comes_back_as_sqlalchemy_returns_it(db: Database) -> None:
    """Every column of a session row: UTC datetimes, floats, the JSON flags list."""
    connection = await _admitted(db)
    started_at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    sample = MeterSample(
        timestamp=started_at + timedelta(minutes=1),
        values=(
            SampledValue(raw_value="1234.5", measurand="Energy.Active.Import.Register"),
            SampledValue(raw_value="55", measurand="SoC", unit="Percent"),
        ),
    )
    async with db.unit_of_work() as session:
        service = SessionService(session)
        started = await service.start(
            connection,
            SessionStart(evse_number=1, id_tag="TAG", meter_start=1000, timestamp=started_at),
            Authorization(status="Accepted"),
            now=factories.now(),
        )
        await service.meter_values(
            connection,
            MeterValuesFact(
                evse_number=1, samples=(sample,), transaction_id=started.transaction_id
            ),
            now=factories.now(),
        )
    params = {"p_id": started.transaction_id, "p_charger_id": connection.charger_id}
    async with db.unit_of_work() as session:
        ours = (await _FOR_CHARGER.run(session, params)).first()
        theirs = (await session.execute(_FOR_CHARGER.statement, params)).first()
    assert theirs is not None
    assert tuple(ours) == tuple(theirs)
    assert ours._fields == tuple(theirs._fields)
    assert ours.started_at == started_at
    assert ours.started_at.tzinfo is UTC
    assert (ours.energy_register_wh, ours.soc_percent) == (1234.5, 55.0)
    assert ours.flags == []


async def test_a_column_default_is_computed_per_row(db: Database) -> None:
    """Python-side defaults (a charger's etag) are filled in, as SQLAlchemy fills them."""
    organization_id = await factories.organization(db)
    register = Prepared(insert(_chargers))
    now = factories.now()
    ids = [factories.unique("DEF") for _ in range(2)]
    async with db.unit_of_work() as session:
        for ocpp_id in ids:
            params = {
                "uuid": factories.unique("uuid"),
                "organization_id": organization_id,
                "ocpp_id": ocpp_id,
                "connection_seq": 0,
                "created_at": now,
                "updated_at": now,
            }
            await register.run(session, params)
    async with db.reader() as session:
        etags = (await session.scalars(select(Charger.etag).where(Charger.ocpp_id.in_(ids)))).all()
    assert len(etags) == 2
    assert len(set(etags)) == 2
    assert all(len(etag) == 32 for etag in etags)


async def test_a_constraint_violation_is_raised_as_sqlalchemy_raises_it(db: Database) -> None:
    connection = await _admitted(db)
    rename = Prepared(update(_chargers).where(_chargers.c.id == connection.charger_id))
    other = await _admitted(db)
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as session:
            await rename.run(session, {"ocpp_id": other.ocpp_id})  # ocpp_id is unique


async def test_each_transaction_runs_on_the_connection_it_holds(db: Database) -> None:
    """A session's next transaction may hold another connection of the pool: a statement
    must not run on the one the last transaction held (outside any transaction, it would
    commit on its own)."""
    connection = await _admitted(db)
    params = {"p_id": connection.charger_id, "p_now": factories.now()}
    async with db._writer() as session:
        async with session.begin():
            await _HEARTBEAT.run(session, params)
        first = await _last_heartbeat(db, connection.charger_id)
        # The connection of the first transaction is back in the pool: take it, so the next
        # transaction gets another one.
        async with db.engine.connect() as taken:
            await taken.get_raw_connection()
            later = {**params, "p_now": factories.now() + timedelta(hours=1)}
            await session.begin()
            await _HEARTBEAT.run(session, later)
            await session.rollback()
    assert await _last_heartbeat(db, connection.charger_id) == first


async def test_a_unit_of_work_of_prepared_statements_rolls_back_whole(db: Database) -> None:
    """The statements run in the session's transaction (on PostgreSQL, begun for them: the
    adapter would otherwise begin it only with a statement of its own)."""
    connection = await _admitted(db)
    before = await _last_heartbeat(db, connection.charger_id)
    params = {"p_id": connection.charger_id, "p_now": factories.now() + timedelta(hours=1)}

    async def failing() -> None:
        async with db.unit_of_work() as session:
            await _HEARTBEAT.run(session, params)
            raise RuntimeError("the unit of work failed")

    with pytest.raises(RuntimeError):
        await failing()
    assert await _last_heartbeat(db, connection.charger_id) == before


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_lost_connection_fails_the_batch_once_and_it_runs_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """As with SQLAlchemy's own execution (test_group_commit): the prepared statement's
    error marks the connection invalidated, and group commit retries on a fresh one."""
    own = Database(database_url)
    committer = GroupCommit(own)
    committer.start()

    async def backend_pid(session: AsyncSession) -> int:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)

    try:
        connection = await _admitted(own)
        pid = await committer.run(backend_pid)
        async with own.reader() as session:
            assert await session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        at = factories.now().replace(microsecond=0)

        async def heartbeat(session: AsyncSession) -> int:
            result = await _HEARTBEAT.run(session, {"p_id": connection.charger_id, "p_now": at})
            return result.rowcount

        assert await committer.run(heartbeat) == 1
        assert "connection was lost" in caplog.text
        assert await _last_heartbeat(own, connection.charger_id) == at
    finally:
        await committer.stop()
        await own.dispose()


def _reading(charger_id: int, n: int) -> dict[str, Any]:
    """A meter reading row with every kind of value the table holds, and some None."""
    return {
        "charger_id": charger_id,
        "session_id": None,
        "evse_number": 1 + n % 2,
        "transaction_id": 10**12 + n,  # beyond 32 bits
        "timestamp": datetime(2026, 5, 6, 7, 8, 9, n, tzinfo=UTC),
        "measurand": "Energy.Active.Import.Register",
        "value": n / 3 if n % 5 else None,
        "raw_value": f"{n / 3:.4f}",
        "unit": "Wh" if n % 3 else None,
        "phase": None,
        "context": "Sample.Periodic",
        "location": None,
        "format": "Raw",
        "source": "meter_values",
        "received_at": datetime(2026, 5, 6, 7, 8, 10, tzinfo=UTC),
    }


_READING_COLUMNS = [*_reading(0, 0), "extra"]


async def _readings(db: Database, charger_id: int) -> list[tuple[Any, ...]]:
    async with db.reader() as session:
        rows = await session.execute(
            select(*(getattr(MeterReading, c) for c in _READING_COLUMNS))
            .where(MeterReading.charger_id == charger_id)
            .order_by(MeterReading.transaction_id)
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("count", [1, _COPY_FROM - 1, _COPY_FROM, 300])
async def test_appended_rows_are_written_as_sqlalchemy_writes_them(
    db: Database, count: int
) -> None:
    """Appended rows (db/appends.py): one executemany per statement, or on PostgreSQL, from
    ``_COPY_FROM`` rows, a binary COPY. Either way the rows stored are those SQLAlchemy's own
    executemany stores, defaults included."""
    ours, theirs = await _admitted(db), await _admitted(db)
    async with db.unit_of_work() as session:
        append(session, _ADD_READINGS, [_reading(ours.charger_id, n) for n in range(count)])
    async with db.unit_of_work() as session:
        await session.execute(
            _ADD_READINGS.statement, [_reading(theirs.charger_id, n) for n in range(count)]
        )
    stored = await _readings(db, ours.charger_id)
    assert len(stored) == count
    assert [row[1:] for row in stored] == [
        row[1:] for row in await _readings(db, theirs.charger_id)
    ]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_on_postgresql_many_rows_go_by_copy(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[int] = []
    copy = asyncpg.Connection.copy_records_to_table

    async def counted(self: Any, *args: Any, records: Any, **kwargs: Any) -> Any:
        copies.append(len(records))
        return await copy(self, *args, records=records, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "copy_records_to_table", counted)
    own = Database(database_url)
    try:
        connection = await _admitted(own)
        async with own.unit_of_work() as session:
            append(session, _ADD_READINGS, [_reading(connection.charger_id, n) for n in range(7)])
        async with own.unit_of_work() as session:
            append(session, _ADD_READINGS, [_reading(connection.charger_id, n) for n in range(300)])
        assert copies == [256, 44]  # appends are written in slices of 256
        assert len(await _readings(own, connection.charger_id)) == 307
    finally:
        await own.dispose()


@pytest.mark.parametrize("count", [_COPY_FROM - 1, _COPY_FROM])
async def test_a_constraint_violation_in_appended_rows_writes_none_of_them(
    db: Database, count: int
) -> None:
    connection = await _admitted(db)
    rows = [_reading(connection.charger_id, n) for n in range(count)]
    rows[-1]["charger_id"] = 2**31 - 1  # no such charger
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as session:
            append(session, _ADD_READINGS, rows)
    assert await _readings(db, connection.charger_id) == []


async def _batched(committer: GroupCommit, *works: Any) -> list[Any]:
    """``works`` in one batch: queued while the committer is inside the batch before."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold(session: AsyncSession) -> None:
        holding.set()
        await release.wait()

    held = asyncio.ensure_future(committer.run(hold))
    await holding.wait()
    queued = [asyncio.ensure_future(committer.run(work)) for work in works]
    await asyncio.sleep(0)
    release.set()
    await held
    return await asyncio.gather(*queued, return_exceptions=True)


async def test_a_batch_is_one_transaction_begun_on_the_driver_that_orm_works_join(
    db: Database,
) -> None:
    """A group committer's batch begins its transaction on the driver's connection, not
    through the session (Database.batch), and prepared statements run in it. A work that
    uses the session joins it: a failure later in the batch rolls back both kinds of write
    before each work runs again alone."""
    connection = await _admitted(db)
    name = factories.unique("batch")
    committer = GroupCommit(db)
    committer.start()

    async def readings(session: AsyncSession) -> bool:
        await _ADD_READINGS.run_many(session, [_reading(connection.charger_id, 1)])
        return session.in_transaction()  # SQLAlchemy's: none begun for prepared statements

    async def org(session: AsyncSession) -> None:
        session.add(Organization(name=name, created_at=factories.now()))

    async def failing(session: AsyncSession) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    try:
        began, added, failed = await _batched(committer, readings, org, failing)
        assert began is False
        assert added is None
        assert isinstance(failed, DBAPIError)
        assert committer.stats.retried_alone == 3
        # Rolled back with the batch, then written once by the work's run alone.
        assert len(await _readings(db, connection.charger_id)) == 1
        async with db.reader() as session:
            assert (
                await session.scalar(
                    select(func.count()).select_from(Organization).where(Organization.name == name)
                )
                == 1
            )

        async def bad_readings(session: AsyncSession) -> None:
            row = _reading(2**31 - 1, 2)  # no such charger
            await _ADD_READINGS.run_many(session, [row])

        ok, bad = await _batched(committer, readings, bad_readings)
        assert ok is False
        assert isinstance(bad, IntegrityError)
        assert len(await _readings(db, connection.charger_id)) == 2
    finally:
        await committer.stop()


async def test_a_batch_whose_rollback_fails_leaves_the_next_a_fresh_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A connection whose rollback failed may still be in the transaction: it would fail
    every later batch, so the held connection is replaced."""
    connection = await _admitted(db)
    own = Database(db.url)  # a pool of its own: the replaced connection is discarded in it
    committer = GroupCommit(own)
    committer.start()
    failures = iter([RuntimeError("rollback failed")])
    rollbacks: list[str] = []
    for driver in (_SQLite, _AsyncPG):
        real = driver.rollback

        async def rollback(self: Any, real: Any = real) -> None:
            rollbacks.append(type(self).__name__)
            failure = next(failures, None)
            if failure is not None:
                raise failure
            await real(self)

        monkeypatch.setattr(driver, "rollback", rollback)

    async def failing(session: AsyncSession) -> None:
        await _ADD_READINGS.run_many(session, [_reading(connection.charger_id, 1)])
        raise RuntimeError("the work failed")

    async def heartbeat(session: AsyncSession) -> int:
        at = {"p_id": connection.charger_id, "p_now": factories.now()}
        return (await _HEARTBEAT.run(session, at)).rowcount

    try:
        with pytest.raises(RuntimeError, match="the work failed"):
            await committer.run(failing)
        assert rollbacks
        assert "rollback failed; replacing the connection" in caplog.text
        assert await asyncio.wait_for(committer.run(heartbeat), timeout=5) == 1
        assert await _readings(own, connection.charger_id) == []
    finally:
        await committer.stop()
        await own.dispose()
