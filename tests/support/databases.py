"""Test databases: SQLite always; PostgreSQL when reachable (mandatory when
``CHARGEPLANE_TEST_REQUIRE_POSTGRES=1``, as in CI)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "CHARGEPLANE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("CHARGEPLANE_TEST_REQUIRE_POSTGRES") == "1"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres_available() -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        conn = await asyncpg.connect(_dsn(POSTGRES_ADMIN_URL), timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@asynccontextmanager
async def sqlite_database(directory: Path) -> AsyncIterator[str]:
    yield f"sqlite+aiosqlite:///{directory / 'chargeplane-test.db'}"


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh database for this test run, dropped afterwards."""
    name = f"chargeplane_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_dsn(POSTGRES_ADMIN_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_dsn(POSTGRES_ADMIN_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
