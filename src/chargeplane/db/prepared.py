"""The OCPP side's statements, run on SQLite's own connection.

Every OCPP message runs one to five small statements, each built once as a Core statement
(ADR 4, item 2). SQLAlchemy's execution of such a statement still cost ~105 µs of CPU on
SQLite, measured: a greenlet per call (~45 µs), then the execution context, parameter and
result processing. sqlite3 runs the same UPDATE in ~3 µs. ``Prepared`` keeps what SQLAlchemy
does once and drops what it does per call: SQLAlchemy compiles the statement (once per dialect
and set of parameter names, as its own compiled cache does) and supplies the types' bind and
result processors and the columns' Python defaults; the statement then runs on the sqlite3
connection that holds the session's transaction, inline, as ``db/engine.py`` already runs
SQLite statements. Same SQL, same bound values, same transaction.

On PostgreSQL the statement goes through ``session.execute`` as before: asyncpg's adapter in
SQLAlchemy begins the transaction lazily and maps its errors, and that is not ours to redo.

A driver error is raised as SQLAlchemy would raise it (``DBAPIError.instance``: an
``IntegrityError`` for a constraint, with the statement and parameters).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.upsert import per_dialect

_INLINE = "chargeplane.inline"

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Result:
    rowcount: int
    rows: list[Any]

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class _Required:
    """A bound parameter the caller must give."""


class _Default:
    """A column's Python-side default (or ``onupdate``), computed per row as SQLAlchemy does."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


_REQUIRED = _Required()


@dataclass(frozen=True, slots=True)
class _Form:
    """A statement compiled for SQLite and one set of parameter names."""

    sql: str
    # Per placeholder, in order: the parameter's name, what it takes when not given (a
    # constant, ``_REQUIRED`` or a ``_Default``), and the type's bind processor.
    binds: tuple[tuple[str, Any, Processor], ...]
    row: Any  # a namedtuple class of the result columns; None when no rows come back
    processors: tuple[Processor, ...]  # per result column

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, otherwise, process in self.binds:
            if name in params:
                value = params[name]
            elif otherwise is _REQUIRED:
                raise KeyError(f"parameter {name!r} is required")
            elif isinstance(otherwise, _Default):
                value = otherwise.make()
            else:
                value = otherwise
            out.append(value if process is None or value is None else process(value))
        return out

    def rows(self, fetched: list[Any]) -> list[Any]:
        make, processors = self.row._make, self.processors
        out = []
        for values in fetched:
            pairs = zip(processors, values, strict=True)
            out.append(make([v if p is None or v is None else p(v) for p, v in pairs]))
        return out


class Prepared:
    """A Core statement (or a ``per_dialect`` one) of the OCPP side's units of work."""

    __slots__ = ("_forms", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, ...], _Form] = {}

    async def run(self, session: AsyncSession, params: Mapping[str, Any]) -> Result:
        raw = await _inline_connection(session)
        if raw is None:
            return await self._run_through_session(session, params)
        keys = tuple(params)
        form = self._forms.get(keys)
        if form is None:
            form = self._forms[keys] = self._compile(session.get_bind().dialect, keys)
        args = form.args(params)
        try:
            cursor = raw.execute(form.sql, args)
            fetched = cursor.fetchall() if form.row is not None else None
        except sqlite3.Error as error:
            raise DBAPIError.instance(form.sql, args, error, sqlite3.Error) from error
        return Result(cursor.rowcount, form.rows(fetched) if fetched else [])

    async def _run_through_session(
        self, session: AsyncSession, params: Mapping[str, Any]
    ) -> Result:
        statement = self._statement(session.get_bind().dialect)
        result = await session.execute(statement, params)
        rows = list(result.all()) if result.returns_rows else []  # type: ignore[attr-defined]
        return Result(result.rowcount, rows)  # type: ignore[attr-defined]

    def _statement(self, dialect: Dialect) -> Any:
        if isinstance(self.statement, per_dialect):
            return self.statement[dialect.name]
        return self.statement

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Form:
        statement = self._statement(dialect)
        # As SQLAlchemy compiles it to execute it: the parameters given name the columns that
        # an INSERT or UPDATE without explicit values sets.
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        defaults: dict[str, _Default] = {}
        for column in getattr(compiled, "insert_prefetch", ()):
            defaults[column.key] = _default(column.default)
        for column in getattr(compiled, "update_prefetch", ()):
            defaults[column.key] = _default(column.onupdate)
        binds = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            if bind.expanding or bind.callable is not None:
                raise TypeError(f"{name}: expanding or callable parameters are not supported")
            otherwise = (
                defaults[name] if name in defaults else _REQUIRED if bind.required else bind.value
            )
            binds.append((name, otherwise, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        columns = list(statement.exported_columns)
        return _Form(
            sql=compiled.string,
            binds=tuple(binds),
            row=namedtuple("Row", [c.key for c in columns], rename=True) if columns else None,
            processors=tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            ),
        )


def _default(default: Any) -> _Default:
    if default is not None and default.is_scalar:
        value = default.arg
        return _Default(lambda: value)
    if default is not None and default.is_callable:
        make = default.arg  # SQLAlchemy's wrapper, which takes an execution context
        return _Default(lambda: make(None))
    raise TypeError(f"unsupported column default {default!r}")


async def _inline_connection(session: AsyncSession) -> Any:
    """The sqlite3 connection of the session's transaction; None on another backend.

    Looked up once per transaction: a session that ends one transaction may take another
    connection from the pool for the next."""
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_INLINE)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    connection = await session.connection()  # begins the transaction if need be
    raw = None
    if connection.dialect.name == "sqlite":
        driver: Any = (await connection.get_raw_connection()).driver_connection
        raw = driver.inline_connection()
    session.info[_INLINE] = (session.sync_session.get_transaction(), raw)
    return raw
