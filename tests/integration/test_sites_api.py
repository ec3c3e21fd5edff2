"""Sites over the API: create, read, replace with etags, patch, delete; tenancy and scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chargeplane.db import Database
from tests.conftest import Tenant
from tests.integration.test_chargers_api import add_charger, bearer
from tests.support import factories

LONG_BEACH = {
    "name": "Site 1",
    "address": "1234 Fake St, Long Beach, CA 90802",
    "latitude": 33.7701,
    "longitude": -118.1937,
}


async def create(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await api.post("/api/v1/sites", json=body or LONG_BEACH, headers=bearer(tenant.key))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_site_gets_its_time_zone_from_its_coordinates(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    site = await create(api, tenant)
    assert site["timezone"] == "America/Los_Angeles"
    assert site["organization_id"] == tenant.id
    got = await api.get(f"/api/v1/sites/{site['id']}", headers=bearer(tenant.key))
    assert got.json() == site
    assert got.headers["etag"] == f'"{site["etag"]}"'


async def test_an_explicit_time_zone_wins_and_no_coordinates_means_utc(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    explicit = await create(api, tenant, **LONG_BEACH, timezone="America/Denver")
    assert explicit["timezone"] == "America/Denver"
    bare = await create(api, tenant, name="Nowhere")
    assert bare["timezone"] == "UTC"


async def test_invalid_input_is_a_4xx_naming_each_field(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    bad = await api.post(
        "/api/v1/sites", json={"name": "", "timezone": "Mars/Olympus"}, headers=headers
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"body.name", "body.timezone"}
    half = await api.post("/api/v1/sites", json={"name": "x", "latitude": 1.0}, headers=headers)
    assert half.status_code == 422
    refused = await api.post(
        "/api/v1/sites",
        json={"name": "x", "id": 5, "created_at": "2020-01-01T00:00:00Z", "colour": "red"},
        headers=headers,
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "refused_fields"
    assert [(f["field"], f["code"]) for f in body["fields"]] == [
        ("body.created_at", "read_only_field"),
        ("body.id", "read_only_field"),
        ("body.colour", "unknown_field"),
    ]
    listed = await api.get("/api/v1/sites", headers=headers)
    assert "x" not in [s["name"] for s in listed.json()["data"]]  # nothing half-written


async def test_unknown_fields_are_refused_by_name(api: httpx.AsyncClient, tenant: Tenant) -> None:
    refused = await api.post(
        "/api/v1/sites", json={"name": "x", "colour": "red"}, headers=bearer(tenant.key)
    )
    assert refused.status_code == 400
    assert refused.json()["fields"] == [
        {"field": "body.colour", "code": "unknown_field", "message": "unknown field"}
    ]


async def test_put_needs_the_current_etag_and_clears_what_it_omits(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    site = await create(api, tenant)
    url, headers = f"/api/v1/sites/{site['id']}", bearer(tenant.key)
    missing = await api.put(url, json={"name": "Renamed"}, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(url, json={"name": "Renamed"}, headers=headers | {"If-Match": '"old"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")

    replaced = await api.put(
        url, json={"name": "Renamed"}, headers=headers | {"If-Match": f'"{site["etag"]}"'}
    )
    assert replaced.status_code == 200
    body = replaced.json()
    assert (body["name"], body["address"], body["latitude"], body["timezone"]) == (
        "Renamed",
        None,
        None,
        "UTC",
    )
    assert body["etag"] != site["etag"]
    # The etag may also come in the body.
    again = await api.put(url, json={"name": "Again", "etag": body["etag"]}, headers=headers)
    assert again.status_code == 200
    reused = await api.put(url, json={"name": "Late", "etag": body["etag"]}, headers=headers)
    assert reused.status_code == 412


async def test_patch_changes_only_the_given_fields(api: httpx.AsyncClient, tenant: Tenant) -> None:
    site = await create(api, tenant)
    patched = await api.patch(
        f"/api/v1/sites/{site['id']}", json={"name": "New name"}, headers=bearer(tenant.key)
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body | {"etag": None, "updated_at": None} == site | {
        "name": "New name",
        "etag": None,
        "updated_at": None,
    }
    assert body["etag"] != site["etag"]
    moved = await api.patch(
        f"/api/v1/sites/{site['id']}",
        json={"latitude": 52.37, "longitude": 4.89},
        headers=bearer(tenant.key),
    )
    assert moved.json()["timezone"] == "Europe/Amsterdam"


async def test_lists_filter_on_updated_since(api: httpx.AsyncClient, tenant: Tenant) -> None:
    old = await create(api, tenant, name="old")
    cut = datetime.now(UTC)
    new = await create(api, tenant, name="new")
    headers = bearer(tenant.key)
    recent = await api.get(
        "/api/v1/sites", params={"updated_since": cut.isoformat()}, headers=headers
    )
    ids = [s["id"] for s in recent.json()["data"]]
    assert new["id"] in ids
    assert old["id"] not in ids
    everything = await api.get(
        "/api/v1/sites",
        params={"updated_since": (cut - timedelta(hours=1)).isoformat()},
        headers=headers,
    )
    assert {old["id"], new["id"]} <= {s["id"] for s in everything.json()["data"]}


async def test_another_organization_sees_a_404_and_basic_keys_cannot_write(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    site = await create(api, tenant)
    other = await factories.api_key(
        db, organization=factories.unique("org"), scopes=("basic", "sensitive", "full")
    )
    url = f"/api/v1/sites/{site['id']}"
    for method in ("GET", "PATCH", "DELETE"):
        response = await api.request(
            method, url, headers=bearer(other), json={"name": "x"} if method == "PATCH" else None
        )
        assert response.status_code == 404, method
    reader = await factories.api_key(db, organization=tenant.name, scopes=("basic",))
    denied = await api.patch(url, json={"name": "x"}, headers=bearer(reader))
    assert (denied.status_code, denied.json()["code"]) == (403, "insufficient_scope")


async def test_a_site_with_chargers_is_not_deleted(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    used = await create(api, tenant)
    await add_charger(db, tenant.id, site_id=used["id"])
    refused = await api.delete(f"/api/v1/sites/{used['id']}", headers=bearer(tenant.key))
    assert (refused.status_code, refused.json()["code"]) == (409, "site_in_use")
    empty = await create(api, tenant)
    deleted = await api.delete(f"/api/v1/sites/{empty['id']}", headers=bearer(tenant.key))
    assert deleted.status_code == 204
    gone = await api.get(f"/api/v1/sites/{empty['id']}", headers=bearer(tenant.key))
    assert gone.status_code == 404


async def test_patch_may_not_null_a_required_field(api: httpx.AsyncClient, tenant: Tenant) -> None:
    site = await create(api, tenant)
    refused = await api.patch(
        f"/api/v1/sites/{site['id']}", json={"name": None}, headers=bearer(tenant.key)
    )
    assert refused.status_code == 422
    assert refused.json()["fields"] == [
        {"field": "body.name", "code": "null_not_allowed", "message": "may be omitted but not null"}
    ]


async def test_updated_since_without_an_offset_is_utc(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    site = await create(api, tenant)
    for path in (
        "/api/v1/sites",
        "/api/v1/chargers",
        "/api/v1/customers",
        "/api/v1/id-tokens",
        "/api/v1/vehicles",
        "/api/v1/hardware-templates",
    ):
        response = await api.get(
            path, params={"updated_since": "2000-01-01T00:00:00"}, headers=bearer(tenant.key)
        )
        assert response.status_code == 200, path
    listed = await api.get(
        "/api/v1/sites", params={"updated_since": "2000-01-01T00:00:00"}, headers=bearer(tenant.key)
    )
    assert site["id"] in [s["id"] for s in listed.json()["data"]]
