"""Hardware templates over the API: create, read, list, replace with etags, patch, delete;
tenancy and scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chargeplane.db import Database
from tests.conftest import Tenant
from tests.integration.test_chargers_api import add_charger, bearer
from tests.support import factories

URL = "/api/v1/hardware-templates"
T2 = {"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}
T2_OUT = T2 | {
    "number": 1,
    "max_voltage": None,
    "max_amperage": None,
    "max_power_kw": None,
    "phase_rotation": None,
}
EVE_DOUBLE = {
    "vendor": "Alfen",
    "name": "Eve Double",
    "is_dc": False,
    "evses": [
        {"number": 1, "name": "Left", "max_power_kw": 22, "connectors": [T2]},
        {"number": 2, "name": "Right", "max_power_kw": 22, "connectors": [T2]},
    ],
}


async def create(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await api.post(URL, json=body or EVE_DOUBLE, headers=bearer(tenant.key))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{URL}/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


async def test_a_template_keeps_its_layout(api: httpx.AsyncClient, tenant: Tenant) -> None:
    template = await create(api, tenant)
    assert (template["vendor"], template["name"], template["is_dc"]) == (
        "Alfen",
        "Eve Double",
        False,
    )
    assert template["organization_id"] == tenant.id
    assert template["evses"] == [
        {"number": 1, "name": "Left", "max_power_kw": 22, "connectors": [T2_OUT]},
        {"number": 2, "name": "Right", "max_power_kw": 22, "connectors": [T2_OUT]},
    ]
    got = await api.get(f"{URL}/{template['id']}", headers=bearer(tenant.key))
    assert got.json() == template
    assert got.headers["etag"] == f'"{template["etag"]}"'


async def test_invalid_templates_are_refused_naming_each_field(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    bad = await api.post(URL, json={"vendor": "", "name": "x" * 101, "evses": []}, headers=headers)
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {
        "body.vendor",
        "body.name",
        "body.is_dc",
        "body.evses",
    }
    twice = EVE_DOUBLE | {"evses": [EVE_DOUBLE["evses"][0]] * 2}  # type: ignore[index]
    duplicate = await api.post(URL, json=twice, headers=headers)
    assert duplicate.status_code == 422
    assert "unique" in duplicate.json()["fields"][0]["message"]
    bare = await api.post(
        URL, json=EVE_DOUBLE | {"evses": [{"number": 1, "connectors": []}]}, headers=headers
    )
    assert bare.status_code == 422
    assert bare.json()["fields"][0]["field"] == "body.evses.0.connectors"
    refused = await api.post(
        URL, json=EVE_DOUBLE | {"id": 1, "etag": "x", "layout": []}, headers=headers
    )
    assert refused.status_code == 400
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
        ("body.etag", "read_only_field"),
        ("body.id", "read_only_field"),
        ("body.layout", "unknown_field"),
    ]


async def test_put_needs_the_current_etag_and_replaces_the_layout(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    template = await create(api, tenant)
    url, headers = f"{URL}/{template['id']}", bearer(tenant.key)
    single = {
        "vendor": "Alfen",
        "name": "Eve Single",
        "is_dc": False,
        "evses": [{"number": 1, "connectors": [T2]}],
    }
    missing = await api.put(url, json=single, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(url, json=single, headers=headers | {"If-Match": '"old"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")

    replaced = await api.put(url, json=single, headers=headers | {"If-Match": template["etag"]})
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["name"] == "Eve Single"
    assert body["evses"] == [
        {"number": 1, "name": None, "max_power_kw": None, "connectors": [T2_OUT]}
    ]
    assert body["etag"] != template["etag"]
    assert replaced.headers["etag"] == f'"{body["etag"]}"'
    again = await api.put(url, json=single | {"etag": body["etag"]}, headers=headers)
    assert again.status_code == 200
    reused = await api.put(url, json=single | {"etag": body["etag"]}, headers=headers)
    assert reused.status_code == 412


async def test_patch_changes_only_the_given_fields(api: httpx.AsyncClient, tenant: Tenant) -> None:
    template = await create(api, tenant)
    url, headers = f"{URL}/{template['id']}", bearer(tenant.key)
    patched = await api.patch(url, json={"is_dc": True}, headers=headers)
    assert patched.status_code == 200
    body = patched.json()
    assert body | {"etag": None, "updated_at": None} == template | {
        "is_dc": True,
        "etag": None,
        "updated_at": None,
    }
    assert body["etag"] != template["etag"]
    relaid = await api.patch(
        url, json={"evses": [{"number": 3, "connectors": [T2]}]}, headers=headers
    )
    assert [e["number"] for e in relaid.json()["evses"]] == [3]
    nulled = await api.patch(url, json={"name": None}, headers=headers)
    assert nulled.status_code == 422
    assert nulled.json()["fields"][0]["field"] == "body.name"


async def test_lists_page_and_filter_on_vendor_and_updated_since(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    old = await create(api, tenant)
    cut = datetime.now(UTC)
    new = await create(api, tenant, **EVE_DOUBLE | {"vendor": "ABB", "name": "Terra 54"})
    recent = await api.get(URL, params={"updated_since": cut.isoformat()}, headers=headers)
    assert [t["id"] for t in recent.json()["data"]] == [new["id"]]
    earlier = (cut - timedelta(hours=1)).isoformat()
    everything = await api.get(URL, params={"updated_since": earlier}, headers=headers)
    assert [t["id"] for t in everything.json()["data"]] == [old["id"], new["id"]]
    abb = await api.get(URL, params={"vendor": "ABB"}, headers=headers)
    assert [t["id"] for t in abb.json()["data"]] == [new["id"]]

    first = await api.get(URL, params={"limit": 1}, headers=headers)
    assert [t["id"] for t in first.json()["data"]] == [old["id"]]
    cursor = first.json()["next_cursor"]
    second = await api.get(URL, params={"limit": 1, "cursor": cursor}, headers=headers)
    assert [t["id"] for t in second.json()["data"]] == [new["id"]]
    assert second.json()["next_cursor"] is None


async def test_another_organization_sees_a_404_and_basic_keys_cannot_write(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    template = await create(api, tenant)
    other = await factories.api_key(
        db, organization=factories.unique("org"), scopes=("basic", "sensitive", "full")
    )
    url = f"{URL}/{template['id']}"
    for method in ("GET", "PATCH", "DELETE"):
        response = await api.request(
            method, url, headers=bearer(other), json={"name": "x"} if method == "PATCH" else None
        )
        assert response.status_code == 404, method
    put = await api.put(url, json=EVE_DOUBLE | {"etag": template["etag"]}, headers=bearer(other))
    assert put.status_code == 404
    theirs = await api.get(URL, headers=bearer(other))
    assert theirs.json()["data"] == []
    reader = await factories.api_key(db, organization=tenant.name, scopes=("basic",))
    assert (await api.get(url, headers=bearer(reader))).status_code == 200
    for method, body in (("POST", EVE_DOUBLE), ("PATCH", {"name": "x"}), ("DELETE", None)):
        denied = await api.request(
            method, URL if method == "POST" else url, json=body, headers=bearer(reader)
        )
        assert (denied.status_code, denied.json()["code"]) == (403, "insufficient_scope"), method


async def test_a_template_chargers_use_is_not_deleted(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    used = await create(api, tenant)
    await add_charger(db, tenant.id, hardware_template_id=used["id"])
    refused = await api.delete(f"{URL}/{used['id']}", headers=bearer(tenant.key))
    assert (refused.status_code, refused.json()["code"]) == (409, "template_in_use")
    unused = await create(api, tenant)
    deleted = await api.delete(f"{URL}/{unused['id']}", headers=bearer(tenant.key))
    assert deleted.status_code == 204
    gone = await api.get(f"{URL}/{unused['id']}", headers=bearer(tenant.key))
    assert gone.status_code == 404
