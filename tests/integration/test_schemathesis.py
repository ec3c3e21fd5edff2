"""Schemathesis against the app's ``/openapi.json``: generated requests to every operation,
sent over HTTP to the live server (per backend), never get a 5xx, and every answer conforms
to the schema the document gives for it.

The key is a fresh organization's, with every scope. ``DELETE /api/v1/api-keys/{key_id}`` is
left out: it could revoke the key in use (a key may revoke itself), turning every later case
into a 401. Whether a status code is documented is not checked: FastAPI documents neither our
problem answers (401, 403, 404, 409, 412, 428) nor their media type, so the conformance check
judges the answers in a documented media type (the 2xx ones and Thor's errors), not the
``application/problem+json`` ones.

What the fuzzing found (unbounded id filters, non-ASCII id tags on SQLite, NUL characters on
PostgreSQL: each a 500) is fixed and pinned by the tests at the end.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import Case

from chargeplane.app import create_app
from chargeplane.db import Database
from tests.conftest import Tenant, make_settings
from tests.support import factories
from tests.support.server import RunningServer

MAX_EXAMPLES = 15
"""Per operation: ~70 operations x 15 cases keep each backend near a minute on 2 cores."""

# Hypothesis keeps caches under its home directory (.hypothesis/ in the work tree by default).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "chargeplane-hypothesis")

# The document is loaded when the module is collected (one test per operation); it is the
# one the server serves, as test_the_document_is_the_one_the_server_serves shows. (A schema
# loaded from the live server by a fixture, schemathesis.pytest.from_fixture, fails on
# pytest 9.2: its lazy loader sets Node._nodeid, which pytest 9.2 no longer has.)
DOCUMENT = create_app(make_settings("sqlite+aiosqlite:///never-opened.db")).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(
    method="DELETE", path="/api/v1/api-keys/{key_id}"
)
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
# Fuzzing only, bounded by MAX_EXAMPLES: the document has no examples to replay, and the
# coverage phase's boundary cases are not bounded (about ten times the requests).
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    """One connection pool for every generated request."""
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
async def fuzz_key(db: Database) -> str:
    """A full and sensitive key of an organization of its own."""
    name = factories.unique("fuzz")
    return await factories.api_key(db, organization=name, scopes=("basic", "sensitive", "full"))


async def test_the_document_is_the_one_the_server_serves(api: httpx.AsyncClient) -> None:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema(
    case: Case[Any], server: RunningServer, fuzz_key: str, http: requests.Session
) -> None:
    checks: list[Any] = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.response_schema_conformance,
    ]
    case.call_and_validate(
        base_url=server.http,
        session=http,
        headers={"Authorization": f"Bearer {fuzz_key}"},
        checks=checks,
        timeout=10,
    )


# --- what the fuzzing found ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/id-tokens", "customer_id"),
        ("/api/v1/vehicles", "customer_id"),
        ("/api/v1/vehicles", "id_token_id"),
    ],
)
async def test_list_filters_refuse_ids_beyond_32_bits(
    server: RunningServer, tenant: Tenant, path: str, name: str
) -> None:
    answers = {}
    for value in (2**31, 2**63, -(2**31) - 1):
        # A client of its own per request: a 500 closes the connection.
        async with httpx.AsyncClient(base_url=server.http, timeout=10) as client:
            response = await client.get(
                path, params={name: value}, headers={"Authorization": f"Bearer {tenant.key}"}
            )
        answers[value] = response.status_code
    assert answers == {value: 422 for value in answers}, answers


async def test_id_tags_are_printable_ascii_compared_without_case(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    """OCPP id tags are printable ASCII (CiString20); case is ignored the same way on both
    backends (SQLite's lower() folds ASCII only, so a non-ASCII tag could not be matched)."""
    headers = {"Authorization": f"Bearer {tenant.key}"}
    refused = await api.post(
        "/api/v1/id-tokens", json={"value": "ÄBC-1", "name": "A"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["field"] == "body.value"
    value = f"abc-{factories.unique('T')[2:]}"
    first = await api.post("/api/v1/id-tokens", json={"value": value, "name": "A"}, headers=headers)
    assert first.status_code == 201, first.text
    again = await api.post(
        "/api/v1/id-tokens", json={"value": value.upper(), "name": "B"}, headers=headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "id_token_exists")


async def test_a_nul_character_is_refused_not_a_server_error(
    server: RunningServer, tenant: Tenant
) -> None:
    """A NUL in a body field (422), a path or a query parameter (400) is refused on both
    backends: PostgreSQL text cannot hold it."""
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/v1/sites", {"json": {"name": "a\x00b"}}),
        ("POST", "/api/v1/customers", {"json": {"name": "a\x00b"}}),
        ("POST", "/api/v1/id-tokens", {"json": {"value": "NUL-1", "name": "a\x00b"}}),
        ("GET", "/api/v1/chargers/by-ocpp-id/a%00b", {}),
        ("GET", "/api/v1/id-tokens", {"params": {"value": "a\x00b"}}),
        ("GET", "/api/v1/hardware-templates", {"params": {"vendor": "a\x00b"}}),
    ]
    answers = {}
    for method, path, kwargs in calls:
        # A client of its own per request: a 500 closes the connection.
        async with httpx.AsyncClient(base_url=server.http, timeout=10) as client:
            response = await client.request(
                method, path, headers={"Authorization": f"Bearer {tenant.key}"}, **kwargs
            )
        answers[f"{method} {path} {kwargs}"] = response.status_code
    assert sorted(answers.values()) == [400, 400, 400, 422, 422, 422], answers
