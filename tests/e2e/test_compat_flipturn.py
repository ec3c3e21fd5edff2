"""Flipturn's ``GET /api/chargers/...`` against a real server and a simulated charger driven
into the state of Flipturn's documented example: every key, type, null, enum value and unit
checked against the document; then the dialect's authentication and errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chargeplane.db import Database
from chargeplane.simulator import Sample, Station, StationConfig
from tests.conftest import Tenant
from tests.e2e.helpers import eventually, parse
from tests.support import factories
from tests.support.server import RunningServer

BASE = "/compat/flipturn/api/chargers"
T_START = datetime(2025, 1, 1, 11, 30, tzinfo=UTC)
T_READ = datetime(2025, 1, 1, 11, 45, tzinfo=UTC)
T_AVAILABLE = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

CCS1 = {
    "standard": "IEC_62196_T1_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "max_voltage": 920,
    "max_amperage": 200,
    "max_power_kw": 180,
}

ONE_PORT = [{"number": 1, "connectors": [CCS1]}]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- the documented example, driven over OCPP -------------------------------------------------


@dataclass
class Example:
    """The charger of the example, connected, with its native snapshot and seeded objects."""

    charger: dict[str, Any]
    """The native API's view (``/api/v1/chargers/{id}``), read after driving the charger."""
    site: dict[str, Any]
    token_id: int
    vehicle_id: int
    transaction_id: int
    connected_between: tuple[datetime, datetime]
    station: Station

    @property
    def ocpp_id(self) -> str:
        return str(self.charger["ocpp_id"])

    def evse_id(self, number: int) -> int:
        (evse,) = [e for e in self.charger["evses"] if e["number"] == number]
        return int(evse["id"])


async def post(api: httpx.AsyncClient, key: str, path: str, body: dict[str, Any]) -> Any:
    response = await api.post(path, json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    return response.json()


@asynccontextmanager
async def example_charger(
    api: httpx.AsyncClient, server: RunningServer, db: Database, tenant: Tenant
) -> AsyncIterator[Example]:
    """Flipturn's example over the native API and OCPP: "Test Charger" (STATION-001) with two
    CCS1 180 kW ports on "Site 1", port 1 Available, port 2 Charging for "test-tag" (SoC 20 %
    at start; 50 kW, 100 A, 35 %, 400 V and 10.5 kWh delivered at 11:45). Also the management
    fields Plugchoice shows (pincode, reference, max current, licenses, setup)."""
    site = await post(
        api,
        tenant.key,
        "/api/v1/sites",
        {
            "name": "Site 1",
            "address": "1234 Fake St, Long Beach, CA 90802",
            "latitude": 33.7701,
            "longitude": -118.1937,
        },
    )
    assert site["timezone"] == "America/Los_Angeles"  # derived from the coordinates
    created = await post(
        api,
        tenant.key,
        "/api/v1/chargers",
        {
            "ocpp_id": factories.unique("CHARGER"),
            "name": "Test Charger",
            "external_id": "STATION-001",
            "site_id": site["id"],
            "latitude": 33.7701,
            "longitude": -118.1937,
            "reference": "ref-1",
            "pincode": "1234",
            "max_current": 200,
            "setup_completed": True,
            "licenses": {"smart": True, "pro": False},
            "evses": [
                {"number": n, "name": f"Port {n}", "max_power_kw": 180, "connectors": [CCS1]}
                for n in (1, 2)
            ],
        },
    )
    customer_id = await factories.customer(db, organization_id=tenant.id, name="Test Customer")
    token_id = await factories.id_token(
        db,
        organization_id=tenant.id,
        value="test-tag",
        name="Employee Card",
        customer_id=customer_id,
    )
    vehicle_id = await factories.vehicle(
        db,
        organization_id=tenant.id,
        make="Tesla",
        model="Model 3",
        name="9876",
        vin="demo-vin-0",
        customer_id=customer_id,
        id_token_id=token_id,
    )
    config = StationConfig(
        ocpp_id=created["ocpp_id"],
        vendor="ABB",
        model="Terra 184",
        serial_number="1234-5678",
        firmware_version="1.5.4.4",
    )
    before = datetime.now(UTC)
    async with Station(config, server.ocpp) as cp:
        assert (await cp.boot())["status"] == "Accepted"
        after = datetime.now(UTC)
        await cp.status(0, "Available", timestamp=T_AVAILABLE)
        await cp.status(1, "Available", timestamp=T_AVAILABLE)
        started = await cp.start_transaction(2, "test-tag", meter_start=1000, timestamp=T_START)
        assert started["idTagInfo"]["status"] == "Accepted"
        transaction_id = started["transactionId"]
        await cp.meter_values(
            2,
            [Sample(20, "SoC", "Percent", context="Transaction.Begin")],
            timestamp=T_START,
            transaction_id=transaction_id,
        )
        await cp.meter_values(
            2,
            [
                Sample(50000, "Power.Active.Import", "W"),
                Sample(100, "Current.Import", "A"),
                Sample(35, "SoC", "Percent"),
                Sample(400, "Voltage", "V"),
                Sample("11.5", unit="kWh"),  # meter start 1000 Wh: 10.5 kWh delivered
            ],
            timestamp=T_READ,
            transaction_id=transaction_id,
        )
        await cp.status(2, "Charging", timestamp=T_READ)
        native = await api.get(f"/api/v1/chargers/{created['id']}", headers=bearer(tenant.key))
        assert native.status_code == 200
        yield Example(
            charger=native.json(),
            site=site,
            token_id=token_id,
            vehicle_id=vehicle_id,
            transaction_id=transaction_id,
            connected_between=(before - timedelta(seconds=1), after + timedelta(seconds=1)),
            station=cp,
        )


# --- the document's type, as data ----------------------------------------------------------

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NUMBER, STRING, BOOLEAN, TIMESTAMP = "number", "string", "boolean", "timestamp"


def nullable(shape: Any) -> tuple[str, Any]:
    return ("nullable", shape)


def one_of(*values: str) -> tuple[str, frozenset[str]]:
    return ("enum", frozenset(values))


def reading() -> tuple[str, Any]:
    return nullable({"value": NUMBER, "timestamp": TIMESTAMP})


FLIPTURN_CHARGER: dict[str, Any] = {
    "id": NUMBER,
    "name": STRING,
    "manufacturer": nullable(STRING),
    "model": nullable(STRING),
    "serialNumber": nullable(STRING),
    "firmwareVersion": nullable(STRING),
    "latitude": nullable(NUMBER),
    "longitude": nullable(NUMBER),
    "externalId": nullable(STRING),
    "ocppId": nullable(STRING),
    "type": one_of("DCFC", "Level 2"),
    "powerSharing": BOOLEAN,
    "connectionStatus": nullable(
        {"status": one_of("Connected", "Disconnected"), "timestamp": TIMESTAMP}
    ),
    "numberOfPorts": NUMBER,
    "ports": [
        {
            "id": NUMBER,
            "name": STRING,
            "portNumber": NUMBER,
            "maximumPowerKw": nullable(NUMBER),
            "connectorType": STRING,
            "ocppStatus": nullable(
                {
                    "status": STRING,
                    "timestamp": TIMESTAMP,
                    "errorCode": STRING,
                    "vendorErrorCode": nullable(STRING),
                    "info": nullable(STRING),
                }
            ),
            "currentChargingSession": nullable(
                {
                    "id": NUMBER,
                    "startTime": TIMESTAMP,
                    "socStartPercent": nullable(NUMBER),
                    "energyDeliveredKwh": NUMBER,
                    "ocppIdTag": nullable(STRING),
                    "ocppTransactionId": nullable(NUMBER),
                    "latestReadings": {
                        "powerKw": reading(),
                        "currentA": reading(),
                        "socPercent": reading(),
                        "voltage": reading(),
                    },
                    "vehicle": nullable(
                        {
                            "id": NUMBER,
                            "make": nullable(STRING),
                            "model": nullable(STRING),
                            "name": nullable(STRING),
                            "vin": nullable(STRING),
                        }
                    ),
                    "rfid": nullable({"id": NUMBER, "name": STRING}),
                    "customer": nullable({"name": STRING}),
                }
            ),
        }
    ],
    "site": {"id": NUMBER, "name": STRING, "address": nullable(STRING), "timezone": STRING},
}
"""Flipturn's TypeScript type of ``data``, key for key."""


def mismatches(value: Any, shape: Any, where: str = "$") -> list[str]:
    """Where ``value`` departs from ``shape``: a missing or extra key, a wrong type, a null
    where none is allowed, a value outside an enum, a timestamp not in Flipturn's format."""
    if isinstance(shape, tuple) and shape[0] == "nullable":
        return [] if value is None else mismatches(value, shape[1], where)
    if value is None:
        return [f"{where}: null"]
    if isinstance(shape, tuple) and shape[0] == "enum":
        return [] if value in shape[1] else [f"{where}: {value!r} not in {sorted(shape[1])}"]
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        found = [f"{where}: missing {k}" for k in shape if k not in value]
        found += [f"{where}: unexpected {k}" for k in value if k not in shape]
        for k in shape.keys() & value.keys():
            found += mismatches(value[k], shape[k], f"{where}.{k}")
        return found
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where}: not an array"]
        return [p for i, v in enumerate(value) for p in mismatches(v, shape[0], f"{where}[{i}]")]
    ok = {
        NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        STRING: isinstance(value, str),
        BOOLEAN: isinstance(value, bool),
        TIMESTAMP: isinstance(value, str) and ISO_MS.match(value) is not None,
    }[shape]
    return [] if ok else [f"{where}: {value!r} is not a {shape}"]


def documented_example(ex: Example) -> dict[str, Any]:
    """The document's example response, with this run's ids."""
    return {
        "id": ex.charger["id"],
        "name": "Test Charger",
        "manufacturer": "ABB",
        "model": "Terra 184",
        "serialNumber": "1234-5678",
        "firmwareVersion": "1.5.4.4",
        "latitude": 33.7701,
        "longitude": -118.1937,
        "externalId": "STATION-001",
        "ocppId": ex.ocpp_id,
        "type": "DCFC",
        "powerSharing": True,
        "connectionStatus": {"status": "Connected", "timestamp": "(checked apart)"},
        "numberOfPorts": 2,
        "ports": [
            {
                "id": ex.evse_id(1),
                "name": "Port 1",
                "portNumber": 1,
                "maximumPowerKw": 180,
                "connectorType": "CCS1",
                "ocppStatus": {
                    "status": "Available",
                    "timestamp": "2025-01-01T12:00:00.000Z",
                    "errorCode": "NoError",
                    "vendorErrorCode": None,
                    "info": None,
                },
                "currentChargingSession": None,
            },
            {
                "id": ex.evse_id(2),
                "name": "Port 2",
                "portNumber": 2,
                "maximumPowerKw": 180,
                "connectorType": "CCS1",
                "ocppStatus": {
                    "status": "Charging",
                    "timestamp": "2025-01-01T11:45:00.000Z",
                    "errorCode": "NoError",
                    "vendorErrorCode": None,
                    "info": None,
                },
                "currentChargingSession": {
                    "id": ex.transaction_id,
                    "startTime": "2025-01-01T11:30:00.000Z",
                    "socStartPercent": 20,  # %
                    "energyDeliveredKwh": 10.5,  # kWh, not the Wh register
                    "ocppIdTag": "test-tag",
                    "ocppTransactionId": ex.transaction_id,
                    "latestReadings": {
                        # kW from 50000 W; A; % ; V
                        "powerKw": {"value": 50, "timestamp": "2025-01-01T11:45:00.000Z"},
                        "currentA": {"value": 100, "timestamp": "2025-01-01T11:45:00.000Z"},
                        "socPercent": {"value": 35, "timestamp": "2025-01-01T11:45:00.000Z"},
                        "voltage": {"value": 400, "timestamp": "2025-01-01T11:45:00.000Z"},
                    },
                    "vehicle": {
                        "id": ex.vehicle_id,
                        "make": "Tesla",
                        "model": "Model 3",
                        "name": "9876",
                        "vin": "demo-vin-0",
                    },
                    "rfid": {"id": ex.token_id, "name": "Employee Card"},
                    "customer": {"name": "Test Customer"},
                },
            },
        ],
        "site": {
            "id": ex.site["id"],
            "name": "Site 1",
            "address": "1234 Fake St, Long Beach, CA 90802",
            "timezone": "America/Los_Angeles",
        },
    }


async def get(api: httpx.AsyncClient, key: str | None, path: str) -> httpx.Response:
    return await api.get(BASE + path, headers=bearer(key) if key else {})


# --- the example ------------------------------------------------------------------------------


async def test_the_documented_example_by_each_lookup(
    server: RunningServer, api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    async with example_charger(api, server, db, tenant) as ex:
        responses = [
            await get(api, tenant.key, f"/{ex.charger['id']}"),
            await get(api, tenant.key, "/by-external-id/STATION-001"),
            await get(api, tenant.key, f"/by-ocpp-id/{ex.ocpp_id}"),
        ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert list(response.json()) == ["data"]
    first = responses[0].json()["data"]
    assert [r.json()["data"] for r in responses[1:]] == [first, first]

    assert mismatches(first, FLIPTURN_CHARGER) == []
    since = parse(first["connectionStatus"]["timestamp"])
    assert ex.connected_between[0] <= since <= ex.connected_between[1]
    first["connectionStatus"]["timestamp"] = "(checked apart)"
    assert first == documented_example(ex)
    assert '"1234"' not in responses[0].text  # the pincode: Flipturn has no such field


async def test_the_example_after_the_charger_disconnects(
    server: RunningServer, api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    async with example_charger(api, server, db, tenant) as ex:
        pass
    left = datetime.now(UTC)

    async def disconnected() -> bool:
        body = (await get(api, tenant.key, f"/{ex.charger['id']}")).json()
        return bool(body["data"]["connectionStatus"]["status"] == "Disconnected")

    await eventually(disconnected, timeout=5)
    data = (await get(api, tenant.key, f"/by-ocpp-id/{ex.ocpp_id}")).json()["data"]
    assert mismatches(data, FLIPTURN_CHARGER) == []
    assert parse(data["connectionStatus"]["timestamp"]) >= left - timedelta(seconds=1)
    # The session was not stopped: Flipturn still shows it on port 2.
    assert data["ports"][1]["currentChargingSession"]["ocppTransactionId"] == ex.transaction_id


async def test_a_charger_that_never_connected_and_has_no_site(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    j1772 = {
        "standard": "IEC_62196_T1",
        "format": "CABLE",
        "power_type": "AC_1_PHASE",
        "max_amperage": 32,
        "max_power_kw": 7.7,
    }
    created = await post(
        api,
        tenant.key,
        "/api/v1/chargers",
        {"ocpp_id": factories.unique("L2"), "evses": [{"number": 1, "connectors": [j1772]}]},
    )
    response = await get(api, tenant.key, f"/{created['id']}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert mismatches(data, FLIPTURN_CHARGER | {"site": nullable(FLIPTURN_CHARGER["site"])}) == []
    assert data == {
        "id": created["id"],
        "name": created["ocpp_id"],
        "manufacturer": None,
        "model": None,
        "serialNumber": None,
        "firmwareVersion": None,
        "latitude": None,
        "longitude": None,
        "externalId": None,
        "ocppId": created["ocpp_id"],
        "type": "Level 2",
        "powerSharing": False,
        "connectionStatus": None,
        "numberOfPorts": 1,
        "ports": [
            {
                "id": created["evses"][0]["id"],
                "name": "Port 1",
                "portNumber": 1,
                "maximumPowerKw": 7.7,
                "connectorType": "J1772",
                "ocppStatus": None,
                "currentChargingSession": None,
            }
        ],
        "site": None,
    }


# --- authentication and errors ----------------------------------------------------------------


async def test_a_key_is_required(api: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    created = await post(
        api,
        tenant.key,
        "/api/v1/chargers",
        {"ocpp_id": factories.unique("CP"), "external_id": "E-1", "evses": ONE_PORT},
    )
    expired = await factories.api_key(
        db, organization=tenant.name, expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    paths = [f"/{created['id']}", "/by-external-id/E-1", f"/by-ocpp-id/{created['ocpp_id']}"]
    for path in [*paths, "/not-a-number"]:
        for headers in (
            {},
            {"Authorization": "Bearer cp_000000000000_not-a-key"},
            {"Authorization": f"Basic {tenant.key}"},
            bearer(expired),
        ):
            response = await api.get(BASE + path, headers=headers)
            assert response.status_code == 401, (path, headers, response.text)
            assert response.headers["content-type"] == "application/json"
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json() == {"error": "Invalid API key", "code": "unauthenticated"}


async def test_another_organizations_charger_is_not_found(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    created = await post(
        api,
        tenant.key,
        "/api/v1/chargers",
        {"ocpp_id": factories.unique("CP"), "external_id": "MINE", "evses": ONE_PORT},
    )
    other = factories.unique("org")
    await factories.organization(db, other)
    theirs = await factories.api_key(db, organization=other, scopes=("basic", "sensitive", "full"))
    not_found = {"error": "Charger not found", "code": "not_found"}
    for path in (
        f"/{created['id']}",
        "/by-external-id/MINE",
        f"/by-ocpp-id/{created['ocpp_id']}",
        # Ids nobody has answer the same.
        f"/{2**31 - 1}",
        f"/{2**31}",
        "/99999999999999999999999",
        "/not-a-number",
        "/-1",
        "/by-external-id/NOBODY",
        "/by-ocpp-id/NOBODY",
    ):
        response = await get(api, theirs, path)
        assert (response.status_code, response.json()) == (404, not_found), path
        assert response.headers["content-type"] == "application/json"
    # The owner sees it.
    assert (await get(api, tenant.key, "/by-external-id/MINE")).status_code == 200
