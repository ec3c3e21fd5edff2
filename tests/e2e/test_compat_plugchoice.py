"""Plugchoice's ``GET /api/v3/chargers/{charger}`` against a real server and a simulated
charger (Flipturn's example state): every documented field, its type and source, the
``pincode`` and ``permissions`` per key; then the dialect's authentication and errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from chargeplane.db import Database
from tests.conftest import Tenant
from tests.e2e.helpers import eventually, parse
from tests.e2e.test_compat_flipturn import (
    BOOLEAN,
    CCS1,
    NUMBER,
    ONE_PORT,
    STRING,
    bearer,
    example_charger,
    mismatches,
    nullable,
    one_of,
    post,
)
from tests.support import factories
from tests.support.server import RunningServer

BASE = "/compat/plugchoice/api/v3/chargers"
ISO_US = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

PLUGCHOICE_CONNECTOR: dict[str, Any] = {
    "id": NUMBER,
    "charger_id": NUMBER,
    "connector_id": NUMBER,
    "status": nullable(STRING),
    "error": nullable(STRING),
    "error_info": nullable(STRING),
    "vendor_id": nullable(STRING),
    "vendor_error_code": nullable(STRING),
    "max_amperage": nullable(NUMBER),
    "max_voltage": nullable(NUMBER),
    "standard": nullable(STRING),
    "format": nullable(STRING),
    "power_type": nullable(STRING),
    "phase_rotation": nullable(STRING),
    "created_at": STRING,
    "updated_at": STRING,
}
PLUGCHOICE_CHARGER: dict[str, Any] = {
    "uuid": STRING,
    "id": NUMBER,
    "identity": STRING,
    "pincode": nullable(STRING),
    "reference": nullable(STRING),
    "connection_status": one_of("Connected", "Disconnected"),
    "status": nullable(STRING),
    "error": nullable(STRING),
    "error_info": nullable(STRING),
    "vendor_id": nullable(STRING),
    "vendor_error_code": nullable(STRING),
    "firmware_version": nullable(STRING),
    "parsed_firmware_version": nullable(STRING),
    "server": nullable(STRING),
    "last_connection_at": nullable(STRING),
    "last_disconnection_at": nullable(STRING),
    "last_heartbeat_at": nullable(STRING),
    "setup_pending": BOOLEAN,
    "setup_completed": BOOLEAN,
    "blocked": BOOLEAN,
    "max_current": nullable(NUMBER),
    "created_at": STRING,
    "updated_at": STRING,
    "licenses": {"smart": BOOLEAN, "pro": BOOLEAN},
    "model_id": nullable(NUMBER),
    "model": {"vendor": nullable(STRING), "name": nullable(STRING), "is_dc": BOOLEAN},
    "connectors": [PLUGCHOICE_CONNECTOR],
    "permissions": {"basic": BOOLEAN, "sensitive": BOOLEAN, "full": BOOLEAN},
}
"""The documented response: "May be null" where the document says so, and where chargeplane
may not know a value yet (see docs/compat/plugchoice.md)."""

TIMESTAMP_KEYS = ("last_connection_at", "last_disconnection_at", "last_heartbeat_at")


def check(body: dict[str, Any], *, pincode: bool) -> list[str]:
    """The body against the documented shape (``pincode`` only when expected), with every
    timestamp in Plugchoice's format."""
    shape = dict(PLUGCHOICE_CHARGER)
    if not pincode:
        del shape["pincode"]
    found = mismatches(body, shape)
    stamps = [body[k] for k in (*TIMESTAMP_KEYS, "created_at", "updated_at")]
    stamps += [c[k] for c in body.get("connectors", []) for k in ("created_at", "updated_at")]
    found += [f"timestamp {s!r}" for s in stamps if s is not None and not ISO_US.match(s)]
    return found


def us(native: str | None) -> str | None:
    """A native API timestamp as Plugchoice renders it."""
    if native is None:
        return None
    return parse(native).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def get(api: httpx.AsyncClient, key: str | None, uuid: str) -> httpx.Response:
    return await api.get(f"{BASE}/{uuid}", headers=bearer(key) if key else {})


def connector(native: dict[str, Any], charger_id: int, status: str) -> dict[str, Any]:
    return {
        "id": native["id"],
        "charger_id": charger_id,
        "connector_id": native["number"],
        "status": status,
        "error": None,
        "error_info": None,
        "vendor_id": None,
        "vendor_error_code": None,
        "max_amperage": 200,  # A
        "max_voltage": 920,  # V
        "standard": "IEC_62196_T1_COMBO",
        "format": "CABLE",
        "power_type": "DC",
        "phase_rotation": None,
        "created_at": us(native["created_at"]),
        "updated_at": us(native["updated_at"]),
    }


async def test_every_documented_field_of_the_example_charger(
    server: RunningServer, api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    async with example_charger(api, server, db, tenant) as ex:
        response = await get(api, tenant.key, ex.charger["uuid"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert check(body, pincode=True) == []
    native = ex.charger
    connection = native["connection"]
    assert connection["last_heartbeat_at"] is not None
    assert body == {
        "uuid": native["uuid"],
        "id": native["id"],
        "identity": native["ocpp_id"],
        "pincode": "1234",
        "reference": "ref-1",
        "connection_status": "Connected",
        "status": "Available",
        "error": None,
        "error_info": None,
        "vendor_id": None,
        "vendor_error_code": None,
        "firmware_version": "1.5.4.4",
        "parsed_firmware_version": "1.5.4.4",
        "server": "test-node",
        "last_connection_at": us(connection["last_connected_at"]),
        "last_disconnection_at": None,
        "last_heartbeat_at": us(connection["last_heartbeat_at"]),
        "setup_pending": False,
        "setup_completed": True,
        "blocked": False,
        "max_current": 200,  # A
        "created_at": us(native["created_at"]),
        "updated_at": us(native["updated_at"]),
        "licenses": {"smart": True, "pro": False},
        "model_id": None,
        "model": {"vendor": "ABB", "name": "Terra 184", "is_dc": True},
        "connectors": [
            connector(native["evses"][0], native["id"], "Available"),
            connector(native["evses"][1], native["id"], "Charging"),
        ],
        "permissions": {"basic": True, "sensitive": True, "full": True},
    }
    low, high = ex.connected_between
    assert low <= parse(body["last_connection_at"]) <= high


@pytest.mark.parametrize(
    "scopes",
    [("basic",), ("basic", "sensitive"), ("basic", "full"), ("basic", "sensitive", "full")],
    ids=lambda s: "+".join(s),
)
async def test_pincode_and_permissions_follow_the_key(
    api: httpx.AsyncClient, db: Database, tenant: Tenant, scopes: tuple[str, ...]
) -> None:
    created = await post(
        api,
        tenant.key,
        "/api/v1/chargers",
        {"ocpp_id": factories.unique("CP"), "pincode": "98765", "evses": ONE_PORT},
    )
    key = await factories.api_key(db, organization=tenant.name, scopes=scopes)
    response = await get(api, key, created["uuid"])
    assert response.status_code == 200, response.text
    body = response.json()
    sensitive = "sensitive" in scopes
    assert check(body, pincode=sensitive) == []
    assert body["permissions"] == {
        "basic": True,
        "sensitive": sensitive,
        "full": "full" in scopes,
    }
    assert ("pincode" in body) is sensitive
    assert ("98765" in response.text) is sensitive
    if sensitive:
        assert body["pincode"] == "98765"


async def test_a_charger_from_a_template_that_never_connected(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    template = await post(
        api,
        tenant.key,
        "/api/v1/hardware-templates",
        {
            "vendor": "Alfen",
            "name": "Eve Double",
            "is_dc": False,
            "evses": [
                {
                    "number": n,
                    "connectors": [
                        {
                            "standard": "IEC_62196_T2",
                            "format": "SOCKET",
                            "power_type": "AC_3_PHASE",
                            "max_amperage": 32,
                            "max_voltage": 400,
                            "phase_rotation": "RST",
                        }
                    ],
                }
                for n in (1, 2)
            ],
        },
    )
    created = await post(
        api,
        tenant.key,
        "/api/v1/chargers",
        {"ocpp_id": factories.unique("CP"), "hardware_template_id": template["id"]},
    )
    response = await get(api, tenant.key, created["uuid"])
    assert response.status_code == 200
    body = response.json()
    assert check(body, pincode=True) == []
    assert body["pincode"] is None
    assert (body["model_id"], body["model"]) == (
        template["id"],
        {"vendor": "Alfen", "name": "Eve Double", "is_dc": False},
    )
    assert body["connection_status"] == "Disconnected"
    for key in ("status", "server", *TIMESTAMP_KEYS, "firmware_version", "max_current"):
        assert body[key] is None, key
    assert [
        (c["connector_id"], c["status"], c["standard"], c["max_amperage"], c["phase_rotation"])
        for c in body["connectors"]
    ] == [(1, None, "IEC_62196_T2", 32, "RST"), (2, None, "IEC_62196_T2", 32, "RST")]


async def test_a_disconnected_charger(
    server: RunningServer, api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    async with example_charger(api, server, db, tenant) as ex:
        pass
    uuid = ex.charger["uuid"]

    async def disconnected() -> bool:
        body = (await get(api, tenant.key, uuid)).json()
        return bool(body["connection_status"] == "Disconnected")

    await eventually(disconnected, timeout=5)
    body = (await get(api, tenant.key, uuid)).json()
    assert check(body, pincode=True) == []
    assert body["server"] is None
    assert body["last_disconnection_at"] is not None
    assert parse(body["last_disconnection_at"]) >= parse(body["last_connection_at"])


# --- authentication and errors ----------------------------------------------------------------


async def test_a_key_is_required(api: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    created = await post(
        api, tenant.key, "/api/v1/chargers", {"ocpp_id": factories.unique("CP"), "evses": ONE_PORT}
    )
    expired = await factories.api_key(
        db, organization=tenant.name, expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    for uuid in (created["uuid"], "no-such-charger"):
        for headers in (
            {},
            {"Authorization": "Bearer cp_000000000000_not-a-key"},
            {"Authorization": f"Basic {tenant.key}"},
            bearer(expired),
        ):
            response = await api.get(f"{BASE}/{uuid}", headers=headers)
            assert response.status_code == 401, (uuid, headers, response.text)
            assert response.headers["content-type"] == "application/json"
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json() == {"message": "Unauthenticated.", "code": "unauthenticated"}


async def test_another_organizations_charger_is_not_found(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    created = await post(
        api,
        tenant.key,
        "/api/v1/chargers",
        {"ocpp_id": factories.unique("CP"), "evses": [{"number": 1, "connectors": [CCS1]}]},
    )
    other = factories.unique("org")
    await factories.organization(db, other)
    theirs = await factories.api_key(db, organization=other, scopes=("basic", "sensitive", "full"))
    for uuid in (created["uuid"], "00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        response = await get(api, theirs, uuid)
        assert response.status_code == 404, uuid
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"message": "Charger not found.", "code": "not_found"}
    assert (await get(api, tenant.key, created["uuid"])).status_code == 200
