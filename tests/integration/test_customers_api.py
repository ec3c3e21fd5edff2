"""Customers over the API: create, read, replace with etags, patch, list, delete; tenancy
and scopes; a customer in use is not deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chargeplane.db import Database
from chargeplane.db.models import ChargingSession, Evse
from tests.conftest import Tenant
from tests.integration.test_chargers_api import add_charger, bearer
from tests.support import factories

URL = "/api/v1/customers"


async def create(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await api.post(
        URL,
        json=body or {"name": "Jane Doe", "email": "jane@example.com"},
        headers=bearer(tenant.key),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_session(db: Database, organization_id: int, **refs: int | None) -> int:
    """A charging session naming ``refs`` (``id_token_id``, ``customer_id``, ``vehicle_id``)."""
    charger = await add_charger(db, organization_id)
    now = factories.now()
    async with db.unit_of_work() as session:
        evse = Evse(charger_id=charger.id, number=1, created_at=now, updated_at=now)
        session.add(evse)
        await session.flush()
        row = ChargingSession(
            organization_id=organization_id,
            charger_id=charger.id,
            evse_id=evse.id,
            evse_number=1,
            state="completed",
            id_tag="TAG",
            auth_status="Accepted",
            started_at=now,
            meter_start=0,
            received_at=now,
            updated_at=now,
            **refs,
        )
        session.add(row)
        await session.flush()
        return row.id


async def other_organization_key(db: Database) -> str:
    return await factories.api_key(
        db, organization=factories.unique("org"), scopes=("basic", "sensitive", "full")
    )


async def test_a_customer_is_created_and_read_back(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.post(
        URL, json={"name": "Jane Doe", "email": "jane@example.com"}, headers=bearer(tenant.key)
    )
    assert response.status_code == 201
    customer = response.json()
    assert response.headers["location"] == f"{URL}/{customer['id']}"
    assert response.headers["etag"] == f'"{customer["etag"]}"'
    assert (customer["name"], customer["email"], customer["organization_id"]) == (
        "Jane Doe",
        "jane@example.com",
        tenant.id,
    )
    got = await api.get(f"{URL}/{customer['id']}", headers=bearer(tenant.key))
    assert got.json() == customer
    assert got.headers["etag"] == f'"{customer["etag"]}"'
    bare = await create(api, tenant, name="No Mail")
    assert bare["email"] is None


async def test_invalid_input_is_a_4xx_naming_each_field(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    bad = await api.post(URL, json={"name": "", "email": "nobody"}, headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert {f["field"] for f in bad.json()["fields"]} == {"body.name", "body.email"}
    for email in ("a@b@c", "@example.com", "jane@", "x" * 310 + "@example.com"):
        refused = await api.post(URL, json={"name": "x", "email": email}, headers=headers)
        assert refused.status_code == 422, email
        assert [f["field"] for f in refused.json()["fields"]] == ["body.email"]
    missing = await api.post(URL, json={}, headers=headers)
    assert [f["field"] for f in missing.json()["fields"]] == ["body.name"]
    too_long = await api.post(URL, json={"name": "x" * 201}, headers=headers)
    assert too_long.status_code == 422
    refused = await api.post(
        URL, json={"name": "x", "id": 5, "etag": "abc", "colour": "red"}, headers=headers
    )
    assert refused.status_code == 400
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
        ("body.etag", "read_only_field"),
        ("body.id", "read_only_field"),
        ("body.colour", "unknown_field"),
    ]
    listed = await api.get(URL, headers=headers)
    assert listed.json()["data"] == []  # nothing half-written


async def test_put_needs_the_current_etag_and_clears_what_it_omits(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    customer = await create(api, tenant)
    url, headers = f"{URL}/{customer['id']}", bearer(tenant.key)
    missing = await api.put(url, json={"name": "Renamed"}, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(url, json={"name": "Renamed"}, headers=headers | {"If-Match": '"old"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")

    replaced = await api.put(
        url, json={"name": "Renamed"}, headers=headers | {"If-Match": f'"{customer["etag"]}"'}
    )
    assert replaced.status_code == 200
    body = replaced.json()
    assert (body["name"], body["email"]) == ("Renamed", None)
    assert body["etag"] != customer["etag"]
    assert replaced.headers["etag"] == f'"{body["etag"]}"'
    again = await api.put(url, json={"name": "Again", "etag": body["etag"]}, headers=headers)
    assert again.status_code == 200
    reused = await api.put(url, json={"name": "Late", "etag": body["etag"]}, headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (412, "etag_mismatch")
    invalid = await api.put(
        url, json={"email": "x@y", "etag": again.json()["etag"]}, headers=headers
    )
    assert invalid.status_code == 422
    got = await api.get(url, headers=headers)
    assert got.json() == again.json()


async def test_patch_changes_only_the_given_fields(api: httpx.AsyncClient, tenant: Tenant) -> None:
    customer = await create(api, tenant)
    url, headers = f"{URL}/{customer['id']}", bearer(tenant.key)
    patched = await api.patch(url, json={"name": "New name"}, headers=headers)
    assert patched.status_code == 200
    body = patched.json()
    assert body | {"etag": None, "updated_at": None} == customer | {
        "name": "New name",
        "etag": None,
        "updated_at": None,
    }
    assert body["etag"] != customer["etag"]
    assert patched.headers["etag"] == f'"{body["etag"]}"'
    cleared = await api.patch(url, json={"email": None}, headers=headers)
    assert (cleared.json()["name"], cleared.json()["email"]) == ("New name", None)
    not_null = await api.patch(url, json={"name": None}, headers=headers)
    assert not_null.status_code == 422
    assert [(f["field"], f["code"]) for f in not_null.json()["fields"]] == [
        ("body.name", "null_not_allowed")
    ]
    refused = await api.patch(url, json={"created_at": "2020-01-01T00:00:00Z"}, headers=headers)
    assert refused.status_code == 400


async def test_lists_page_in_id_order_and_filter_on_updated_since(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    old = await create(api, tenant, name="old")
    cut = datetime.now(UTC)
    new = [await create(api, tenant, name=f"new {i}") for i in range(2)]

    first = await api.get(URL, params={"limit": 2}, headers=headers)
    assert [c["id"] for c in first.json()["data"]] == [old["id"], new[0]["id"]]
    cursor = first.json()["next_cursor"]
    assert cursor
    second = await api.get(URL, params={"limit": 2, "cursor": cursor}, headers=headers)
    assert [c["id"] for c in second.json()["data"]] == [new[1]["id"]]
    assert second.json()["next_cursor"] is None
    bad = await api.get(URL, params={"cursor": "not-a-cursor"}, headers=headers)
    assert (bad.status_code, bad.json()["fields"][0]["code"]) == (400, "invalid_cursor")

    recent = await api.get(URL, params={"updated_since": cut.isoformat()}, headers=headers)
    assert [c["id"] for c in recent.json()["data"]] == [c["id"] for c in new]
    everything = await api.get(
        URL, params={"updated_since": (cut - timedelta(hours=1)).isoformat()}, headers=headers
    )
    assert len(everything.json()["data"]) == 3


async def test_another_organization_sees_a_404_and_basic_keys_cannot_write(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    customer = await create(api, tenant)
    other = await other_organization_key(db)
    url = f"{URL}/{customer['id']}"
    etag = {"If-Match": f'"{customer["etag"]}"'}
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await api.request(
            method,
            url,
            headers=bearer(other) | etag,
            json={"name": "x"} if method in ("PUT", "PATCH") else None,
        )
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), method
    assert (await api.get(URL, headers=bearer(other))).json()["data"] == []

    reader = await factories.api_key(db, organization=tenant.name, scopes=("basic",))
    assert (await api.get(url, headers=bearer(reader))).status_code == 200
    assert (await api.get(URL, headers=bearer(reader))).status_code == 200
    for method, target in (("POST", URL), ("PUT", url), ("PATCH", url), ("DELETE", url)):
        denied = await api.request(
            method,
            target,
            headers=bearer(reader) | etag,
            json={"name": "x"} if method != "DELETE" else None,
        )
        assert (denied.status_code, denied.json()["code"]) == (403, "insufficient_scope"), method
    unchanged = await api.get(url, headers=bearer(tenant.key))
    assert unchanged.json() == customer


async def test_a_customer_in_use_is_not_deleted(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    with_token = await create(api, tenant)
    await factories.id_token(
        db, organization_id=tenant.id, value="C1", customer_id=with_token["id"]
    )
    with_vehicle = await create(api, tenant)
    await factories.vehicle(db, organization_id=tenant.id, customer_id=with_vehicle["id"])
    for used in (with_token, with_vehicle):
        refused = await api.delete(f"{URL}/{used['id']}", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (409, "customer_in_use")
    charged = await create(api, tenant)
    await add_session(db, tenant.id, customer_id=charged["id"])
    refused = await api.delete(f"{URL}/{charged['id']}", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "in_use")
    for kept in (with_token, with_vehicle, charged):
        assert (await api.get(f"{URL}/{kept['id']}", headers=headers)).status_code == 200

    unused = await create(api, tenant)
    deleted = await api.delete(f"{URL}/{unused['id']}", headers=headers)
    assert deleted.status_code == 204
    gone = await api.get(f"{URL}/{unused['id']}", headers=headers)
    assert gone.status_code == 404
    again = await api.delete(f"{URL}/{unused['id']}", headers=headers)
    assert again.status_code == 404
