"""Thor's "Get chargebox" end to end: a charger made over the native API, driven by a
simulated charge point over a real WebSocket, read back through ``/compat/thor`` exactly as
Thor's document describes it (docs/compat/thor.md); and every error Thor documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from chargeplane.compat import thor
from chargeplane.db import Database
from chargeplane.errors import Conflict
from chargeplane.simulator import Station, StationConfig
from tests.conftest import Tenant
from tests.e2e.helpers import eventually, parse
from tests.support import factories
from tests.support.server import RunningServer

CCS2 = {
    "standard": "IEC_62196_T2_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "max_voltage": 920,
    "max_amperage": 125,
    "max_power_kw": 50,
}
TYPE2 = {
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": 400,
    "max_amperage": 32,
    "max_power_kw": 22,
}
EVSES = [
    {"number": 1, "name": "DC", "max_power_kw": 50, "connectors": [CCS2]},
    {"number": 2, "name": "AC", "max_power_kw": 22, "connectors": [TYPE2]},
]
TERMINAL = "NAYAX-0042"
NAYAX_TOKEN = "nayax-secret-token"

# The document's fields with their types and, where it lists them, their values.
FIELDS = {
    "active": bool,
    "alias": str,
    "connected": bool,
    "public": bool,
    "reservable": bool,
    "connectors": list,
    "coordinates": dict,
    "id": str,
    "last_heartbeat": int,
    "timezone": str,
    "type": dict,
    "occupied_connectors": list,
    "reserved_connectors": list,
}
CONNECTOR_FIELDS = {
    "power": int,
    "type": str,
    "format": str,
    "max_amperage": int,
    "power_type": str,
    "terminal_id": str,
    "token": str,
}
CONNECTOR_TYPES = {"ccs", "chademo", "commando", "type_1", "type_2", "type_3a", "type_3c", "schuko"}
FORMATS = {"CABLE", "SOCKET"}
POWER_TYPES = {"AC_1_PHASE", "AC_3_PHASE", "DC"}
VEHICLES = {"car", "bicycle"}
VERSIONS = {"1.5", "1.6"}
MESSAGE_FORMATS = {"json", "soap"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def thor_key(key: str) -> dict[str, str]:
    return {"X-Api-Key": key}


def path(chargebox_id: str) -> str:
    return f"/compat/thor/latest/integration/chargeboxes/{chargebox_id}"


def is_(value: Any, kind: type) -> bool:
    """``isinstance`` without ``bool`` passing for ``int``."""
    return type(value) is kind if kind in (bool, int) else isinstance(value, kind)


async def new_key(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/api-keys",
        json={"name": factories.unique("thor"), **body},
        headers=bearer(tenant.key),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_charger(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/chargers",
        json={"ocpp_id": factories.unique("CP"), "evses": EVSES, **body},
        headers=bearer(tenant.key),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def depot_charger(api: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    return await create_charger(
        api,
        tenant,
        name="Depot Amsterdam",
        latitude=52.37,
        longitude=4.89,
        public=True,
        reservable=True,
        contactless_type="Nayax",
        contactless_terminal_id=TERMINAL,
        contactless_token=NAYAX_TOKEN,
    )


def assert_thor_error(response: httpx.Response, status: int, message: str) -> None:
    assert (response.status_code, response.json()) == (status, {"message": message}), response.text
    assert response.headers["content-type"] == "application/json"


async def test_a_live_charger_is_served_field_by_field_as_thor_documents_it(
    server: RunningServer, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    charger = await depot_charger(api, tenant)
    ocpp_id = charger["ocpp_id"]
    key = (await new_key(api, tenant, scopes=["sensitive"], thor_rest_api=True))["key"]

    async with Station(StationConfig(ocpp_id=ocpp_id), server.ocpp) as cp:
        assert (await cp.boot())["status"] == "Accepted"
        beat = await cp.heartbeat()
        heartbeat_ms = int(parse(beat["currentTime"]).timestamp() * 1000)
        await cp.status(1, "Preparing")
        started = await cp.start_transaction(
            1, "THOR-TAG", meter_start=0, timestamp=datetime.now(UTC)
        )
        assert isinstance(started["transactionId"], int)
        await cp.status(1, "Charging")
        await cp.status(2, "Reserved")

        response = await api.get(path(ocpp_id), headers=thor_key(key))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()

    # Presence and types of every documented field, and nothing else.
    assert set(body) == set(FIELDS)
    wrong = {name: body[name] for name, kind in FIELDS.items() if not is_(body[name], kind)}
    assert not wrong, f"fields of the wrong type: {wrong}"

    assert body["active"] is True
    assert body["alias"] == "Depot Amsterdam"
    assert body["connected"] is True
    assert body["public"] is True
    assert body["reservable"] is True
    assert body["id"] == ocpp_id
    assert body["last_heartbeat"] == heartbeat_ms
    assert body["timezone"] == "Europe/Amsterdam"

    assert body["coordinates"] == {"latitude": 52.37, "longitude": 4.89}
    assert all(type(v) is float for v in body["coordinates"].values())

    assert body["type"] == {"vehicle": "car", "msg": "json", "version": "1.6"}
    assert body["type"]["vehicle"] in VEHICLES
    assert body["type"]["msg"] in MESSAGE_FORMATS
    assert body["type"]["version"] in VERSIONS

    connectors = body["connectors"]
    assert len(connectors) == 2
    for connector in connectors:
        assert set(connector) == set(CONNECTOR_FIELDS)
        wrong = {n: connector[n] for n, k in CONNECTOR_FIELDS.items() if not is_(connector[n], k)}
        assert not wrong, f"connector fields of the wrong type: {wrong}"
        assert connector["type"] in CONNECTOR_TYPES
        assert connector["format"] in FORMATS
        assert connector["power_type"] in POWER_TYPES
    dc, ac = connectors
    assert dc == {
        "power": 50000,
        "type": "ccs",
        "format": "CABLE",
        "max_amperage": 125,
        "power_type": "DC",
        "terminal_id": TERMINAL,
        "token": NAYAX_TOKEN,
    }
    assert ac == {
        "power": 22000,
        "type": "type_2",
        "format": "SOCKET",
        "max_amperage": 32,
        "power_type": "AC_3_PHASE",
        "terminal_id": TERMINAL,
        "token": NAYAX_TOKEN,
    }

    assert body["occupied_connectors"] == [1]
    assert body["reserved_connectors"] == [2]

    # Once the charger is gone: not connected, its last heartbeat and version kept.
    async def offline() -> bool:
        seen = await api.get(path(ocpp_id), headers=thor_key(key))
        return bool(seen.json()["connected"] is False)

    await eventually(offline, timeout=5)
    gone = (await api.get(path(ocpp_id), headers=thor_key(key))).json()
    assert (gone["last_heartbeat"], gone["type"]["version"]) == (heartbeat_ms, "1.6")


async def test_a_charger_never_connected(api: httpx.AsyncClient, tenant: Tenant) -> None:
    charger = await create_charger(api, tenant, vehicle_type="bicycle")
    key = (await new_key(api, tenant, thor_rest_api=True))["key"]
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == set(FIELDS)
    assert body["connected"] is False
    assert body["last_heartbeat"] is None
    assert body["alias"] is None
    assert body["coordinates"] == {"latitude": None, "longitude": None}
    assert body["timezone"] is None
    assert body["type"] == {"vehicle": "bicycle", "msg": "json", "version": None}
    assert (body["occupied_connectors"], body["reserved_connectors"]) == ([], [])
    assert [(c["terminal_id"], c["token"]) for c in body["connectors"]] == [(None, None)] * 2


async def test_without_the_sensitive_scope_the_nayax_token_is_null(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    charger = await depot_charger(api, tenant)
    key = (await new_key(api, tenant, thor_rest_api=True))["key"]
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(key))
    assert response.status_code == 200, response.text
    assert [(c["terminal_id"], c["token"]) for c in response.json()["connectors"]] == [
        (TERMINAL, None),
        (TERMINAL, None),
    ]
    assert NAYAX_TOKEN not in response.text


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Api-Key": ""},
        {"X-Api-Key": "not-a-key"},
        {"X-Api-Key": "cp_000000000000_unknown"},
    ],
    ids=["missing", "empty", "garbage", "unknown"],
)
async def test_a_missing_or_unknown_key_is_api_key_not_found(
    api: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str]
) -> None:
    charger = await create_charger(api, tenant)
    assert_thor_error(
        await api.get(path(charger["ocpp_id"]), headers=headers), 403, "APIKeyNotFound"
    )


async def test_the_key_is_read_from_x_api_key_only(api: httpx.AsyncClient, tenant: Tenant) -> None:
    charger = await create_charger(api, tenant)
    key = (await new_key(api, tenant, thor_rest_api=True))["key"]
    response = await api.get(path(charger["ocpp_id"]), headers=bearer(key))
    assert_thor_error(response, 403, "APIKeyNotFound")


async def test_a_revoked_key_is_api_key_not_found(api: httpx.AsyncClient, tenant: Tenant) -> None:
    charger = await create_charger(api, tenant)
    created = await new_key(api, tenant, thor_rest_api=True)
    assert (await api.get(path(charger["ocpp_id"]), headers=thor_key(created["key"]))).is_success
    revoked = await api.delete(f"/api/v1/api-keys/{created['id']}", headers=bearer(tenant.key))
    assert revoked.status_code == 204
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(created["key"]))
    assert_thor_error(response, 403, "APIKeyNotFound")


async def test_an_expired_key_is_api_key_not_found(api: httpx.AsyncClient, tenant: Tenant) -> None:
    charger = await create_charger(api, tenant)
    expired = datetime.now(UTC) - timedelta(minutes=1)
    key = (await new_key(api, tenant, thor_rest_api=True, expires_at=expired.isoformat()))["key"]
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(key))
    assert_thor_error(response, 403, "APIKeyNotFound")


async def test_a_key_without_the_thor_switch_is_rest_api_not_enabled(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    charger = await create_charger(api, tenant)
    created = await new_key(api, tenant, scopes=["sensitive", "full"])
    assert created["thor_rest_api"] is False  # off by default
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(created["key"]))
    assert_thor_error(response, 403, "RestAPINotEnabled")
    # The switch takes effect at once, both ways.
    switched = await api.patch(
        f"/api/v1/api-keys/{created['id']}",
        json={"thor_rest_api": True},
        headers=bearer(tenant.key),
    )
    assert switched.status_code == 200, switched.text
    assert (await api.get(path(charger["ocpp_id"]), headers=thor_key(created["key"]))).is_success
    await api.patch(
        f"/api/v1/api-keys/{created['id']}",
        json={"thor_rest_api": False},
        headers=bearer(tenant.key),
    )
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(created["key"]))
    assert_thor_error(response, 403, "RestAPINotEnabled")


async def test_a_key_used_outside_its_networks_is_invalid_source_ip(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    charger = await create_charger(api, tenant)
    elsewhere = await new_key(api, tenant, thor_rest_api=True, allowed_cidrs=["10.0.0.0/8"])
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(elsewhere["key"]))
    assert_thor_error(response, 403, "InvalidSourceIPAddr")
    here = await new_key(api, tenant, thor_rest_api=True, allowed_cidrs=["127.0.0.0/8"])
    assert (await api.get(path(charger["ocpp_id"]), headers=thor_key(here["key"]))).is_success


async def test_an_unknown_chargebox_is_chargebox_not_found(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    key = (await new_key(api, tenant, thor_rest_api=True))["key"]
    response = await api.get(path(factories.unique("nobody")), headers=thor_key(key))
    assert_thor_error(response, 404, "ChargeboxNotFound")


async def test_another_organizations_chargebox_is_not_found_like_an_unknown_one(
    api: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await depot_charger(api, other_tenant)
    key = (await new_key(api, tenant, scopes=["sensitive"], thor_rest_api=True))["key"]
    response = await api.get(path(theirs["ocpp_id"]), headers=thor_key(key))
    assert_thor_error(response, 404, "ChargeboxNotFound")
    assert TERMINAL not in response.text


@pytest.fixture
async def other_tenant(db: Database) -> Tenant:
    """Another organization with a full key."""
    name = factories.unique("org")
    org_id = await factories.organization(db, name)
    key = await factories.api_key(db, organization=name, scopes=("basic", "sensitive", "full"))
    return Tenant(name, org_id, key)


@pytest.mark.parametrize(
    ("target", "error"),
    [("chargebox", RuntimeError("boom")), ("snapshot_of", Conflict("a domain error"))],
    ids=["mapping", "lookup"],
)
async def test_anything_unexpected_is_an_internal_server_error(
    api: httpx.AsyncClient,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    error: Exception,
) -> None:
    charger = await create_charger(api, tenant)
    key = (await new_key(api, tenant, thor_rest_api=True))["key"]

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    async def fail_async(*args: Any, **kwargs: Any) -> Any:
        fail(*args, **kwargs)

    # The server runs in this process (another thread): patching the module reaches it.
    monkeypatch.setattr(thor, target, fail if target == "chargebox" else fail_async)
    response = await api.get(path(charger["ocpp_id"]), headers=thor_key(key))
    assert_thor_error(response, 500, "InternalServerError")
    assert "boom" not in response.text
    assert "domain error" not in response.text
