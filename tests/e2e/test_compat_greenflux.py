"""GreenFlux's Charge Stations API under /compat/greenflux, end to end: stations created from a
template and by hand, a simulated Alfen charger filling in the configuration fields, reads
checked field by field against GreenFlux's document, etags, PATCH, refusals, tenancy and the
hardware templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from chargeplane.db import Database
from chargeplane.simulator import Station, StationConfig
from tests.conftest import Tenant
from tests.e2e.helpers import eventually
from tests.support import factories
from tests.support.server import RunningServer

BASE = "/compat/greenflux"
T0 = datetime(2025, 1, 1, 11, 30, tzinfo=UTC)
MENNEKES = {"internal": "Mennekes_Socket", "power_type": "AC_3_PHASE", "max_amperage": 32}
DUAL_POWER = {
    "vendor": "Alfen",
    "model": "Dual Power",
    "is_dc": False,
    "evses": [
        {"name": "Left", "max_electric_power": 22000, "connectors": [MENNEKES]},
        {"name": "Right", "max_electric_power": 22000, "connectors": [MENNEKES]},
    ],
}
CCS2 = {
    "id": "1",
    "standard": "IEC_62196_T2_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "max_voltage": 920,
    "max_amperage": 200,
    "max_electric_power": 150000,
}
CONFIGURATION = (
    "heartbeat_interval",
    "charge_point_model",
    "charge_point_vendor",
    "charge_point_serial_number",
    "charge_box_serial_number",
    "client_ip_address",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_serial_number",
    "meter_type",
    "remote_manageable",
    "connectivity_status",
    "protocol_version",
    "endpoint",
)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def make_site(api: httpx.AsyncClient, tenant: Tenant, name: str = "Depot") -> int:
    response = await api.post("/api/v1/sites", json={"name": name}, headers=bearer(tenant.key))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def make_template(api: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    response = await api.put(
        f"{BASE}/chargestation-templates", json=DUAL_POWER, headers=bearer(tenant.key)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def post_station(
    api: httpx.AsyncClient, tenant: Tenant, location_id: int, **body: Any
) -> httpx.Response:
    body = {
        "charge_station_id": factories.unique("GFX"),
        "location_id": str(location_id),
        "default_tariff_code": "NL-TARIFF-1",
        "deploy_state": "Production",
        **body,
    }
    return await api.post(f"{BASE}/chargestations", json=body, headers=bearer(tenant.key))


async def created(
    api: httpx.AsyncClient, tenant: Tenant, location_id: int, **body: Any
) -> dict[str, Any]:
    response = await post_station(api, tenant, location_id, **body)
    assert response.status_code == 201, response.text
    station: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{BASE}/chargestations/{station['charge_station_id']}"
    assert response.headers["etag"] == f'"{station["etag"]}"'
    return station


async def get_station(api: httpx.AsyncClient, tenant: Tenant, ocpp_id: str) -> dict[str, Any]:
    response = await api.get(f"{BASE}/chargestations/{ocpp_id}", headers=bearer(tenant.key))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["etag"]}"'
    return response.json()  # type: ignore[no-any-return]


async def listed(api: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    response = await api.get(f"{BASE}/chargestations", params=params, headers=bearer(tenant.key))
    assert response.status_code == 200, response.text
    return [s["charge_station_id"] for s in response.json()]


def alfen(server: RunningServer, ocpp_id: str) -> Station:
    return Station(
        StationConfig(
            ocpp_id=ocpp_id,
            vendor="Alfen",
            model="Dual Power",
            serial_number="511845324534324383",
            charge_box_serial_number="51184532452343483",
            firmware_version="2.1.4.0",
            iccid="8945232341876536",
            imsi="23802623232653",
            meter_type="unknown",
            meter_serial_number="unknown",
            connectors=2,
        ),
        server.ocpp,
    )


async def test_charge_stations_from_a_template_and_by_hand_served_as_the_document_says(
    api: httpx.AsyncClient, server: RunningServer, tenant: Tenant
) -> None:
    location = await make_site(api, tenant)
    other_location = await make_site(api, tenant, "Elsewhere")
    dual = await make_template(api, tenant)

    from_template = await created(
        api,
        tenant,
        location,
        charge_station_template_id=dual["id"],
        charger_type="Business",
        capabilities=["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        contactless_type="Payter",
        public=True,
        reservable=True,
        max_current=32,
    )
    ocpp_id = from_template["charge_station_id"]
    assert from_template["charge_station_template_id"] == dual["id"]
    assert [(e["number"], e["name"], e["max_electric_power"]) for e in from_template["evses"]] == [
        (1, "Left", 22000),
        (2, "Right", 22000),
    ]
    by_hand = await created(
        api,
        tenant,
        other_location,
        deploy_state="Stock",
        evses=[{"number": 3, "max_electric_power": 150000, "connectors": [CCS2]}],
    )
    assert by_hand["charge_station_template_id"] is None
    assert by_hand["status"] == "PLANNED"
    (evse,) = by_hand["evses"]
    assert (evse["number"], evse["status"], evse["max_electric_power"]) == (3, "PLANNED", 150000)
    assert evse["connectors"] == [
        CCS2 | {"internal": "CCS2_Cable", "status": "PLANNED", "last_updated": evse["last_updated"]}
    ]

    # Before the charger ever connects: the configuration is empty and its status unknown.
    before = await get_station(api, tenant, ocpp_id)
    assert before["connectivity_status"] == "Offline"
    assert before["protocol_version"] is None
    assert before["charge_point_vendor"] is None
    assert {e["status"] for e in before["evses"]} == {"UNKNOWN"}

    cut = datetime.now(UTC)
    async with alfen(server, ocpp_id) as cp:
        assert (await cp.boot())["status"] == "Accepted"  # boot facts are a modification
        await cp.status(0, "Available", timestamp=T0)
        await cp.status(1, "Available", timestamp=T0)
        await cp.status(2, "Charging", timestamp=T0)
        station = await get_station(api, tenant, ocpp_id)

        assert {k: station[k] for k in CONFIGURATION} == {
            "heartbeat_interval": 120,
            "charge_point_model": "Dual Power",
            "charge_point_vendor": "Alfen",
            "charge_point_serial_number": "511845324534324383",
            "charge_box_serial_number": "51184532452343483",
            "client_ip_address": "127.0.0.1",
            "firmware_version": "2.1.4.0",
            "iccid": "8945232341876536",
            "imsi": "23802623232653",
            "meter_serial_number": "unknown",
            "meter_type": "unknown",
            "remote_manageable": True,
            "connectivity_status": "Online",
            "protocol_version": "Ocpp16",
            "endpoint": f"ws://127.0.0.1:{server.port}/ocpp",
        }
        assert {
            k: station[k]
            for k in from_template
            if k
            in {
                "charge_station_id",
                "location_id",
                "charge_station_template_id",
                "default_tariff_code",
                "deploy_state",
                "charger_type",
                "capabilities",
                "contactless_type",
                "public",
                "reservable",
                "blocked",
                "max_current",
            }
        } == {
            "charge_station_id": ocpp_id,
            "location_id": str(location),
            "charge_station_template_id": dual["id"],
            "default_tariff_code": "NL-TARIFF-1",
            "deploy_state": "Production",
            "charger_type": "Business",
            "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
            "contactless_type": "Payter",
            "public": True,
            "reservable": True,
            "blocked": False,
            "max_current": 32.0,
        }
        assert station["status"] == "AVAILABLE"
        assert [(e["number"], e["status"]) for e in station["evses"]] == [
            (1, "AVAILABLE"),
            (2, "CHARGING"),
        ]
        connector = station["evses"][0]["connectors"][0]
        assert (connector["standard"], connector["format"], connector["internal"]) == (
            "IEC_62196_T2",
            "SOCKET",
            "Mennekes_Socket",
        )
        assert (connector["power_type"], connector["status"]) == ("AC_3_PHASE", "AVAILABLE")
        assert station["last_updated"].endswith("Z")
        # Boot facts move last_updated (date_from sees them) but OCPP traffic keeps the etag.
        assert station["last_updated"] > from_template["last_updated"]
        assert station["etag"] == from_template["etag"]
        assert "sensitive" not in station

        # date_from: EVSE status changes are not modifications; LocationId narrows to a location.
        assert await listed(api, tenant, date_from=cut.isoformat()) == [ocpp_id]
        await cp.status(1, "Faulted", error_code="GroundFailure")
        later = datetime.now(UTC).isoformat()
        assert await listed(api, tenant, date_from=later) == []
        faulted = await get_station(api, tenant, ocpp_id)
        assert faulted["evses"][0]["status"] == "OUTOFORDER"

    assert sorted(await listed(api, tenant)) == sorted([ocpp_id, by_hand["charge_station_id"]])
    assert await listed(api, tenant, LocationId=location) == [ocpp_id]
    assert await listed(api, tenant, location_id=other_location) == [by_hand["charge_station_id"]]

    async def offline() -> bool:
        return bool((await get_station(api, tenant, ocpp_id))["connectivity_status"] == "Offline")

    await eventually(offline, timeout=5)
    gone = await get_station(api, tenant, ocpp_id)
    assert {e["status"] for e in gone["evses"]} == {"UNKNOWN"}
    assert gone["charge_point_vendor"] == "Alfen"  # the last boot's facts stay


async def test_the_list_pages_with_a_link_header(api: httpx.AsyncClient, tenant: Tenant) -> None:
    location = await make_site(api, tenant)
    ids = [
        (await created(api, tenant, location, evses=[{"connectors": [CCS2]}]))["charge_station_id"]
        for _ in range(3)
    ]
    seen: list[str] = []
    url: str | None = f"{BASE}/chargestations?limit=2"
    while url is not None:
        response = await api.get(url, headers=bearer(tenant.key))
        assert response.status_code == 200, response.text
        assert response.headers["x-limit"] == "2"
        seen += [s["charge_station_id"] for s in response.json()]
        url = response.links.get("next", {}).get("url")
    assert seen == ids
    # date_from without an offset is UTC; a bare date is its midnight.
    assert await listed(api, tenant, date_from="2000-01-01T00:00:00") == ids
    assert await listed(api, tenant, date_from="2000-01-01") == ids
    assert await listed(api, tenant, date_from="2999-01-01") == []


async def test_put_needs_the_current_etag_and_clears_what_it_leaves_out(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    location = await make_site(api, tenant)
    station = await created(
        api,
        tenant,
        location,
        evses=[{"connectors": [CCS2]}, {"connectors": [CCS2]}],
        capabilities=["RFID_READER"],
        contactless_type="Nayax",
        public=True,
        blocked=True,
        max_current=16,
    )
    ocpp_id = station["charge_station_id"]
    # A native-only field and a sensitive one, which GreenFlux has no name for.
    charger_id = (
        await api.get(f"/api/v1/chargers/by-ocpp-id/{ocpp_id}", headers=bearer(tenant.key))
    ).json()["id"]
    patched = await api.patch(
        f"/api/v1/chargers/{charger_id}",
        json={"name": "Front door", "pincode": "4321"},
        headers=bearer(tenant.key),
    )
    assert patched.status_code == 200, patched.text
    etag = patched.json()["etag"]

    url = f"{BASE}/chargestations/{ocpp_id}"
    body = {
        "location_id": location,
        "default_tariff_code": "NL-TARIFF-2",
        "deploy_state": "Production",
    }
    missing = await api.put(url, json=body, headers=bearer(tenant.key))
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(url, json=body | {"etag": station["etag"]}, headers=bearer(tenant.key))
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")
    replaced = await api.put(url, json=body | {"etag": etag}, headers=bearer(tenant.key))
    assert replaced.status_code == 200, replaced.text
    new = replaced.json()
    assert new["etag"] != etag
    assert replaced.headers["etag"] == f'"{new["etag"]}"'
    assert (new["default_tariff_code"], new["capabilities"], new["contactless_type"]) == (
        "NL-TARIFF-2",
        [],
        None,
    )
    assert (new["public"], new["blocked"], new["max_current"], new["charger_type"]) == (
        False,
        False,
        None,
        "Public",
    )
    assert [e["number"] for e in new["evses"]] == [1, 2]  # no evses given: the layout stays
    assert new["charge_station_id"] == ocpp_id
    kept = (await api.get(f"/api/v1/chargers/{charger_id}", headers=bearer(tenant.key))).json()
    assert (kept["name"], kept["sensitive"]["pincode"]) == ("Front door", "4321")

    # If-Match works too; a PUT may rename the OCPP identity and re-lay the EVSEs.
    renamed_id = factories.unique("GFX")
    renamed = await api.put(
        url,
        json=body | {"charge_station_id": renamed_id, "evses": [{"connectors": [CCS2]}]},
        headers=bearer(tenant.key) | {"If-Match": f'"{new["etag"]}"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["charge_station_id"] == renamed_id
    assert [e["number"] for e in renamed.json()["evses"]] == [1]
    assert (await api.get(url, headers=bearer(tenant.key))).status_code == 404


async def test_patch_changes_only_what_it_names(api: httpx.AsyncClient, tenant: Tenant) -> None:
    location = await make_site(api, tenant)
    other = await make_site(api, tenant, "Other")
    station = await created(
        api, tenant, location, evses=[{"connectors": [CCS2]}], public=True, charger_type="Home"
    )
    url = f"{BASE}/chargestations/{station['charge_station_id']}"
    patched = await api.patch(
        url, json={"blocked": True, "location_id": str(other)}, headers=bearer(tenant.key)
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["blocked"], body["location_id"], body["public"], body["charger_type"]) == (
        True,
        str(other),
        True,
        "Home",
    )
    assert body["status"] == "BLOCKED"
    assert body["etag"] != station["etag"]
    # An etag is not needed, but one given is checked.
    stale = await api.patch(
        url, json={"public": False, "etag": station["etag"]}, headers=bearer(tenant.key)
    )
    assert stale.status_code == 412
    fresh = await api.patch(
        url, json={"public": False, "etag": body["etag"]}, headers=bearer(tenant.key)
    )
    assert fresh.status_code == 200, fresh.text
    assert (fresh.json()["public"], fresh.json()["blocked"]) == (False, True)
    nulled = await api.patch(url, json={"location_id": None}, headers=bearer(tenant.key))
    assert nulled.status_code == 422
    deprecated = await api.patch(
        url, json={"deploy_state": "Deprecated"}, headers=bearer(tenant.key)
    )
    assert deprecated.json()["status"] == "REMOVED"
    assert {e["status"] for e in deprecated.json()["evses"]} == {"REMOVED"}


async def test_refusals_name_the_field(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    location = await make_site(api, tenant)
    headers = bearer(tenant.key)
    read_only = await post_station(
        api,
        tenant,
        location,
        evses=[{"status": "AVAILABLE", "connectors": [CCS2]}],
        firmware_version="9.9",
        connectivity_status="Online",
        endpoint="ws://x",
    )
    assert read_only.status_code == 400
    assert {f["field"] for f in read_only.json()["fields"]} == {
        "body.firmware_version",
        "body.connectivity_status",
        "body.endpoint",
    }
    station = await created(api, tenant, location, evses=[{"connectors": [CCS2]}])
    url = f"{BASE}/chargestations/{station['charge_station_id']}"
    for method in ("PUT", "PATCH"):
        refused = await api.request(
            method,
            url,
            json={"protocol_version": "Ocpp16", "etag": station["etag"]},
            headers=headers,
        )
        assert refused.status_code == 400, method
        assert [f["field"] for f in refused.json()["fields"]] == ["body.protocol_version"]

    cases: list[tuple[dict[str, Any], str]] = [
        ({"deploy_state": "Live"}, "body.deploy_state"),
        ({"charger_type": "Private"}, "body.charger_type"),
        ({"contactless_type": "Adyen"}, "body.contactless_type"),
        ({"capabilities": ["CHARGING_PROFILE_CAPABLE"]}, "body.capabilities.0"),
        (
            {"evses": [{"connectors": [CCS2 | {"power_type": "AC_2_PHASE"}]}]},
            "body.evses.0.connectors.0.power_type",
        ),
        (
            {"evses": [{"connectors": [CCS2 | {"format": "SOCKET", "standard": "IEC_62196_T1"}]}]},
            "body.evses.0.connectors.0.format",
        ),
    ]
    for change, field in cases:
        refused = await post_station(
            api, tenant, location, **{"evses": [{"connectors": [CCS2]}], **change}
        )
        assert refused.status_code == 422, change
        assert [f["field"] for f in refused.json()["fields"]] == [field]

    no_evse = await post_station(api, tenant, location)
    assert no_evse.status_code == 422
    taken = await post_station(
        api,
        tenant,
        location,
        charge_station_id=station["charge_station_id"],
        evses=[{"connectors": [CCS2]}],
    )
    assert (taken.status_code, taken.json()["fields"][0]["field"]) == (
        409,
        "body.charge_station_id",
    )
    theirs = await factories.api_key(db, organization=factories.unique("org"), scopes=("full",))
    their_site = await api.post("/api/v1/sites", json={"name": "theirs"}, headers=bearer(theirs))
    foreign = await post_station(
        api, tenant, their_site.json()["id"], evses=[{"connectors": [CCS2]}]
    )
    assert (foreign.status_code, foreign.json()["fields"][0]["field"]) == (422, "body.location_id")
    no_template = await post_station(api, tenant, location, charge_station_template_id=2**31 - 1)
    assert no_template.status_code == 422
    assert no_template.json()["fields"][0]["field"] == "body.charge_station_template_id"
    disagree = await api.get(
        f"{BASE}/chargestations", params={"LocationId": 1, "location_id": 2}, headers=headers
    )
    assert disagree.status_code == 400
    for params in ({"LocationId": "north"}, {"LocationId": 2**31}, {"location_id": 2**63}):
        listing = await api.get(f"{BASE}/chargestations", params=params, headers=headers)
        assert listing.status_code == 422, params
    assert (
        await api.get(f"{BASE}/chargestation-templates/{2**63}", headers=headers)
    ).status_code == 422
    huge = await post_station(
        api, tenant, location, evses=[{"number": 2**31, "connectors": [CCS2 | {"id": 2**40}]}]
    )
    assert huge.status_code == 422
    assert {f["field"] for f in huge.json()["fields"]} == {
        "body.evses.0.number",
        "body.evses.0.connectors.0.id",
    }


async def test_another_organization_sees_nothing(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    location = await make_site(api, tenant)
    station = await created(api, tenant, location, evses=[{"connectors": [CCS2]}])
    template = await make_template(api, tenant)
    other = await factories.api_key(
        db, organization=factories.unique("org"), scopes=("basic", "sensitive", "full")
    )
    url = f"{BASE}/chargestations/{station['charge_station_id']}"
    body = {"location_id": location, "default_tariff_code": "X", "deploy_state": "Production"}
    assert (await api.get(url, headers=bearer(other))).status_code == 404
    assert (
        await api.put(url, json=body | {"etag": station["etag"]}, headers=bearer(other))
    ).status_code == 404
    assert (await api.patch(url, json={"blocked": True}, headers=bearer(other))).status_code == 404
    listing = await api.get(f"{BASE}/chargestations", headers=bearer(other))
    assert listing.json() == []
    turl = f"{BASE}/chargestation-templates/{template['id']}"
    assert (await api.get(turl, headers=bearer(other))).status_code == 404
    assert (await api.put(turl, json=DUAL_POWER, headers=bearer(other))).status_code == 404
    assert (await api.get(f"{BASE}/chargestation-templates", headers=bearer(other))).json() == []
    assert (await api.get(url)).status_code == 401
    basic = await factories.api_key(db, organization=tenant.name, scopes=("basic",))
    assert (await api.patch(url, json={"blocked": True}, headers=bearer(basic))).status_code == 403


async def test_hardware_templates_get_and_put(api: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = bearer(tenant.key)
    made = await make_template(api, tenant)
    assert (made["vendor"], made["model"], made["is_dc"]) == ("Alfen", "Dual Power", False)
    assert made["evses"] == [
        {
            "number": n,
            "name": name,
            "max_electric_power": 22000,
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "internal": "Mennekes_Socket",
                    "max_voltage": None,
                    "max_amperage": 32,
                    "max_electric_power": None,
                }
            ],
        }
        for n, name in ((1, "Left"), (2, "Right"))
    ]
    url = f"{BASE}/chargestation-templates/{made['id']}"
    got = await api.get(url, headers=headers)
    assert got.json() == made
    assert got.headers["etag"] == f'"{made["etag"]}"'
    native = await api.get(f"/api/v1/hardware-templates/{made['id']}", headers=headers)
    assert native.json()["name"] == "Dual Power"
    listed = (await api.get(f"{BASE}/chargestation-templates", headers=headers)).json()
    assert [t["id"] for t in listed] == [made["id"]]

    single = DUAL_POWER | {"model": "Single Power", "evses": DUAL_POWER["evses"][:1]}  # type: ignore[index]
    replaced = await api.put(url, json=single, headers=headers)  # no etag: unconditional
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["model"], len(replaced.json()["evses"])) == ("Single Power", 1)
    assert replaced.json()["id"] == made["id"]
    stale = await api.put(url, json=single | {"etag": made["etag"]}, headers=headers)
    assert stale.status_code == 412
    current = replaced.json()["etag"]
    checked = await api.put(url, json=DUAL_POWER, headers=headers | {"If-Match": f'"{current}"'})
    assert checked.status_code == 200, checked.text
    assert checked.json()["etag"] != current
    missing = await api.put(
        f"{BASE}/chargestation-templates/{2**31 - 1}", json=DUAL_POWER, headers=headers
    )
    assert missing.status_code == 404
    bad = await api.put(
        f"{BASE}/chargestation-templates",
        json=DUAL_POWER | {"evses": [{"connectors": [{"internal": "Type2", "power_type": "DC"}]}]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "body.evses.0.connectors.0.internal"
