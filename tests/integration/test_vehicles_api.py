"""Vehicles over the API: create, read, replace with etags, patch, list with filters,
delete; customers and id tokens of the same organization, tenancy and scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chargeplane.db import Database
from tests.conftest import Tenant
from tests.integration.test_chargers_api import bearer
from tests.integration.test_customers_api import add_session, other_organization_key
from tests.support import factories

URL = "/api/v1/vehicles"
MODEL_3 = {"make": "Tesla", "model": "Model 3", "name": "Company car", "vin": "5YJ3E1EA7KF317000"}


async def create(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await api.post(URL, json=body or MODEL_3, headers=bearer(tenant.key))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_vehicle_is_created_and_read_back(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    customer_id = await factories.customer(db, organization_id=tenant.id)
    token_id = await factories.id_token(db, organization_id=tenant.id, value="V1")
    body = MODEL_3 | {"customer_id": customer_id, "id_token_id": token_id}
    response = await api.post(URL, json=body, headers=headers)
    assert response.status_code == 201
    vehicle = response.json()
    assert response.headers["location"] == f"{URL}/{vehicle['id']}"
    assert response.headers["etag"] == f'"{vehicle["etag"]}"'
    assert {k: vehicle[k] for k in body} == body
    assert vehicle["organization_id"] == tenant.id
    got = await api.get(f"{URL}/{vehicle['id']}", headers=headers)
    assert got.json() == vehicle
    assert got.headers["etag"] == f'"{vehicle["etag"]}"'

    empty = await api.post(URL, json={}, headers=headers)
    assert empty.status_code == 201
    assert all(
        empty.json()[k] is None
        for k in ("make", "model", "name", "vin", "customer_id", "id_token_id")
    )
    lenient = await create(api, tenant, vin="demo-vin-0")
    assert lenient["vin"] == "demo-vin-0"


async def test_invalid_input_is_a_4xx_naming_each_field(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    bad = await api.post(
        URL,
        json={"make": "x" * 101, "model": "x" * 101, "name": "x" * 101, "vin": "X" * 18},
        headers=headers,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert {f["field"] for f in bad.json()["fields"]} == {
        "body.make",
        "body.model",
        "body.name",
        "body.vin",
    }
    empty_vin = await api.post(URL, json={"vin": ""}, headers=headers)
    assert [f["field"] for f in empty_vin.json()["fields"]] == ["body.vin"]
    wrong_type = await api.post(URL, json={"customer_id": "someone"}, headers=headers)
    assert [f["field"] for f in wrong_type.json()["fields"]] == ["body.customer_id"]
    refused = await api.post(
        URL,
        json={"make": "x", "updated_at": "2020-01-01T00:00:00Z", "plate": "AB-12"},
        headers=headers,
    )
    assert refused.status_code == 400
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
        ("body.updated_at", "read_only_field"),
        ("body.plate", "unknown_field"),
    ]
    listed = await api.get(URL, headers=headers)
    assert listed.json()["data"] == []  # nothing half-written


async def test_the_customer_and_token_must_be_the_organizations_own(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    elsewhere = await factories.organization(db)
    their_customer = await factories.customer(db, organization_id=elsewhere)
    their_token = await factories.id_token(db, organization_id=elsewhere, value="THEIRS")
    cases = [
        ("customer_id", their_customer),
        ("customer_id", 999_999_999),
        ("id_token_id", their_token),
        ("id_token_id", 999_999_999),
    ]
    for field, value in cases:
        refused = await api.post(URL, json={field: value}, headers=headers)
        assert refused.status_code == 422, (field, value)
        assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
            (f"body.{field}", "not_found")
        ]
    assert (await api.get(URL, headers=headers)).json()["data"] == []  # nothing half-written

    vehicle = await create(api, tenant)
    url = f"{URL}/{vehicle['id']}"
    for field, value in cases[::2]:
        patched = await api.patch(url, json={field: value}, headers=headers)
        assert patched.status_code == 422
        assert patched.json()["fields"][0]["field"] == f"body.{field}"
        replaced = await api.put(url, json={field: value, "etag": vehicle["etag"]}, headers=headers)
        assert replaced.status_code == 422
    assert (await api.get(url, headers=headers)).json() == vehicle


async def test_put_needs_the_current_etag_and_clears_what_it_omits(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    customer_id = await factories.customer(db, organization_id=tenant.id)
    token_id = await factories.id_token(db, organization_id=tenant.id, value="V1")
    vehicle = await create(api, tenant, **MODEL_3, customer_id=customer_id, id_token_id=token_id)
    url, headers = f"{URL}/{vehicle['id']}", bearer(tenant.key)
    missing = await api.put(url, json={"name": "Renamed"}, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(url, json={"name": "Renamed"}, headers=headers | {"If-Match": '"old"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")

    replaced = await api.put(
        url, json={"name": "Renamed"}, headers=headers | {"If-Match": f'"{vehicle["etag"]}"'}
    )
    assert replaced.status_code == 200
    body = replaced.json()
    assert body | {"etag": None, "updated_at": None} == vehicle | {
        "make": None,
        "model": None,
        "name": "Renamed",
        "vin": None,
        "customer_id": None,
        "id_token_id": None,
        "etag": None,
        "updated_at": None,
    }
    assert body["etag"] != vehicle["etag"]
    assert replaced.headers["etag"] == f'"{body["etag"]}"'
    again = await api.put(url, json={"make": "Kia", "etag": body["etag"]}, headers=headers)
    assert again.status_code == 200
    reused = await api.put(url, json={"make": "BYD", "etag": body["etag"]}, headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (412, "etag_mismatch")


async def test_patch_changes_only_the_given_fields(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    vehicle = await create(api, tenant)
    url, headers = f"{URL}/{vehicle['id']}", bearer(tenant.key)
    customer_id = await factories.customer(db, organization_id=tenant.id)
    patched = await api.patch(url, json={"customer_id": customer_id}, headers=headers)
    assert patched.status_code == 200
    body = patched.json()
    assert body | {"etag": None, "updated_at": None} == vehicle | {
        "customer_id": customer_id,
        "etag": None,
        "updated_at": None,
    }
    assert body["etag"] != vehicle["etag"]
    cleared = await api.patch(url, json={"vin": None, "customer_id": None}, headers=headers)
    assert (cleared.json()["vin"], cleared.json()["customer_id"]) == (None, None)
    assert cleared.json()["make"] == MODEL_3["make"]
    refused = await api.patch(url, json={"etag": cleared.json()["etag"]}, headers=headers)
    assert refused.status_code == 400


async def test_lists_page_in_id_order_and_filter(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    customer_id = await factories.customer(db, organization_id=tenant.id)
    token_id = await factories.id_token(db, organization_id=tenant.id, value="V1")
    old = await create(api, tenant, name="old", customer_id=customer_id)
    cut = datetime.now(UTC)
    tagged = await create(api, tenant, name="tagged", id_token_id=token_id)
    new = await create(api, tenant, name="new", customer_id=customer_id, id_token_id=token_id)

    def ids(response: httpx.Response) -> list[int]:
        assert response.status_code == 200, response.text
        return [v["id"] for v in response.json()["data"]]

    first = await api.get(URL, params={"limit": 2}, headers=headers)
    assert ids(first) == [old["id"], tagged["id"]]
    second = await api.get(
        URL, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=headers
    )
    assert ids(second) == [new["id"]]
    assert second.json()["next_cursor"] is None

    by: dict[str, tuple[Any, list[int]]] = {
        "customer_id": (customer_id, [old["id"], new["id"]]),
        "id_token_id": (token_id, [tagged["id"], new["id"]]),
        "updated_since": (cut.isoformat(), [tagged["id"], new["id"]]),
    }
    for name, (value, expected) in by.items():
        assert ids(await api.get(URL, params={name: value}, headers=headers)) == expected, name
    both = await api.get(
        URL, params={"customer_id": customer_id, "id_token_id": token_id}, headers=headers
    )
    assert ids(both) == [new["id"]]
    earlier = (cut - timedelta(hours=1)).isoformat()
    assert len(ids(await api.get(URL, params={"updated_since": earlier}, headers=headers))) == 3


async def test_another_organization_sees_a_404_and_basic_keys_cannot_write(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    vehicle = await create(api, tenant)
    other = await other_organization_key(db)
    url = f"{URL}/{vehicle['id']}"
    etag = {"If-Match": f'"{vehicle["etag"]}"'}
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
    assert (await api.get(url, headers=bearer(tenant.key))).json() == vehicle


async def test_a_vehicle_in_use_is_not_deleted(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    charged = await create(api, tenant)
    await add_session(db, tenant.id, vehicle_id=charged["id"])
    refused = await api.delete(f"{URL}/{charged['id']}", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "in_use")
    assert (await api.get(f"{URL}/{charged['id']}", headers=headers)).status_code == 200

    unused = await create(api, tenant)
    deleted = await api.delete(f"{URL}/{unused['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await api.get(f"{URL}/{unused['id']}", headers=headers)).status_code == 404
    assert (await api.delete(f"{URL}/{unused['id']}", headers=headers)).status_code == 404
