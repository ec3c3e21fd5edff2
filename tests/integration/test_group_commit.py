"""Group commit on a real database: many units of work, one transaction; answers only after
the commit; a failing work fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db import Database
from chargeplane.db.group_commit import GroupCommit
from chargeplane.db.models import Organization
from tests.support import factories
from tests.support.loop import counting_turns


@pytest.fixture
async def group(db: Database) -> AsyncIterator[GroupCommit]:
    committer = GroupCommit(db, max_batch=1000)
    committer.start()
    yield committer
    await committer.stop()


def add_org(name: str) -> object:
    async def work(session: AsyncSession) -> int:
        org = Organization(name=name, created_at=factories.now())
        session.add(org)
        await session.flush()
        return org.id

    return work


async def count(db: Database, prefix: str) -> int:
    async with db.reader() as session:
        n = await session.scalar(
            select(func.count())
            .select_from(Organization)
            .where(Organization.name.like(f"{prefix}%"))
        )
    return int(n or 0)


async def test_concurrent_works_share_transactions_and_each_sees_its_commit(
    db: Database, group: GroupCommit
) -> None:
    prefix = factories.unique("gc")
    before = group.stats.batches

    async def submit(n: int) -> int:
        org_id: int = await group.run(add_org(f"{prefix}-{n}"))  # type: ignore[arg-type]
        # The answer comes after the commit: another connection already sees the row.
        async with db.reader() as session:
            seen = await session.scalar(select(Organization.id).where(Organization.id == org_id))
        assert seen == org_id
        return org_id

    ids = await asyncio.gather(*(submit(n) for n in range(200)))
    assert len(set(ids)) == 200
    assert await count(db, prefix) == 200
    assert group.stats.batches - before < 200  # batched, not one commit each
    assert group.stats.largest_batch > 1


async def test_a_failing_work_fails_alone(db: Database, group: GroupCommit) -> None:
    prefix = factories.unique("gcf")

    async def boom(session: AsyncSession) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    results = await asyncio.gather(
        *(group.run(add_org(f"{prefix}-{n}")) for n in range(20)),  # type: ignore[arg-type]
        group.run(boom),
        *(group.run(add_org(f"{prefix}-x{n}")) for n in range(20)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1
    assert await count(db, prefix) == 40


async def test_a_duplicate_write_fails_without_losing_the_batch(
    db: Database, group: GroupCommit
) -> None:
    name = factories.unique("gcd")
    results = await asyncio.gather(
        group.run(add_org(name)),  # type: ignore[arg-type]
        group.run(add_org(name)),  # type: ignore[arg-type]
        group.run(add_org(name + "-other")),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert sum(isinstance(r, BaseException) for r in results) == 1
    assert await count(db, name) == 2


async def test_rows_a_work_adds_without_flushing_are_committed(
    db: Database, group: GroupCommit
) -> None:
    prefix = factories.unique("gca")

    def add_only(name: str) -> object:
        async def work(session: AsyncSession) -> None:
            session.add(Organization(name=name, created_at=factories.now()))

        return work

    await asyncio.gather(*(group.run(add_only(f"{prefix}-{n}")) for n in range(10)))  # type: ignore[arg-type]
    assert await count(db, prefix) == 10


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_batch_whose_connection_died_runs_again_on_a_fresh_one(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The writer's connections are not pre-pinged (a round trip per batch): a connection the
    server dropped fails its batch once, and the batch runs again on a new connection."""
    own = Database(database_url)  # a pool of its own: the dead connection stays in it
    committer = GroupCommit(own)
    committer.start()

    async def backend_pid(session: AsyncSession) -> int:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)

    try:
        pid = await committer.run(backend_pid)
        async with own.reader() as session:
            assert await session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        prefix = factories.unique("lost")
        assert await committer.run(add_org(f"{prefix}-after"))  # type: ignore[arg-type]
        assert "connection was lost" in caplog.text
        assert await count(own, prefix) == 1
        assert await committer.run(backend_pid) != pid
    finally:
        await committer.stop()
        await own.dispose()


async def test_the_committer_waits_out_a_database_it_cannot_reach(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The committer holds one connection; if it cannot take one (the database is down), it
    retries instead of dying with works queued behind it."""
    folder = tmp_path / "not-yet"
    own = Database(f"sqlite+aiosqlite:///{folder / 'store.db'}")
    committer = GroupCommit(own)
    committer.start()

    async def one(session: AsyncSession) -> int:
        return int(await session.scalar(text("SELECT 1")) or 0)

    try:
        pending = asyncio.ensure_future(committer.run(one))
        await asyncio.sleep(0.2)
        assert not pending.done()
        assert "no database session" in caplog.text
        folder.mkdir()  # the database can be opened now
        assert await asyncio.wait_for(pending, timeout=5) == 1
    finally:
        await asyncio.wait_for(committer.stop(), timeout=5)
        await own.dispose()


async def test_an_unexpected_failure_of_the_committer_strands_no_caller(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches settle their own works; should anything escape all the same, the callers of
    that batch get the error instead of waiting forever, and the committer goes on."""
    committer = GroupCommit(db)
    committer.start()
    real_commit = committer._commit
    failures = iter([RuntimeError("unexpected")])

    async def commit_once_failing(*args: Any, **kwargs: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        await real_commit(*args, **kwargs)

    monkeypatch.setattr(committer, "_commit", commit_once_failing)

    async def one(session: AsyncSession) -> int:
        return int(await session.scalar(text("SELECT 1")) or 0)

    try:
        with pytest.raises(RuntimeError, match="unexpected"):
            await asyncio.wait_for(committer.run(one), timeout=5)
        assert await asyncio.wait_for(committer.run(one), timeout=5) == 1
    finally:
        await asyncio.wait_for(committer.stop(), timeout=5)


async def test_a_caller_cancelled_while_its_work_waits_still_has_it_committed(
    db: Database, group: GroupCommit, caplog: pytest.LogCaptureFixture
) -> None:
    """The caller awaits its work's future itself (no shield): cancelling the caller cancels
    that future, not the work, which is queued already. It runs and commits with its batch,
    the committer skips the settled future, and later works are answered as before."""
    prefix = factories.unique("gcc")
    held, release = await _held(group)  # the next works queue behind the held batch
    left: asyncio.Future[Any] = asyncio.ensure_future(
        group.run(add_org(f"{prefix}-left"))  # type: ignore[arg-type]
    )
    failing = asyncio.ensure_future(group.run(_failing))
    await asyncio.sleep(0)  # both are queued
    left.cancel()
    failing.cancel()
    release.set()
    await held
    assert left.cancelled()
    assert failing.cancelled()
    after: Awaitable[Any] = group.run(add_org(f"{prefix}-after"))  # type: ignore[arg-type]
    assert await asyncio.wait_for(after, timeout=0.5)  # the committer did not stumble
    assert await count(db, f"{prefix}-left") == 1
    assert await count(db, f"{prefix}-after") == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def _held(group: GroupCommit) -> tuple[asyncio.Future[None], asyncio.Event]:
    """A work that holds its committer inside its batch until the event returned is set."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold(session: AsyncSession) -> None:
        holding.set()
        await release.wait()

    held = asyncio.ensure_future(group.run(hold))
    await holding.wait()
    return held, release


async def _failing(session: AsyncSession) -> None:
    await session.execute(text("SELECT * FROM no_such_table"))


async def test_closing_a_read_session_takes_no_turn_of_the_event_loop(db: Database) -> None:
    """``Database.reader`` closes its session in the caller's task. SQLAlchemy's own ``async
    with`` closes it in a task of its own: two more turns of the loop, which under OCPP load
    last milliseconds each, twice per REST request."""
    async with counting_turns() as turns:
        block = db.reader()
        session = await block.__aenter__()
        assert await session.scalar(select(func.count()).select_from(Organization)) is not None
        before = turns.count
        await block.__aexit__(None, None, None)
        assert turns.count == before
        assert not session.in_transaction()


@pytest.mark.parametrize("gather", [0.0, 0.05])
async def test_works_queued_during_a_commit_wait_for_more_to_join_their_batch(
    db: Database, gather: float
) -> None:
    """Works found queued when a batch ends wait ``gather`` seconds before their batch is
    taken, so that those arriving meanwhile join it: one batch, not two. Without a gather
    (0) the late one runs in a batch of its own."""
    group = GroupCommit(db, gather=gather)
    group.start()
    try:
        prefix = factories.unique("gg")
        held, release = await _held(group)
        early: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(group.run(add_org(f"{prefix}-{n}")))  # type: ignore[arg-type]
            for n in range(2)
        ]
        await asyncio.sleep(0)  # both queued behind the held batch
        release.set()
        await held
        before = group.stats.batches
        late: asyncio.Future[Any] = asyncio.ensure_future(
            group.run(add_org(f"{prefix}-late"))  # type: ignore[arg-type]
        )
        await asyncio.gather(*early, late)
        assert group.stats.batches - before == (1 if gather else 2)
        assert await count(db, prefix) == 3
    finally:
        await group.stop()


async def test_stopping_waits_for_a_work_a_committer_took_and_gathers_for(db: Database) -> None:
    """With two committers, one can take a work and wait to gather while the other takes the
    rest and finishes: ``stop`` must still wait for the first, not cancel it with its work."""
    group = GroupCommit(db, committers=2, gather=0.2)
    group.start()
    prefix = factories.unique("gs")
    held, release = await _held(group)  # one committer is busy; the other waits for work
    works: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(group.run(add_org(f"{prefix}-{n}")))  # type: ignore[arg-type]
        for n in range(2)
    ]
    await asyncio.sleep(0.05)  # the free committer took the first and gathers for 0.2 s
    release.set()
    await held  # the other committer is free again: it takes the second at once
    await asyncio.wait_for(group.stop(), timeout=5)
    assert all(w.done() and not w.cancelled() for w in works)
    assert await count(db, prefix) == 2
