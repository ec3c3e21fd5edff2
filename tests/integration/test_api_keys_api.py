"""API keys over the API: issue (the plaintext once), list without secrets, patch, revoke;
validation, tenancy and the ``full`` scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chargeplane.db import Database
from chargeplane.db.models import ApiKey
from tests.conftest import Tenant
from tests.integration.test_chargers_api import bearer
from tests.support import factories

URL = "/api/v1/api-keys"
READ_FIELDS = {
    "id",
    "name",
    "prefix",
    "scopes",
    "allowed_cidrs",
    "thor_rest_api",
    "created_at",
    "expires_at",
    "revoked_at",
    "etag",
}


async def issue(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await api.post(URL, json={"name": "ops", **body}, headers=bearer(tenant.key))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_new_key_is_shown_once_and_works(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    later = datetime.now(UTC) + timedelta(days=30)
    created = await issue(
        api,
        tenant,
        name="billing",
        scopes=["sensitive"],
        allowed_cidrs=["127.0.0.1/8", "::1"],
        expires_at=later.isoformat(),
    )
    assert set(created) == READ_FIELDS | {"key"}
    assert created["key"].startswith(f"cp_{created['prefix']}_")
    assert created["scopes"] == ["basic", "sensitive"]  # basic always included
    assert created["allowed_cidrs"] == ["127.0.0.0/8", "::1/128"]  # canonical form
    assert datetime.fromisoformat(created["expires_at"]) == later
    assert created["revoked_at"] is None

    url = f"{URL}/{created['id']}"
    got = await api.get(url, headers=bearer(tenant.key))
    assert got.status_code == 200
    assert got.json() == {k: v for k, v in created.items() if k != "key"}
    assert got.headers["etag"] == f'"{created["etag"]}"'

    # The new key authenticates (basic + sensitive: it may read, not write).
    sites = await api.get("/api/v1/sites", headers=bearer(created["key"]))
    assert sites.status_code == 200
    async with db.reader() as session:
        row = (await session.scalars(select(ApiKey).where(ApiKey.id == created["id"]))).one()
    assert created["key"] not in (row.secret_hash, row.prefix)


async def test_defaults_are_basic_anywhere_forever(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await issue(api, tenant)
    assert (created["scopes"], created["allowed_cidrs"], created["expires_at"]) == (
        ["basic"],
        [],
        None,
    )


async def test_the_list_has_the_organizations_keys_and_no_secrets(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    mine = [await issue(api, tenant, name=f"k{i}") for i in range(3)]
    await factories.api_key(db, organization=factories.unique("org"))  # someone else's
    headers = bearer(tenant.key)
    listed = await api.get(URL, headers=headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["next_cursor"] is None
    # The tenant's own key (from the fixture) plus the three.
    assert len(body["data"]) == 4
    assert {k["id"] for k in mine} <= {k["id"] for k in body["data"]}
    for item in body["data"]:
        assert set(item) == READ_FIELDS
    assert all(k["key"] not in listed.text for k in mine)

    first = await api.get(URL, params={"limit": 2}, headers=headers)
    rest = await api.get(
        URL, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=headers
    )
    paged = [k["id"] for k in first.json()["data"] + rest.json()["data"]]
    assert paged == [k["id"] for k in body["data"]]
    assert rest.json()["next_cursor"] is None


async def test_invalid_input_is_a_4xx_naming_each_field(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    bad = await api.post(
        URL,
        json={
            "name": "",
            "scopes": ["basic", "root"],
            "allowed_cidrs": ["10.0.0.0/8", "10.0.0.0/33", "nowhere"],
            "expires_at": "2030-01-01T00:00:00",
        },
        headers=headers,
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {
        "body.name",
        "body.scopes.1",
        "body.allowed_cidrs.1",
        "body.allowed_cidrs.2",
        "body.expires_at",  # naive: an offset is required
    }
    refused = await api.post(
        URL, json={"name": "x", "key": "cp_a_b", "prefix": "abc", "colour": 1}, headers=headers
    )
    assert refused.status_code == 400
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
        ("body.key", "read_only_field"),
        ("body.prefix", "read_only_field"),
        ("body.colour", "unknown_field"),
    ]
    listed = await api.get(URL, headers=headers)
    assert [k["name"] for k in listed.json()["data"]].count("x") == 0  # nothing half-written


async def test_patch_changes_only_the_given_fields(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await issue(api, tenant, scopes=["full"], allowed_cidrs=["10.0.0.0/8"])
    url, headers = f"{URL}/{created['id']}", bearer(tenant.key)
    renamed = await api.patch(url, json={"name": "renamed"}, headers=headers)
    assert renamed.status_code == 200
    body = renamed.json()
    assert body | {"name": None, "etag": None} == {
        k: v for k, v in created.items() if k != "key"
    } | {"name": None, "etag": None}
    assert body["name"] == "renamed"
    assert body["etag"] != created["etag"]
    assert renamed.headers["etag"] == f'"{body["etag"]}"'

    later = datetime.now(UTC) + timedelta(days=1)
    changed = await api.patch(
        url,
        json={
            "scopes": ["sensitive"],
            "allowed_cidrs": ["192.168.1.7/24"],
            "expires_at": later.isoformat(),
        },
        headers=headers,
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["scopes"], body["allowed_cidrs"]) == (["basic", "sensitive"], ["192.168.1.0/24"])
    assert datetime.fromisoformat(body["expires_at"]) == later

    cleared = await api.patch(url, json={"expires_at": None, "allowed_cidrs": []}, headers=headers)
    assert (cleared.json()["expires_at"], cleared.json()["allowed_cidrs"]) == (None, [])

    for field in ("name", "scopes", "allowed_cidrs"):
        null = await api.patch(url, json={field: None}, headers=headers)
        assert null.status_code == 422, field
        assert [f["field"] for f in null.json()["fields"]] == [f"body.{field}"]
    bad = await api.patch(url, json={"allowed_cidrs": ["300.0.0.0/8"]}, headers=headers)
    assert (bad.status_code, bad.json()["fields"][0]["field"]) == (422, "body.allowed_cidrs.0")
    refused = await api.patch(url, json={"revoked_at": None}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (400, "refused_fields")


async def test_a_patched_key_takes_effect(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await issue(api, tenant, scopes=["full"])
    url = f"{URL}/{created['id']}"
    assert (await api.get(URL, headers=bearer(created["key"]))).status_code == 200
    await api.patch(url, json={"scopes": ["basic"]}, headers=bearer(tenant.key))
    denied = await api.get(URL, headers=bearer(created["key"]))
    assert (denied.status_code, denied.json()["code"]) == (403, "insufficient_scope")
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    await api.patch(url, json={"expires_at": past}, headers=bearer(tenant.key))
    expired = await api.get("/api/v1/sites", headers=bearer(created["key"]))
    assert (expired.status_code, expired.json()["code"]) == (401, "unauthenticated")


async def test_delete_revokes_idempotently(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await issue(api, tenant, scopes=["full"])
    url, headers = f"{URL}/{created['id']}", bearer(tenant.key)
    assert (await api.get("/api/v1/sites", headers=bearer(created["key"]))).status_code == 200

    revoked = await api.delete(url, headers=headers)
    assert revoked.status_code == 204
    refused = await api.get("/api/v1/sites", headers=bearer(created["key"]))
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")

    shown = (await api.get(url, headers=headers)).json()
    assert shown["revoked_at"] is not None
    assert shown["etag"] != created["etag"]
    again = await api.delete(url, headers=headers)
    assert again.status_code == 204
    assert (await api.get(url, headers=headers)).json()["revoked_at"] == shown["revoked_at"]

    frozen = await api.patch(url, json={"name": "back"}, headers=headers)
    assert (frozen.status_code, frozen.json()["code"]) == (409, "api_key_revoked")


async def test_a_key_may_revoke_itself(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await issue(api, tenant, scopes=["full"])
    own = bearer(created["key"])
    assert (await api.delete(f"{URL}/{created['id']}", headers=own)).status_code == 204
    after = await api.get(URL, headers=own)
    assert (after.status_code, after.json()["code"]) == (401, "unauthenticated")
    assert (await api.get(URL, headers=bearer(tenant.key))).status_code == 200


async def test_another_organizations_key_is_a_404(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    created = await issue(api, tenant)
    other = await factories.api_key(
        db, organization=factories.unique("org"), scopes=("basic", "sensitive", "full")
    )
    url = f"{URL}/{created['id']}"
    for method in ("GET", "PATCH", "DELETE"):
        response = await api.request(
            method, url, headers=bearer(other), json={"name": "x"} if method == "PATCH" else None
        )
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), method
    assert (await api.get(url, headers=bearer(tenant.key))).json() == {
        k: v for k, v in created.items() if k != "key"
    }
    missing = await api.get(f"{URL}/999999999", headers=bearer(tenant.key))
    assert missing.status_code == 404


@pytest.mark.parametrize("scopes", [("basic",), ("basic", "sensitive")])
async def test_every_route_needs_the_full_scope(
    api: httpx.AsyncClient, db: Database, tenant: Tenant, scopes: tuple[str, ...]
) -> None:
    created = await issue(api, tenant)
    weak = bearer(await factories.api_key(db, organization=tenant.name, scopes=scopes))
    url = f"{URL}/{created['id']}"
    calls = [
        ("GET", URL, None),
        ("POST", URL, {"name": "x"}),
        ("GET", url, None),
        ("PATCH", url, {"name": "x"}),
        ("DELETE", url, None),
    ]
    for method, path, body in calls:
        response = await api.request(method, path, headers=weak, json=body)
        assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope"), (
            method,
            path,
        )
    anonymous = await api.get(URL)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")
    assert (await api.get(url, headers=bearer(tenant.key))).json()["revoked_at"] is None


async def test_the_thor_switch_is_off_by_default_and_can_be_set(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await issue(api, tenant)
    assert created["thor_rest_api"] is False
    url, headers = f"{URL}/{created['id']}", bearer(tenant.key)
    switched = await api.patch(url, json={"thor_rest_api": True}, headers=headers)
    assert switched.json()["thor_rest_api"] is True
    assert switched.json()["etag"] != created["etag"]
    nulled = await api.patch(url, json={"thor_rest_api": None}, headers=headers)
    assert nulled.status_code == 422
