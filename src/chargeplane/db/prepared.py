"""The OCPP side's statements, run on the driver's own connection.

Every OCPP message runs one to five small statements, each built once as a Core statement
(ADR 4, item 2). SQLAlchemy's execution of such a statement still cost ~105 µs of CPU on
SQLite, measured: a greenlet per call (~45 µs), then the execution context and the processing
of parameters and results. sqlite3 runs the same UPDATE in ~3 µs.

``Prepared`` keeps what SQLAlchemy does once and drops what it does per call. SQLAlchemy
compiles the statement (once per dialect and set of parameter names, as its own compiled cache
does) and supplies the types' bind and result processors and the columns' Python defaults.
The statement then runs on the driver connection that holds the session's transaction:
sqlite3 inline, as ``db/engine.py`` already runs SQLite statements; on PostgreSQL, asyncpg
prepared statements on the connection of SQLAlchemy's adapter. Same SQL, same bound values,
same transaction. (On PostgreSQL, many rows of a plain INSERT go by binary COPY instead, to
the same columns: ``_COPY_FROM``.)

Unlike ``session.execute``, a prepared statement does not autoflush: ORM objects pending in
the session are not written before it runs. The OCPP side's works hold none (they are Core
statements throughout), and group commit flushes what a work leaves between works.

Errors are raised as SQLAlchemy raises them (``DBAPIError.instance``: an ``IntegrityError``
for a constraint, with the statement and its parameters), and a lost connection is
invalidated, so group commit runs its batch again on a fresh one.

The asyncpg side uses five private members of SQLAlchemy's adapter (its execution lock, its
transaction, how it begins one, how it ends one and how it maps errors), so SQLAlchemy is
pinned to 2.1.x; tests/integration/test_prepared.py holds them to what this module needs (a
failed unit of work or batch leaves nothing, a constraint is an ``IntegrityError``, a lost
connection is retried). Which
INSERTs may go by COPY is read from two private attributes of SQLAlchemy's ``Insert`` (its ON
CONFLICT clause and its RETURNING), held by the same tests. Prepared
statements are kept per connection for its life: the schema does not change while the server
runs (migrations run before it starts).
"""

from __future__ import annotations

import sqlite3
import weakref
from collections import namedtuple
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from chargeplane.db.upsert import per_dialect

_DRIVER = "chargeplane.driver"
_OWN_DRIVER = "chargeplane.own_driver"

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Result:
    rowcount: int
    rows: list[Any]

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


@dataclass(frozen=True, slots=True)
class _Form:
    """A statement compiled for one dialect and one set of parameter names."""

    sql: str
    # A form is compiled for the parameter names a call gives, so which placeholders those
    # fill is known here. ``take`` reads the values of every placeholder, in order; ``fill``
    # makes, per call, those the call does not give (a column's Python default, computed per
    # row as SQLAlchemy does, or a literal value); ``processed`` holds the types' bind
    # processors, by position (most types have none), or ``processed_by_name`` by name, for a
    # statement that uses a parameter more than once (each value is processed once).
    take: Callable[[Mapping[str, Any]], Sequence[Any]]
    fill: tuple[tuple[str, Callable[[], Any]], ...]
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]
    processed_by_name: tuple[tuple[str, Callable[[Any], Any]], ...]
    row: Any  # a namedtuple class of the result columns; None when no rows come back
    types: tuple[Any, ...]  # per result column, the type as the dialect implements it
    # Their result processors, where they don't depend on the column's type in the database
    # (SQLite's; asyncpg's come with each prepared statement).
    processors: tuple[Processor, ...] | None
    # A plain INSERT's table and the column of each placeholder, in order: where its rows may
    # go by COPY instead (``_AsyncPG.run_many``). None for any other statement.
    copy_into: tuple[str | None, str, tuple[str, ...]] | None

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        if self.fill or self.processed_by_name:
            params = {**params}
            for name, make in self.fill:
                params[name] = make()
            for name, process in self.processed_by_name:
                value = params[name]
                if value is not None:
                    params[name] = process(value)
        out = list(self.take(params))  # one C call: an executemany binds thousands of rows
        for index, process in self.processed:
            value = out[index]
            if value is not None:
                out[index] = process(value)
        return out

    def rows(self, processors: tuple[Processor, ...], fetched: Any) -> list[Any]:
        make = self.row._make
        out = []
        for values in fetched:
            pairs = zip(processors, values, strict=True)
            out.append(make([v if p is None or v is None else p(v) for p, v in pairs]))
        return out


class Prepared:
    """A Core statement (or a ``per_dialect`` one, or a dict of one by dialect name) of the
    OCPP side's units of work, or of a REST read of one charger (``chargers/snapshot.py``)."""

    __slots__ = ("_forms", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, tuple[str, ...], bool], _Form] = {}

    async def run(self, session: AsyncSession, params: Mapping[str, Any]) -> Result:
        driver = await _driver(session)
        form = self._form(driver.dialect, tuple(params), many=False)
        return await driver.run(form, form.args(params))

    async def run_many(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
        """One executemany of ``rows`` (each with the parameters of the first)."""
        if rows:
            driver = await _driver(session)
            form = self._form(driver.dialect, tuple(rows[0]), many=True)
            await driver.run_many(form, [form.args(row) for row in rows])

    def _form(self, dialect: Dialect, keys: tuple[str, ...], *, many: bool) -> _Form:
        key = (dialect.name, keys, many)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = self._compile(dialect, keys, many)
        return form

    def _compile(self, dialect: Dialect, keys: tuple[str, ...], many: bool) -> _Form:
        statement = (
            self.statement[dialect.name]
            if isinstance(self.statement, per_dialect | dict)
            else self.statement
        )
        # As SQLAlchemy compiles it to execute it: the parameters given name the columns that
        # an INSERT or UPDATE without explicit values sets.
        compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=many)
        defaults: dict[str, Callable[[], Any]] = {}
        for column in getattr(compiled, "insert_prefetch", ()):
            defaults[column.key] = _default(column.default)
        for column in getattr(compiled, "update_prefetch", ()):
            defaults[column.key] = _default(column.onupdate)
        names = tuple(compiled.positiontup or ())
        fill: dict[str, Callable[[], Any]] = {}
        repeated = len(set(names)) < len(names)
        by_index: dict[int, Callable[[Any], Any]] = {}
        by_name: dict[str, Callable[[Any], Any]] = {}
        for index, name in enumerate(names):
            bind = compiled.binds[name]
            if bind.expanding or bind.callable is not None:
                raise TypeError(f"{name}: expanding or callable parameters are not supported")
            if name not in keys:
                if name in defaults:
                    fill[name] = defaults[name]
                elif bind.required:
                    raise KeyError(f"parameter {name!r} is required")
                else:
                    fill[name] = _constant(bind.value)
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                if repeated:
                    by_name[name] = process
                else:
                    by_index[index] = process
        columns = list(statement.exported_columns)
        types = tuple(c.type.dialect_impl(dialect) for c in columns)
        return _Form(
            copy_into=_copy_into(statement, names),
            sql=compiled.string,
            take=_taker(names),
            fill=tuple(fill.items()),
            processed=tuple(by_index.items()),
            processed_by_name=tuple(by_name.items()),
            row=namedtuple("Row", [c.key for c in columns], rename=True) if columns else None,
            types=types,
            processors=(
                tuple(impl.result_processor(dialect, None) for impl in types)
                if dialect.name == "sqlite"
                else None
            ),
        )


async def flush_pending(session: AsyncSession) -> None:
    """Write the ORM objects pending in ``session``, as ``session.execute`` would before a
    statement (autoflush), for a caller whose prepared statements read them back."""
    orm = session.sync_session
    if orm.new or orm.dirty or orm.deleted:
        await session.flush()


def _copy_into(
    statement: Any, names: tuple[str, ...]
) -> tuple[str | None, str, tuple[str, ...]] | None:
    """A plain INSERT of values into a table (no ON CONFLICT, no RETURNING asked for, not
    from a SELECT), each placeholder a column's value: its schema, table and columns."""
    if not isinstance(statement, Insert) or statement.select is not None:
        return None
    if statement._post_values_clause is not None or statement._returning:
        return None
    table = statement.table
    if not isinstance(table, Table) or not all(name in table.c for name in names):
        return None
    return table.schema, table.name, tuple(table.c[name].name for name in names)


def _taker(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    if len(names) > 1:
        return itemgetter(*names)
    return lambda params: tuple(params[name] for name in names)  # itemgetter(x) isn't a tuple


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _default(default: Any) -> Callable[[], Any]:
    """A column's Python-side default (or ``onupdate``), made per row as SQLAlchemy does."""
    if default is not None and default.is_scalar:
        return _constant(default.arg)
    if default is not None and default.is_callable:
        make = default.arg  # SQLAlchemy's wrapper, which takes an execution context
        return lambda: make(None)
    raise TypeError(f"unsupported column default {default!r}")


async def _driver(session: AsyncSession) -> _SQLite | _AsyncPG:
    """The driver connection of the session's transaction, looked up once per transaction: a
    session that ends one transaction may take another connection from the pool for the next.
    A transaction begun on the driver's connection itself (``running_on``) comes first.
    """
    own: _SQLite | _AsyncPG | None = session.info.get(_OWN_DRIVER)
    if own is not None:
        return own
    transaction = session.sync_session.get_transaction()
    cached: tuple[Any, _SQLite | _AsyncPG] | None = session.info.get(_DRIVER)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    connection = await session.connection()  # begins the transaction if need be
    adapter: Any = (await connection.get_raw_connection()).dbapi_connection
    driver = _driver_of(connection, adapter)
    session.info[_DRIVER] = (session.sync_session.get_transaction(), driver)
    return driver


async def held_driver(connection: AsyncConnection) -> _SQLite | _AsyncPG:
    """The driver of ``connection``, held for transaction after transaction (a group
    committer's): an invalidated one is replaced by a fresh one first."""
    sync = connection.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        fairy = await connection.get_raw_connection()
    else:
        fairy = sync.connection  # no I/O: the connection is there
    return _driver_of(connection, fairy.dbapi_connection)


def _driver_of(connection: AsyncConnection, adapter: Any) -> _SQLite | _AsyncPG:
    if connection.dialect.name == "sqlite":
        return _SQLite(connection.dialect, adapter.driver_connection)
    return _AsyncPG(connection, adapter)


@contextmanager
def running_on(session: AsyncSession, driver: _SQLite | _AsyncPG) -> Iterator[None]:
    """In the block, ``session``'s prepared statements run on ``driver``, in the transaction
    begun on it with ``driver.begin()`` (a group committer's batch, ``Database.batch``)."""
    session.info[_OWN_DRIVER] = driver
    try:
        yield
    finally:
        session.info.pop(_OWN_DRIVER, None)


class _SQLite:
    """Statements run inline on the sqlite3 connection, as ``db/engine.py`` runs them; a
    transaction begun here begins and commits as that module runs ``BEGIN IMMEDIATE`` and
    ``COMMIT``."""

    def __init__(self, dialect: Dialect, connection: Any) -> None:
        # ``connection``: the aiosqlite connection of ``db/engine.py`` (``_InlineConnection``).
        self.dialect, self.connection = dialect, connection
        self.raw: sqlite3.Connection = connection.inline_connection()

    async def begin(self) -> None:
        await self._step("BEGIN IMMEDIATE", self.connection.begin_immediate)

    async def commit(self) -> None:
        await self._step("COMMIT", self.connection.commit)

    async def rollback(self) -> None:
        if self.raw.in_transaction:
            await self._step("ROLLBACK", self.connection.rollback)

    @staticmethod
    async def _step(sql: str, step: Callable[[], Awaitable[None]]) -> None:
        try:
            await step()
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, (), error, sqlite3.Error) from error

    async def run(self, form: _Form, args: list[Any]) -> Result:
        try:
            cursor = self.raw.execute(form.sql, args)
            fetched = cursor.fetchall() if form.row is not None else None
        except sqlite3.Error as error:
            raise DBAPIError.instance(form.sql, args, error, sqlite3.Error) from error
        if not fetched:
            return Result(cursor.rowcount, [])
        assert form.processors is not None
        return Result(cursor.rowcount, form.rows(form.processors, fetched))

    async def run_many(self, form: _Form, rows: list[list[Any]]) -> None:
        try:
            self.raw.executemany(form.sql, rows)
        except sqlite3.Error as error:
            raise DBAPIError.instance(form.sql, rows, error, sqlite3.Error) from error


# Each asyncpg connection's prepared statements, by SQL: (statement, result processors).
_STATEMENTS: weakref.WeakKeyDictionary[Any, dict[str, tuple[Any, tuple[Processor, ...]]]] = (
    weakref.WeakKeyDictionary()
)


# From this many rows a plain INSERT's executemany goes by binary COPY: two round trips
# instead of one, but PostgreSQL then inserts the rows as one command rather than executing
# the statement once per row, which cost 60-100 µs a row of meter readings under load.
_COPY_FROM = 8


class _AsyncPG:
    """Statements run as asyncpg prepared statements on the connection of SQLAlchemy's
    adapter, in the transaction the adapter holds.

    The adapter begins that transaction with the first statement it runs, so a unit of work
    whose statements all run here begins it through the adapter first. Errors go through the
    adapter's own translation, and a lost connection is invalidated as SQLAlchemy does it, so
    group commit sees ``connection_invalidated`` and runs the batch again on a fresh one.
    """

    def __init__(self, connection: AsyncConnection, adapter: Any) -> None:
        self.connection, self.adapter, self.dialect = connection, adapter, connection.dialect
        self.raw = adapter.driver_connection
        self.statements = _STATEMENTS.setdefault(self.raw, {})

    async def run(self, form: _Form, args: list[Any]) -> Result:
        try:
            async with self.adapter._execute_mutex:
                prepared, processors = await self._prepared(form)
                fetched = await prepared.fetch(*args)
                status = prepared.get_statusmsg()
        except Exception as error:
            raise await self._translated(form.sql, args, error) from error
        rowcount = int(status.rpartition(" ")[2]) if status and status[-1].isdigit() else -1
        if form.row is None or not fetched:
            return Result(rowcount, [])
        return Result(rowcount, form.rows(processors, fetched))

    async def run_many(self, form: _Form, rows: list[list[Any]]) -> None:
        try:
            async with self.adapter._execute_mutex:
                if form.copy_into is not None and len(rows) >= _COPY_FROM:
                    await self._begun()
                    schema, table, columns = form.copy_into
                    await self.raw.copy_records_to_table(
                        table, records=rows, columns=columns, schema_name=schema
                    )
                    return
                prepared, _ = await self._prepared(form)
                await prepared.executemany(rows)
        except Exception as error:
            raise await self._translated(form.sql, rows, error) from error

    async def begin(self) -> None:
        try:
            await self._begun()
        except Exception as error:
            raise await self._translated("BEGIN", [], error) from error

    async def commit(self) -> None:
        await self._end("COMMIT")

    async def rollback(self) -> None:
        await self._end("ROLLBACK")

    async def _end(self, sql: str) -> None:
        # As the adapter's own commit() and rollback() end its transaction, without their
        # greenlet: the transaction is forgotten once asyncpg was asked to end it.
        transaction = self.adapter._transaction
        if transaction is None:
            return
        step = transaction.commit if sql == "COMMIT" else transaction.rollback
        try:
            await self.adapter._call_and_discard(step)
        except Exception as error:
            raise await self._translated(sql, [], error) from error

    async def _begun(self) -> None:
        if self.adapter._transaction is None:
            await self.adapter._start_transaction()

    async def _prepared(self, form: _Form) -> tuple[Any, tuple[Processor, ...]]:
        """The statement prepared on this connection, in the adapter's transaction."""
        await self._begun()
        entry = self.statements.get(form.sql)
        if entry is None:
            prepared = await self.raw.prepare(form.sql)
            # (An INSERT without RETURNING of its own returns its key: SQLAlchemy compiles
            # that in for ``inserted_primary_key``. Nobody here reads it.)
            attributes = prepared.get_attributes() if form.row is not None else ()
            processors = tuple(
                impl.result_processor(self.dialect, attribute.type.oid)
                for impl, attribute in zip(form.types, attributes, strict=True)
            )
            entry = self.statements[form.sql] = (prepared, processors)
        return entry

    async def _translated(self, sql: str, args: list[Any], error: Exception) -> Exception:
        try:
            self.adapter._handle_exception(error)  # raises the adapter's DBAPI error
        except Exception as adapted:
            error = adapted
        lost = self.dialect.is_disconnect(error, self.adapter, None)  # type: ignore[arg-type]
        if lost:
            _STATEMENTS.pop(self.raw, None)
            await self.connection.invalidate(error)
        dbapi_error: type[Exception] = self.dialect.loaded_dbapi.Error
        return DBAPIError.instance(sql, args, error, dbapi_error, connection_invalidated=lost)
