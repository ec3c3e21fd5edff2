"""Fixtures shared by integration and e2e tests.

Every database-backed test runs once per backend: ``[sqlite]`` and ``[postgres]``. Without a
reachable PostgreSQL the postgres leg is skipped with a visible reason, unless
``CHARGEPLANE_TEST_REQUIRE_POSTGRES=1`` (CI), which turns that into a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from chargeplane.config import OcppSettings, Settings
from chargeplane.db import Database, upgrade
from tests.support import factories
from tests.support.databases import (
    REQUIRE_POSTGRES,
    postgres_available,
    postgres_database,
    sqlite_database,
)
from tests.support.server import RunningServer, running_server

BACKENDS = ["sqlite", "postgres"]
SECRET_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """One migrated database per backend for the whole run; tests isolate by organization."""
    if request.param == "postgres":
        problem = await postgres_available()
        if problem is not None:
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL is required (CI) but unreachable: {problem}")
            pytest.skip(f"PostgreSQL leg skipped: no PostgreSQL reachable ({problem})")
        async with postgres_database() as url:
            await upgrade(url)
            yield url
    else:
        async with sqlite_database(tmp_path_factory.mktemp("sqlite")) as url:
            await upgrade(url)
            yield url


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def make_settings(database_url: str, **ocpp: Any) -> Settings:
    base = {"ping_interval": 0.5, "ping_timeout": 0.5, "heartbeat_interval": 120}
    return Settings(
        database_url=database_url,
        node_name="test-node",
        default_organization="default",
        secret_key=SECRET_KEY,
        ocpp=OcppSettings(**{**base, **ocpp}),
    )


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[RunningServer]:
    """The shared server: unknown chargers accepted, unknown id tags rejected."""
    with running_server(make_settings(database_url)) as running:
        yield running


@dataclass(frozen=True)
class Tenant:
    """An organization of its own, with an API key, for one test."""

    name: str
    id: int
    key: str


@pytest.fixture
async def tenant(db: Database) -> Tenant:
    name = factories.unique("org")
    org_id = await factories.organization(db, name)
    key = await factories.api_key(db, organization=name, scopes=("basic", "sensitive", "full"))
    return Tenant(name, org_id, key)


@pytest.fixture
async def default_tenant(db: Database) -> Tenant:
    """The organization that auto-registered chargers join."""
    org_id = await factories.organization(db, "default")
    key = await factories.api_key(db, organization="default")
    return Tenant("default", org_id, key)


@pytest.fixture
async def api(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as client:
        yield client


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"chargeplane backends: {', '.join(BACKENDS)} (postgres required: {REQUIRE_POSTGRES})"]
