"""Id tokens over the API: create, read, replace with etags, patch, list with filters,
delete; unique values, customers of the same organization, tenancy and scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chargeplane.db import Database
from tests.conftest import Tenant
from tests.integration.test_chargers_api import bearer
from tests.integration.test_customers_api import add_session, other_organization_key
from tests.support import factories

URL = "/api/v1/id-tokens"


async def create(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    body = {"value": factories.unique("T")[:20], "name": "Employee Card", **body}
    response = await api.post(URL, json=body, headers=bearer(tenant.key))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_token_is_created_with_defaults_and_read_back(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    response = await api.post(URL, json={"value": "04A2B3C4", "name": "Card"}, headers=headers)
    assert response.status_code == 201
    token = response.json()
    assert response.headers["location"] == f"{URL}/{token['id']}"
    assert response.headers["etag"] == f'"{token["etag"]}"'
    assert {k: token[k] for k in ("value", "name", "status", "expires_at", "parent_id_tag")} == {
        "value": "04A2B3C4",
        "name": "Card",
        "status": "Accepted",
        "expires_at": None,
        "parent_id_tag": None,
    }
    assert (token["customer_id"], token["organization_id"]) == (None, tenant.id)
    got = await api.get(f"{URL}/{token['id']}", headers=headers)
    assert got.json() == token
    assert got.headers["etag"] == f'"{token["etag"]}"'

    customer_id = await factories.customer(db, organization_id=tenant.id)
    full = await create(
        api,
        tenant,
        value="X" * 20,
        status="Blocked",
        expires_at="2030-01-01T12:00:00+02:00",
        parent_id_tag="P" * 20,
        customer_id=customer_id,
    )
    assert (full["status"], full["parent_id_tag"], full["customer_id"]) == (
        "Blocked",
        "P" * 20,
        customer_id,
    )
    assert datetime.fromisoformat(full["expires_at"]) == datetime(2030, 1, 1, 10, tzinfo=UTC)
    got = await api.get(f"{URL}/{full['id']}", headers=headers)
    assert got.json() == full


async def test_invalid_input_is_a_4xx_naming_each_field(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    bad = await api.post(
        URL,
        json={
            "value": "X" * 21,
            "name": "",
            "status": "Lost",
            "expires_at": "2030-01-01T12:00:00",
            "parent_id_tag": "P" * 21,
        },
        headers=headers,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert {f["field"] for f in bad.json()["fields"]} == {
        "body.value",
        "body.name",
        "body.status",
        "body.expires_at",
        "body.parent_id_tag",
    }
    missing = await api.post(URL, json={}, headers=headers)
    assert {f["field"] for f in missing.json()["fields"]} == {"body.value", "body.name"}
    empty = await api.post(URL, json={"value": "", "name": "x"}, headers=headers)
    assert [f["field"] for f in empty.json()["fields"]] == ["body.value"]
    refused = await api.post(
        URL,
        json={"value": "A", "name": "x", "organization_id": 1, "etag": "e", "pin": "1234"},
        headers=headers,
    )
    assert refused.status_code == 400
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
        ("body.etag", "read_only_field"),
        ("body.organization_id", "read_only_field"),
        ("body.pin", "unknown_field"),
    ]
    listed = await api.get(URL, headers=headers)
    assert listed.json()["data"] == []  # nothing half-written


async def test_a_value_is_unique_in_its_organization(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    first = await create(api, tenant, value="DUPLICATE")
    again = await api.post(URL, json={"value": "DUPLICATE", "name": "Again"}, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "id_token_exists")
    assert [f["field"] for f in again.json()["fields"]] == ["body.value"]
    # OCPP id tags are case-insensitive: another spelling is the same token.
    cased = await api.post(URL, json={"value": "duplicate", "name": "Cased"}, headers=headers)
    assert (cased.status_code, cased.json()["code"]) == (409, "id_token_exists")

    other = await other_organization_key(db)
    elsewhere = await api.post(URL, json={"value": "DUPLICATE", "name": "x"}, headers=bearer(other))
    assert elsewhere.status_code == 201

    second = await create(api, tenant, value="SECOND")
    url = f"{URL}/{second['id']}"
    patched = await api.patch(url, json={"value": "DUPLICATE"}, headers=headers)
    assert (patched.status_code, patched.json()["code"]) == (409, "id_token_exists")
    replaced = await api.put(
        url, json={"value": "DUPLICATE", "name": "x", "etag": second["etag"]}, headers=headers
    )
    assert (replaced.status_code, replaced.json()["code"]) == (409, "id_token_exists")
    own = await api.put(
        f"{URL}/{first['id']}",
        json={"value": "DUPLICATE", "name": "Same value", "etag": first["etag"]},
        headers=headers,
    )
    assert own.status_code == 200
    listed = await api.get(URL, headers=headers)
    assert sorted(t["value"] for t in listed.json()["data"]) == ["DUPLICATE", "SECOND"]


async def test_the_customer_must_be_the_organizations_own(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    theirs = await factories.customer(db, organization_id=await factories.organization(db))
    for customer_id in (theirs, 999_999_999):
        refused = await api.post(
            URL, json={"value": "A", "name": "x", "customer_id": customer_id}, headers=headers
        )
        assert refused.status_code == 422
        assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
            ("body.customer_id", "not_found")
        ]
    assert (await api.get(URL, headers=headers)).json()["data"] == []  # nothing half-written

    token = await create(api, tenant)
    url = f"{URL}/{token['id']}"
    patched = await api.patch(url, json={"customer_id": theirs}, headers=headers)
    assert patched.status_code == 422
    assert patched.json()["fields"][0]["field"] == "body.customer_id"
    replaced = await api.put(
        url,
        json={"value": "B", "name": "x", "customer_id": theirs, "etag": token["etag"]},
        headers=headers,
    )
    assert replaced.status_code == 422
    assert (await api.get(url, headers=headers)).json() == token


async def test_put_needs_the_current_etag_and_clears_what_it_omits(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    customer_id = await factories.customer(db, organization_id=tenant.id)
    token = await create(
        api,
        tenant,
        status="Blocked",
        expires_at="2030-01-01T00:00:00Z",
        parent_id_tag="PARENT",
        customer_id=customer_id,
    )
    url, headers = f"{URL}/{token['id']}", bearer(tenant.key)
    body = {"value": "NEW", "name": "Renamed"}
    missing = await api.put(url, json=body, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(url, json=body, headers=headers | {"If-Match": '"old"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")

    replaced = await api.put(url, json=body, headers=headers | {"If-Match": f'"{token["etag"]}"'})
    assert replaced.status_code == 200
    got = replaced.json()
    assert {k: got[k] for k in ("value", "name", "status", "expires_at", "parent_id_tag")} == {
        "value": "NEW",
        "name": "Renamed",
        "status": "Accepted",
        "expires_at": None,
        "parent_id_tag": None,
    }
    assert got["customer_id"] is None
    assert got["etag"] != token["etag"]
    assert replaced.headers["etag"] == f'"{got["etag"]}"'
    again = await api.put(url, json=body | {"etag": got["etag"]}, headers=headers)
    assert again.status_code == 200
    reused = await api.put(url, json=body | {"etag": got["etag"]}, headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (412, "etag_mismatch")


async def test_patch_changes_only_the_given_fields(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    customer_id = await factories.customer(db, organization_id=tenant.id)
    token = await create(api, tenant, parent_id_tag="PARENT", customer_id=customer_id)
    url, headers = f"{URL}/{token['id']}", bearer(tenant.key)
    patched = await api.patch(
        url, json={"status": "Blocked", "expires_at": "2031-05-01T00:00:00Z"}, headers=headers
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body | {"etag": None, "updated_at": None, "expires_at": None} == token | {
        "status": "Blocked",
        "etag": None,
        "updated_at": None,
    }
    assert datetime.fromisoformat(body["expires_at"]) == datetime(2031, 5, 1, tzinfo=UTC)
    assert body["etag"] != token["etag"]
    cleared = await api.patch(
        url, json={"customer_id": None, "parent_id_tag": None}, headers=headers
    )
    assert (cleared.json()["customer_id"], cleared.json()["parent_id_tag"]) == (None, None)
    assert cleared.json()["value"] == token["value"]
    for field in ("value", "name", "status"):
        not_null = await api.patch(url, json={field: None}, headers=headers)
        assert not_null.status_code == 422, field
        assert [(f["field"], f["code"]) for f in not_null.json()["fields"]] == [
            (f"body.{field}", "null_not_allowed")
        ]
    naive = await api.patch(url, json={"expires_at": "2031-05-01T00:00:00"}, headers=headers)
    assert naive.status_code == 422


async def test_lists_page_in_id_order_and_filter(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    customer_id = await factories.customer(db, organization_id=tenant.id)
    old = await create(api, tenant, value="OLD", customer_id=customer_id)
    cut = datetime.now(UTC)
    blocked = await create(api, tenant, value="BLOCKED", status="Blocked")
    new = await create(api, tenant, value="NEW", customer_id=customer_id)

    def ids(response: httpx.Response) -> list[int]:
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["data"]]

    first = await api.get(URL, params={"limit": 2}, headers=headers)
    assert ids(first) == [old["id"], blocked["id"]]
    second = await api.get(
        URL, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=headers
    )
    assert ids(second) == [new["id"]]
    assert second.json()["next_cursor"] is None

    by: dict[str, tuple[Any, list[int]]] = {
        "customer_id": (customer_id, [old["id"], new["id"]]),
        "status": ("Blocked", [blocked["id"]]),
        "value": ("NEW", [new["id"]]),
        "updated_since": (cut.isoformat(), [blocked["id"], new["id"]]),
    }
    for name, (value, expected) in by.items():
        assert ids(await api.get(URL, params={name: value}, headers=headers)) == expected, name
    both = await api.get(URL, params={"customer_id": customer_id, "value": "OLD"}, headers=headers)
    assert ids(both) == [old["id"]]
    earlier = (cut - timedelta(hours=1)).isoformat()
    assert len(ids(await api.get(URL, params={"updated_since": earlier}, headers=headers))) == 3
    unknown = await api.get(URL, params={"status": "Lost"}, headers=headers)
    assert unknown.status_code == 422


async def test_another_organization_sees_a_404_and_basic_keys_cannot_write(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    token = await create(api, tenant)
    other = await other_organization_key(db)
    url = f"{URL}/{token['id']}"
    etag = {"If-Match": f'"{token["etag"]}"'}
    body = {"value": "X", "name": "x"}
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await api.request(
            method,
            url,
            headers=bearer(other) | etag,
            json=body if method in ("PUT", "PATCH") else None,
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
            json=body if method != "DELETE" else None,
        )
        assert (denied.status_code, denied.json()["code"]) == (403, "insufficient_scope"), method
    assert (await api.get(url, headers=bearer(tenant.key))).json() == token


async def test_a_token_in_use_is_not_deleted(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    driven = await create(api, tenant)
    await factories.vehicle(db, organization_id=tenant.id, id_token_id=driven["id"])
    refused = await api.delete(f"{URL}/{driven['id']}", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "id_token_in_use")
    charged = await create(api, tenant)
    await add_session(db, tenant.id, id_token_id=charged["id"])
    refused = await api.delete(f"{URL}/{charged['id']}", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "in_use")
    for kept in (driven, charged):
        assert (await api.get(f"{URL}/{kept['id']}", headers=headers)).status_code == 200

    unused = await create(api, tenant)
    deleted = await api.delete(f"{URL}/{unused['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await api.get(f"{URL}/{unused['id']}", headers=headers)).status_code == 404
    # The value is free again.
    assert (await create(api, tenant, value=unused["value"]))["value"] == unused["value"]
