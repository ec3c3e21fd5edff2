"""Group commit: the units of work of many chargers, applied in one transaction.

Every OCPP message is answered only after its data is committed; committing each message on
its own costs a synchronous flush per message (SQLite ``synchronous=FULL``: an fsync of the
WAL; PostgreSQL: a WAL flush), which caps a node at a few hundred messages a second whatever
its CPU. Here each unit of work is queued; a committer takes everything queued, runs the
works one after another in one transaction, commits once, and only then resolves each
caller's future — so every answer still follows the commit of its own data.

A failing work must not take the others down: if the batch fails, it is rolled back and each
work is retried in a transaction of its own, so only the failing one reports the error.
Works are plain database operations, safe to run again after a rollback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.engine import Database
from chargeplane.db.prepared import flush_pending

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]


@dataclass
class CommitStats:
    batches: int = 0
    works: int = 0
    largest_batch: int = 0
    retried_alone: int = 0


@dataclass(eq=False, slots=True)
class _Item:
    work: Work
    future: asyncio.Future[Any]


class GroupCommit:
    def __init__(
        self,
        db: Database,
        *,
        committers: int = 1,
        max_batch: int = 500,
        time_slice: float = 0.002,
        gather: float = 0.002,
    ) -> None:
        """``gather``: seconds a committer waits before taking a batch when works are queued
        already, so that more join it. Every batch costs the event loop's thread ~200 µs of
        CPU on SQLite whatever it holds (its BEGIN, its COMMIT handed to aiosqlite's thread
        and back, its appended rows' executemany), and a synchronous flush of the WAL. When
        nothing is queued (light load) a work's batch starts at once."""
        self.db = db
        self.gather = gather
        self.time_slice = time_slice
        self.committers = committers
        self.max_batch = max_batch
        self.stats = CommitStats()
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Apply ``work`` and return its result once its transaction has committed."""
        if not self._tasks or self._loop is None:
            raise RuntimeError("group commit is not started")
        # The future from the loop kept at start(): on Python 3.11 asyncio.get_running_loop()
        # makes a getpid() system call, ~10 µs each on this VM, measured.
        item = _Item(work, self._loop.create_future())
        self._queue.put_nowait(item)
        # Awaited as is, not through ``asyncio.shield``: a shield answers a turn of the event
        # loop later (its outer future is set by a callback of the inner one), and every OCPP
        # answer waits on this. A caller cancelled meanwhile (its charger left) cancels the
        # future, not the work: the work is queued or in a batch already, it runs and commits
        # all the same, and its result is dropped (``_settle`` skips a future that is done).
        result: T = await item.future
        return result

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._committer(), name=f"group-commit-{n}")
            for n in range(self.committers)
        ]

    async def stop(self) -> None:
        """Finish what is queued and what is being applied, then stop."""
        while not self._queue.empty() or self._in_flight:
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        stats = self.stats
        log.info(
            "group commit: %d works in %d batches (largest %d), %d retried alone",
            stats.works,
            stats.batches,
            stats.largest_batch,
            stats.retried_alone,
        )

    async def _committer(self) -> None:
        # One session on one connection for the committer's life: a batch pays its BEGIN and
        # COMMIT, not a session's set-up and a pool checkout as well (Database.held_writer).
        # A batch's errors settle its works; only taking the connection can fail out here (the
        # database is down), and the committer must outlive that.
        while True:
            try:
                async with self.db.held_writer() as session:
                    while True:
                        batch = [await self._queue.get()]
                        self._in_flight += 1  # taken: ``stop`` waits for it from here
                        try:
                            if self.gather and not self._queue.empty():
                                # Works queued while the last batch committed: under load,
                                # wait for more to join this one (PostgreSQL's commit_delay).
                                await asyncio.sleep(self.gather)
                            while len(batch) < self.max_batch and not self._queue.empty():
                                batch.append(self._queue.get_nowait())
                                self._in_flight += 1
                            await self._commit(session, batch)
                        except Exception as error:  # _commit settles its own; never strand one
                            for item in batch:
                                _settle(item.future, error=error)
                            raise
                        finally:
                            self._in_flight -= len(batch)
            except Exception:
                log.exception("group commit: no database session; retrying in 1 s")
                await asyncio.sleep(1.0)

    async def _commit(
        self, session: AsyncSession, batch: list[_Item], *, fresh: bool = False
    ) -> None:
        try:
            results = await self._apply(session, batch)
        except Exception as error:
            if not fresh and _connection_lost(error):
                # The connection died under the batch (a database restart): the pool has
                # dropped it; the works did nothing, so they run again on a fresh one.
                log.warning("the database connection was lost (%s); retrying the batch", error)
                await self._commit(session, batch, fresh=True)
                return
            if len(batch) == 1:
                _settle(batch[0].future, error=error)
                return
            log.warning("a batch of %d failed (%s); retrying each alone", len(batch), error)
            self.stats.retried_alone += len(batch)
            for item in batch:
                await self._commit(session, [item])
            return
        self.stats.batches += 1
        self.stats.works += len(batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        for item, result in zip(batch, results, strict=True):
            _settle(item.future, result=result)

    async def _apply(self, session: AsyncSession, batch: list[_Item]) -> list[Any]:
        results = []
        async with self.db.batch(session):
            orm = session.sync_session
            ran_since = time.perf_counter()
            for item in batch:
                results.append(await item.work(session))
                if time.perf_counter() - ran_since > self.time_slice:
                    # SQLite statements run without yielding (db/engine.py): let sockets and
                    # REST requests have the loop between works of a long batch.
                    await asyncio.sleep(0)
                    ran_since = time.perf_counter()
                # Write what the work added, then forget its objects: works see each other's
                # rows through SQL, never through stale ORM objects. (Expunging before the
                # flush would drop pending rows: the benchmark's audit caught exactly that.)
                # Most works are plain statements and leave the session empty.
                await flush_pending(session)
                if orm.identity_map:
                    session.expunge_all()
        return results


def _connection_lost(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _settle(
    future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
