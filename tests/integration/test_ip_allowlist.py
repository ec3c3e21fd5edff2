"""API key IP allowlists end to end: the client address is the socket peer, or the
``X-Forwarded-For`` hop a trusted proxy vouches for — never a header from anyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from chargeplane.config import ApiSettings
from tests.conftest import Tenant, make_settings
from tests.integration.test_chargers_api import bearer
from tests.support.server import RunningServer, running_server

FORWARDED = {"X-Forwarded-For": "10.1.2.3"}


async def key_for(api: httpx.AsyncClient, tenant: Tenant, *cidrs: str) -> dict[str, str]:
    response = await api.post(
        "/api/v1/api-keys",
        json={"name": "limited", "allowed_cidrs": list(cidrs)},
        headers=bearer(tenant.key),
    )
    assert response.status_code == 201, response.text
    return bearer(response.json()["key"])


def assert_refused(response: httpx.Response) -> None:
    assert (response.status_code, response.json()["code"]) == (403, "ip_not_allowed")


@pytest.fixture(scope="module")
def proxied_server(database_url: str) -> Iterator[RunningServer]:
    """A server behind a (pretend) reverse proxy on 127.0.0.1."""
    settings = make_settings(database_url).model_copy(
        update={"api": ApiSettings(trusted_proxies=["127.0.0.1/32"])}
    )
    with running_server(settings) as running:
        yield running


@pytest.fixture
async def proxied(proxied_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=proxied_server.http, timeout=10) as client:
        yield client


async def test_a_key_is_used_only_from_its_networks(api: httpx.AsyncClient, tenant: Tenant) -> None:
    elsewhere = await key_for(api, tenant, "10.0.0.0/8")
    assert_refused(await api.get("/api/v1/sites", headers=elsewhere))
    here = await key_for(api, tenant, "127.0.0.0/8")
    assert (await api.get("/api/v1/sites", headers=here)).status_code == 200
    either = await key_for(api, tenant, "10.0.0.0/8", "127.0.0.1/32")
    assert (await api.get("/api/v1/sites", headers=either)).status_code == 200
    anywhere = await key_for(api, tenant)
    assert (await api.get("/api/v1/sites", headers=anywhere)).status_code == 200


async def test_without_trusted_proxies_the_forwarded_header_is_ignored(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    elsewhere = await key_for(api, tenant, "10.0.0.0/8")
    assert_refused(await api.get("/api/v1/sites", headers=elsewhere | FORWARDED))
    here = await key_for(api, tenant, "127.0.0.0/8")
    assert (await api.get("/api/v1/sites", headers=here | FORWARDED)).status_code == 200


async def test_behind_a_trusted_proxy_the_forwarded_client_counts(
    api: httpx.AsyncClient, proxied: httpx.AsyncClient, tenant: Tenant
) -> None:
    elsewhere = await key_for(api, tenant, "10.0.0.0/8")
    here = await key_for(api, tenant, "127.0.0.0/8")
    assert (await proxied.get("/api/v1/sites", headers=elsewhere | FORWARDED)).status_code == 200
    assert_refused(await proxied.get("/api/v1/sites", headers=here | FORWARDED))
    # Without the header the proxy itself is the client.
    assert (await proxied.get("/api/v1/sites", headers=here)).status_code == 200
    assert_refused(await proxied.get("/api/v1/sites", headers=elsewhere))


async def test_a_forged_hop_left_of_the_real_client_is_not_believed(
    api: httpx.AsyncClient, proxied: httpx.AsyncClient, tenant: Tenant
) -> None:
    # The client sent "X-Forwarded-For: 10.1.2.3"; the proxy appended the real 192.0.2.7.
    elsewhere = await key_for(api, tenant, "10.0.0.0/8")
    forged = {"X-Forwarded-For": "10.1.2.3, 192.0.2.7"}
    assert_refused(await proxied.get("/api/v1/sites", headers=elsewhere | forged))
    real = await key_for(api, tenant, "192.0.2.0/24")
    assert (await proxied.get("/api/v1/sites", headers=real | forged)).status_code == 200


async def test_allowlists_are_checked_on_every_route(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    elsewhere = await key_for(api, tenant, "10.0.0.0/8")
    for path in ("/api/v1/api-keys", "/api/v1/organizations", f"/api/v1/organizations/{tenant.id}"):
        assert_refused(await api.get(path, headers=elsewhere))
