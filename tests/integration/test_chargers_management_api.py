"""Managing chargers over the API: create (manual layout or template), replace with etags,
patch, delete; sensitive fields; filters; and the OCPP side feeding a managed charger."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from chargeplane.db import Database
from chargeplane.db.models import Charger, HardwareTemplate
from chargeplane.simulator import Station, StationConfig
from tests.conftest import Tenant
from tests.e2e.helpers import eventually
from tests.integration.test_chargers_api import bearer
from tests.support import factories
from tests.support.server import RunningServer

CCS1 = {
    "standard": "IEC_62196_T1_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "max_voltage": 920,
    "max_amperage": 200,
    "max_power_kw": 180,
}
TWO_PORTS = [
    {"number": 1, "name": "Port 1", "max_power_kw": 180, "connectors": [CCS1]},
    {"number": 2, "name": "Port 2", "max_power_kw": 180, "connectors": [CCS1]},
]


async def create(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    body = {"ocpp_id": factories.unique("CP"), "evses": TWO_PORTS, **body}
    response = await api.post("/api/v1/chargers", json=body, headers=bearer(tenant.key))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/chargers/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


async def test_a_charger_is_created_with_its_layout_and_management_fields(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    charger = await create(
        api,
        tenant,
        name="Test Charger",
        external_id="STATION-001",
        reference="ref-1",
        latitude=33.7701,
        longitude=-118.1937,
        public=True,
        capabilities=["RFID_READER"],
        deploy_state="Stock",
        charger_type="Business",
        max_current=200,
        contactless_type="Nayax",
        contactless_terminal_id="T-1",
        contactless_token="tok",
        pincode="1234",
        licenses={"smart": True, "pro": False},
    )
    assert (charger["name"], charger["external_id"], charger["reference"]) == (
        "Test Charger",
        "STATION-001",
        "ref-1",
    )
    assert (charger["public"], charger["deploy_state"], charger["charger_type"]) == (
        True,
        "Stock",
        "Business",
    )
    assert charger["capabilities"] == ["RFID_READER"]
    assert charger["contactless"] == {"type": "Nayax", "terminal_id": "T-1"}
    assert charger["sensitive"] == {"pincode": "1234", "contactless_token": "tok"}
    assert charger["licenses"] == {"smart": True, "pro": False}
    assert charger["connectivity"] == "Offline"
    assert charger["connection"]["status"] is None
    assert [(e["number"], e["name"], e["max_power_kw"]) for e in charger["evses"]] == [
        (1, "Port 1", 180.0),
        (2, "Port 2", 180.0),
    ]
    connector = charger["evses"][0]["connectors"][0]
    assert {k: connector[k] for k in CCS1} == CCS1 | {"max_power_kw": 180.0}


async def test_sensitive_fields_need_the_scope_and_are_sealed_at_rest(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await create(api, tenant, pincode="98765", contactless_token="secret-token")
    basic = await factories.api_key(db, organization=tenant.name, scopes=("basic",))
    seen = await api.get(f"/api/v1/chargers/{charger['id']}", headers=bearer(basic))
    assert seen.status_code == 200
    assert seen.json()["sensitive"] is None
    assert "98765" not in seen.text
    assert "secret-token" not in seen.text
    async with db.reader() as session:
        row = await session.get(Charger, charger["id"])
    assert row is not None
    assert row.pincode_sealed
    assert "98765" not in row.pincode_sealed
    assert row.contactless_token_sealed
    assert "secret-token" not in row.contactless_token_sealed


async def test_a_charger_from_a_template_gets_the_template_layout(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    now = factories.now()
    async with db.unit_of_work() as session:
        template = HardwareTemplate(
            organization_id=tenant.id,
            vendor="Alfen",
            name="Dual Power",
            is_dc=False,
            layout=[
                {
                    "number": n,
                    "connectors": [
                        {
                            "standard": "IEC_62196_T2",
                            "format": "SOCKET",
                            "power_type": "AC_3_PHASE",
                            "max_amperage": 32,
                        }
                    ],
                }
                for n in (1, 2)
            ],
            created_at=now,
            updated_at=now,
        )
        session.add(template)
        await session.flush()
        template_id = template.id
    response = await api.post(
        "/api/v1/chargers",
        json={"ocpp_id": factories.unique("CP"), "hardware_template_id": template_id},
        headers=bearer(tenant.key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["hardware_template_id"] == template_id
    assert [(e["number"], e["connectors"][0]["standard"]) for e in body["evses"]] == [
        (1, "IEC_62196_T2"),
        (2, "IEC_62196_T2"),
    ]


async def test_creation_refuses_what_it_cannot_honour(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    no_evse = await api.post("/api/v1/chargers", json={"ocpp_id": "X"}, headers=headers)
    assert no_evse.status_code == 422
    taken = await create(api, tenant, external_id="DUP")
    dup_ocpp = await api.post(
        "/api/v1/chargers",
        json={"ocpp_id": taken["ocpp_id"], "evses": TWO_PORTS},
        headers=headers,
    )
    assert (dup_ocpp.status_code, dup_ocpp.json()["code"]) == (409, "ocpp_id_taken")
    dup_external = await api.post(
        "/api/v1/chargers",
        json={"ocpp_id": factories.unique("CP"), "external_id": "DUP", "evses": TWO_PORTS},
        headers=headers,
    )
    assert (dup_external.status_code, dup_external.json()["code"]) == (409, "external_id_taken")
    other_site = await api.post(
        "/api/v1/sites",
        json={"name": "theirs"},
        headers=bearer(
            await factories.api_key(db, organization=factories.unique("org"), scopes=("full",))
        ),
    )
    foreign = await api.post(
        "/api/v1/chargers",
        json={
            "ocpp_id": factories.unique("CP"),
            "site_id": other_site.json()["id"],
            "evses": TWO_PORTS,
        },
        headers=headers,
    )
    assert foreign.status_code == 422
    assert foreign.json()["fields"][0]["field"] == "body.site_id"
    read_only = await api.post(
        "/api/v1/chargers",
        json={
            "ocpp_id": factories.unique("CP"),
            "evses": TWO_PORTS,
            "connectivity": "Online",
            "boot": {},
            "etag": "x",
        },
        headers=headers,
    )
    assert read_only.status_code == 400
    assert {f["field"] for f in read_only.json()["fields"]} == {
        "body.boot",
        "body.connectivity",
        "body.etag",
    }


async def test_put_replaces_and_clears_with_the_current_etag_only(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    charger = await create(api, tenant, name="old", pincode="1", capabilities=["RFID_READER"])
    url, headers = f"/api/v1/chargers/{charger['id']}", bearer(tenant.key)
    body = {"ocpp_id": charger["ocpp_id"], "public": True}
    assert (await api.put(url, json=body, headers=headers)).status_code == 428
    stale = await api.put(url, json=body | {"etag": "nope"}, headers=headers)
    assert stale.status_code == 412
    replaced = await api.put(url, json=body, headers=headers | {"If-Match": charger["etag"]})
    assert replaced.status_code == 200, replaced.text
    new = replaced.json()
    assert (new["name"], new["public"], new["capabilities"], new["sensitive"]) == (
        None,
        True,
        [],
        {"pincode": None, "contactless_token": None},
    )
    assert [e["number"] for e in new["evses"]] == [1, 2]  # the layout stays without evses
    assert new["etag"] != charger["etag"]
    assert replaced.headers["etag"] == f'"{new["etag"]}"'


async def test_patch_changes_only_what_it_names(api: httpx.AsyncClient, tenant: Tenant) -> None:
    charger = await create(api, tenant, name="keep", pincode="4321")
    url, headers = f"/api/v1/chargers/{charger['id']}", bearer(tenant.key)
    patched = await api.patch(url, json={"blocked": True}, headers=headers)
    assert patched.status_code == 200
    body = patched.json()
    assert (body["blocked"], body["name"], body["sensitive"]["pincode"]) == (True, "keep", "4321")
    nulled = await api.patch(url, json={"active": None}, headers=headers)
    assert nulled.status_code == 422
    relaid = await api.patch(
        url,
        json={"evses": [{"number": 1, "connectors": [CCS1 | {"max_power_kw": 50}]}]},
        headers=headers,
    )
    assert relaid.status_code == 200, relaid.text
    assert [e["number"] for e in relaid.json()["evses"]] == [1]


async def test_fifty_concurrent_puts_with_one_etag_let_exactly_one_through(
    server: RunningServer, tenant: Tenant
) -> None:
    async with httpx.AsyncClient(base_url=server.http, timeout=30) as api:
        charger = await create(api, tenant)
        url = f"/api/v1/chargers/{charger['id']}"

        async def put(n: int) -> int:
            response = await api.put(
                url,
                json={"ocpp_id": charger["ocpp_id"], "name": f"writer {n}"},
                headers=bearer(tenant.key) | {"If-Match": f'"{charger["etag"]}"'},
            )
            return response.status_code

        codes = await asyncio.gather(*(put(n) for n in range(50)))
    assert sorted(codes) == [200] + [412] * 49


async def test_list_filters(api: httpx.AsyncClient, server: RunningServer, tenant: Tenant) -> None:
    headers = bearer(tenant.key)
    site = (await api.post("/api/v1/sites", json={"name": "s"}, headers=headers)).json()
    on_site = await create(api, tenant, site_id=site["id"])
    elsewhere = await create(api, tenant)
    cut = datetime.now(UTC)
    async with Station(StationConfig(ocpp_id=on_site["ocpp_id"]), server.ocpp) as cp:
        await cp.status(2, "Faulted", error_code="GroundFailure")

        async def ids(**params: Any) -> list[int]:
            response = await api.get("/api/v1/chargers", params=params, headers=headers)
            assert response.status_code == 200, response.text
            return [c["id"] for c in response.json()["data"]]

        assert await ids(site_id=site["id"]) == [on_site["id"]]
        assert await ids(connectivity="Online") == [on_site["id"]]
        assert elsewhere["id"] in await ids(connectivity="Offline")
        assert on_site["id"] not in await ids(connectivity="Offline")
        assert await ids(status="Faulted") == [on_site["id"]]
        # Live OCPP state is not a modification of the charger.
        assert await ids(updated_since=cut.isoformat()) == []
        await api.patch(f"/api/v1/chargers/{elsewhere['id']}", json={"name": "x"}, headers=headers)
        assert await ids(updated_since=cut.isoformat()) == [elsewhere["id"]]


async def test_a_managed_charger_connects_into_its_own_organization(
    api: httpx.AsyncClient, server: RunningServer, db: Database, tenant: Tenant
) -> None:
    charger = await create(api, tenant)
    async with Station(StationConfig(ocpp_id=charger["ocpp_id"], vendor="ABB"), server.ocpp) as cp:
        await cp.boot()
        await cp.status(1, "Available")
        seen = (
            await api.get(f"/api/v1/chargers/{charger['id']}", headers=bearer(tenant.key))
        ).json()
    assert seen["boot"]["vendor"] == "ABB"
    assert seen["connectivity"] == "Online"
    assert seen["evses"][0]["ocpp_status"]["status"] == "Available"
    assert seen["etag"] == charger["etag"]  # live state does not change the etag
    async with db.reader() as session:
        org = await session.scalar(
            select(Charger.organization_id).where(Charger.id == charger["id"])
        )
    assert org == tenant.id


async def test_delete_refuses_chargers_with_history(
    api: httpx.AsyncClient, server: RunningServer, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    used = await create(api, tenant)
    async with Station(StationConfig(ocpp_id=used["ocpp_id"]), server.ocpp) as cp:
        busy = await api.delete(f"/api/v1/chargers/{used['id']}", headers=headers)
        assert (busy.status_code, busy.json()["code"]) == (409, "charger_connected")
        await cp.start_transaction(1, "t", meter_start=0, timestamp=datetime.now(UTC))

    async def offline() -> bool:
        seen = await api.get(f"/api/v1/chargers/{used['id']}", headers=headers)
        return bool(seen.json()["connectivity"] == "Offline")

    await eventually(offline, timeout=5)  # the server notices the close on its own time
    refused = await api.delete(f"/api/v1/chargers/{used['id']}", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "charger_has_sessions")
    fresh = await create(api, tenant)
    assert (await api.delete(f"/api/v1/chargers/{fresh['id']}", headers=headers)).status_code == 204
    assert (await api.get(f"/api/v1/chargers/{fresh['id']}", headers=headers)).status_code == 404
