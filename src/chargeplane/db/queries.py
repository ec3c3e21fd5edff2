"""Query building blocks every repository of an organization-owned, versioned resource uses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Label,
    Select,
    Table,
    any_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.base import new_etag

T = TypeVar("T")


async def owned(session: AsyncSession, model: type[T], organization_id: int, id: int) -> T | None:
    """The row ``id`` of ``model`` if the organization owns it (another's is None: a 404)."""
    stmt = select(model).where(
        model.id == id,  # type: ignore[attr-defined]
        model.organization_id == organization_id,  # type: ignore[attr-defined]
    )
    return (await session.scalars(stmt)).first()


async def compare_and_set(
    session: AsyncSession,
    model: type[Any],
    id: int,
    expected_etag: str | None,
    values: dict[str, Any],
    *,
    now: datetime,
) -> str | None:
    """Apply ``values`` if the row still has ``expected_etag`` (None: unconditionally); the
    new etag, or None if the row changed meanwhile. Atomic on both backends: the etag check
    is in the UPDATE's WHERE clause."""
    etag = new_etag()
    stmt = update(model).where(model.id == id)
    if expected_etag is not None:
        stmt = stmt.where(model.etag == expected_etag)
    result = await session.execute(
        stmt.values(**values, etag=etag, updated_at=now).execution_options(
            synchronize_session=False
        )
    )
    return etag if result.rowcount else None  # type: ignore[attr-defined]


def of_organization(
    model: type[T], organization_id: int, *, updated_since: datetime | None = None
) -> Select[T]:
    """The organization's rows of ``model``, changed at or after ``updated_since`` if given:
    the base every list query filters further."""
    stmt = select(model).where(model.organization_id == organization_id)  # type: ignore[attr-defined]
    if updated_since is not None:
        stmt = stmt.where(model.updated_at >= updated_since)  # type: ignore[attr-defined]
    return stmt


def prefixed(table: Table, prefix: str, *names: str) -> list[Label[Any]]:
    """Columns ``names`` of ``table`` (all of them if none are named), labelled
    ``{prefix}_{name}``: another table's columns in a joined read, apart from its own."""
    columns = [table.c[name] for name in names] if names else list(table.c)
    return [column.label(f"{prefix}_{column.name}") for column in columns]


def any_of(column: Any, name: str) -> dict[str, ColumnElement[bool]]:
    """``column IN`` the list bound to ``name``, by dialect, as one placeholder whatever the
    list's length: a prebuilt statement (``db/prepared.py``) takes no expanding ``IN``.
    PostgreSQL: ``= ANY($1::INTEGER[])``; SQLite: ``IN`` the values of a JSON array."""
    values: Select[Any] = select(sql_column("value")).select_from(
        func.json_each(bindparam(name, type_=JSON))
    )
    return {
        "postgresql": column == any_(bindparam(name, type_=postgresql.ARRAY(column.type))),
        "sqlite": column.in_(values.scalar_subquery()),
    }


def live_update(model: type[Any]) -> Any:
    """An UPDATE of live OCPP facts: plain SQL without ORM session synchronisation (the OCPP
    side keeps no loaded objects across statements; the profile showed that work per message)."""
    return update(model).execution_options(synchronize_session=False)


async def page(
    session: AsyncSession,
    stmt: Select[Any],
    id_column: Any,
    *,
    after_id: int | None,
    limit: int,
    rows: bool = False,
) -> tuple[Sequence[Any], bool]:
    """One page of ``stmt`` in id order after ``after_id``; and whether more follow. Objects
    of an ORM select, or with ``rows`` the result rows of a Core one."""
    if after_id is not None:
        stmt = stmt.where(id_column > after_id)
    result = await session.execute(stmt.order_by(id_column).limit(limit + 1))
    found = result.all() if rows else result.scalars().all()
    return found[:limit], len(found) > limit
