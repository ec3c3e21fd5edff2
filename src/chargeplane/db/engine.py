"""Engines and units of work.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` and foreign keys on,
and writers checkpoint the WAL every 10,000 pages (``_WAL_CHECKPOINT_PAGES``).
Writers start with ``BEGIN IMMEDIATE`` so two units of work never deadlock on a lock upgrade;
readers use a second engine with plain deferred transactions, so REST reads run beside writes.

SQLite statements run on the event loop's thread. aiosqlite hands every cursor call to its
thread and back — about four hand-offs per statement, each a few event-loop iterations:
measured, 1.0-1.4 ms per UPDATE against ~0.1 ms inline, and the largest single cost of an OCPP
message. Inside a transaction a statement never waits for a lock (the writer holds it from
``BEGIN IMMEDIATE``; WAL readers take none), so running it inline costs the loop only the
statement's own microseconds.

``BEGIN IMMEDIATE`` may wait for the write lock when another connection holds it. Writers run
with no busy timeout, so it is tried inline first, and only if the lock is taken is it run
again on aiosqlite's thread, with the 30 s busy timeout: a hand-off each way cost ~60 µs of
CPU per transaction, measured. ``COMMIT`` waits for the disk (``synchronous=FULL``: an fsync of
the WAL, and now and then SQLite's automatic checkpoint), so it always goes to the thread.
Run inline, it saved ~80 µs of CPU per transaction but blocked the loop on the disk: under
load a commit took 250-400 µs at the median and 1-15 ms at p99 (checkpoints up to 70 ms), and
a REST GET's p50 doubled.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from chargeplane.db.appends import discard_appends, write_appends
from chargeplane.db.prepared import held_driver, running_on

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_MS = 30_000
# A writer checkpoints the WAL into the database file once the WAL holds this many pages
# (4 KiB each: ~40 MiB), not at SQLite's default of 1,000. The checkpoint runs inside the
# COMMIT that crosses the mark, so the group committer waits for it, and under OCPP load a
# batch dirties hundreds of pages (index leaves scattered over the chargers): with 1,000, a
# checkpoint, and an fsync of the database file, came every few commits. Pages written again
# and again are copied once per checkpoint. Measured in interleaved pairs at 1,500 msg/s on
# SQLite: p99 99 / 709 / 151 / 358 ms against 219 / 842 / 590 / 423 with the default.
_WAL_CHECKPOINT_PAGES = 10_000
# Page cache per connection, KiB (SQLite's default is 2,000). A page missing from it is a
# pread() system call, ~12 µs each on this VM, measured: with the default the group
# committer's connection made ~2 a message at 1,000 msg/s, reading back the pages of the
# chargers, EVSEs, sessions and indexes it had written moments before. Pages are allocated as
# they are read, so a small database never uses it all.
_WRITER_CACHE_KIB = 65_536
_READER_CACHE_KIB = 16_384


def _statement(args: tuple[Any, ...]) -> str:
    return args[0].lstrip()[:16].upper() if args and isinstance(args[0], str) else ""


class _InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs statements on the caller's thread, and hands to its
    own thread only what waits: ``COMMIT`` (the disk), and a ``BEGIN IMMEDIATE`` that finds
    the write lock taken."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        statement = _statement(args)
        if getattr(fn, "__name__", "") == "commit" or statement.startswith(("COMMIT", "END")):
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        raw = self.inline_connection()  # raises if closed, as aiosqlite does
        if statement.startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")):
            try:
                return fn(*args, **kwargs)  # the writer's busy timeout is 0: never waits here
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
            return await super()._execute(  # type: ignore[no-untyped-call]
                partial(_waiting_for_lock, raw, fn), *args, **kwargs
            )
        return fn(*args, **kwargs)

    async def begin_immediate(self) -> None:
        """``BEGIN IMMEDIATE`` as ``_execute`` runs it: inline unless the write lock is taken."""
        await self._execute(self.inline_connection().execute, "BEGIN IMMEDIATE")

    def inline_connection(self) -> sqlite3.Connection:
        """The sqlite3 connection, for statements run inline (``db/prepared.py``)."""
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return self._connection


def _waiting_for_lock(raw: sqlite3.Connection, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` (a ``BEGIN``) with the busy timeout, on aiosqlite's thread."""
    raw.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    try:
        return fn(*args)
    finally:
        raw.execute("PRAGMA busy_timeout=0")


def _connect_inline(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
    # Used from two threads, never at once: each call is awaited before the next.
    kwargs["check_same_thread"] = False
    connection = _InlineConnection(partial(sqlite3.connect, *args, **kwargs), 64)
    connection._thread.daemon = True  # as SQLAlchemy's aiosqlite dialect does
    return connection


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _do_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["async_creator_fn"] = _connect_inline

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (documented aiosqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A writer's BEGIN IMMEDIATE is tried inline first, so it must not wait there.
        cursor.execute(f"PRAGMA busy_timeout={0 if immediate else _BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={_WAL_CHECKPOINT_PAGES}")
        cursor.execute(
            f"PRAGMA cache_size=-{_WRITER_CACHE_KIB if immediate else _READER_CACHE_KIB}"
        )
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.connection.driver_connection.inline_connection().in_transaction:
            # Begun on the driver's connection (a group committer's batch, Database.batch):
            # a work that uses the session joins that transaction.
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str, *, immediate: bool = True, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(url, **kwargs)
    if make_url(url).get_backend_name() == "sqlite":
        _configure_sqlite(engine, immediate=immediate)
    return engine


def _ping_when_idle(engine: AsyncEngine, after: float) -> None:
    """Ping a pooled connection before use if it sat in the pool ``after`` seconds or more
    (SQLAlchemy's pessimistic disconnect recipe, kept to idle connections). A ping is a
    round trip; ``pool_pre_ping`` paid one per checkout, and a GET checks out two. A
    connection in steady use has been seen alive milliseconds ago; one that was idle is the
    one a database restart may have left dead."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError(f"a pooled connection is gone: {error}") from error


@asynccontextmanager
async def _closing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """``session``, closed in the caller's task when the block ends.

    SQLAlchemy's own ``async with session`` runs ``close()`` in a task of its own and waits
    for it through ``asyncio.shield``, so that a cancellation cannot abandon it halfway: two
    more turns of the event loop per session, measured, and a REST request opens two (its
    API key's and its reads). Under OCPP load a turn takes milliseconds. Closing here waits
    on nothing: it returns the connection to the pool, whose reset is inline on SQLite and
    finds no transaction on PostgreSQL (readers autocommit; a writer's transaction has
    committed or rolled back by then). Had it a transaction left to roll back (the block was
    cancelled inside one), a cancellation landing there makes the pool discard the connection.
    """
    try:
        yield session
    finally:
        await session.close()


class Database:
    """The store: a writer engine and a reader engine (autocommit on PostgreSQL)."""

    def __init__(self, url: str, *, reader_ping_after: float = 1.0) -> None:
        self.url = url
        self.backend = make_url(url).get_backend_name()
        if self.backend == "sqlite":
            self.engine = create_engine(url, immediate=True, pool_size=4, max_overflow=0)
            self.read_engine = create_engine(url, immediate=False, pool_size=8, max_overflow=4)
        else:
            # No pre-ping on the writer: it cost a round trip per batch. A connection that died
            # with the server fails its batch, SQLAlchemy drops it from the pool, and group
            # commit runs the batch again on a fresh one.
            self.engine = create_engine(url, pool_size=10, max_overflow=10)
            # Under READ COMMITTED every statement reads its own snapshot, so a transaction
            # around reads adds nothing but a BEGIN and a ROLLBACK round trip each.
            self.read_engine = create_engine(
                url, pool_size=8, max_overflow=8, isolation_level="AUTOCOMMIT"
            )
            _ping_when_idle(self.read_engine, after=reader_ping_after)
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: commits when the block ends, rolls back on error. Rows
        queued with ``appends.append`` are written just before the commit."""
        async with _closing(self._writer()) as session, self.transaction(session):
            yield session

    @asynccontextmanager
    async def held_writer(self) -> AsyncIterator[AsyncSession]:
        """A writer session on one connection kept for the whole block, for a caller that runs
        transaction after transaction (a group committer), each with ``transaction``.

        A new session per transaction, its pool checkout, check-in and reset cost ~300 µs of
        CPU and a turn of the event loop each time, measured: a third of an OCPP message's
        cost at moderate load, when batches are small. A connection that dies is dropped
        when its transaction fails; the next one starts on a fresh connection from the pool.
        """
        async with (
            self.engine.connect() as connection,
            _closing(AsyncSession(bind=connection, expire_on_commit=False)) as session,
        ):
            yield session

    @asynccontextmanager
    async def transaction(self, session: AsyncSession) -> AsyncIterator[AsyncSession]:
        """One write transaction on ``session``: rows queued with ``appends.append`` are
        written just before the commit, and forgotten if it rolls back."""
        try:
            async with session.begin():
                yield session
                await write_appends(session)
        except BaseException:
            discard_appends(session)
            raise

    @asynccontextmanager
    async def batch(self, session: AsyncSession) -> AsyncIterator[AsyncSession]:
        """``transaction`` for a group committer's batch, on a session of ``held_writer``:
        begun and ended on the driver's connection, where the batch's prepared statements
        run (``db/prepared.py``).

        Through the session, a transaction cost ~500 µs of CPU on the event loop's thread,
        measured with batches of one on both databases: greenlets, SQLite's ``BEGIN
        IMMEDIATE`` through SQLAlchemy's execution path, the session's and the connection's
        transaction bookkeeping. Under OCPP load most batches hold a few messages, so that was
        paid every few messages. A work that uses the session itself (an ORM object, a
        statement through ``session.execute``) begins SQLAlchemy's transaction, which joins
        the one begun here (SQLite: ``_on_begin`` emits no BEGIN; asyncpg's adapter has its
        transaction already), and the session then commits it."""
        held = session.bind
        if not isinstance(held, AsyncConnection):
            raise TypeError("a batch runs on a session of held_writer (bound to a connection)")
        driver = await held_driver(held)
        await driver.begin()
        try:
            with running_on(session, driver):
                yield session
                await write_appends(session)
            if session.in_transaction():
                await session.commit()
            else:
                await driver.commit()
        except BaseException:
            discard_appends(session)
            try:
                if session.in_transaction():
                    await session.rollback()
                else:
                    await driver.rollback()
            except Exception:
                # Left in a transaction, the connection would fail every later batch: the
                # next one starts on a fresh connection instead.
                log.warning("a batch's rollback failed; replacing the connection", exc_info=True)
                await held.invalidate()
            raise

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; closing it ends its transaction, nothing is committed."""
        async with _closing(self._reader()) as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
