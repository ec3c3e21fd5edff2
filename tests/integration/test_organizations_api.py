"""The caller's organization over the API: read, rename (PATCH, PUT with etags); unique
names; no one sees or changes another organization; no creation over the API."""

from __future__ import annotations

from datetime import datetime

import httpx

from chargeplane.db import Database
from tests.conftest import Tenant
from tests.integration.test_chargers_api import bearer
from tests.support import factories

URL = "/api/v1/organizations"


async def test_the_list_is_the_callers_own_organization(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await factories.organization(db)  # another tenant, never listed
    listed = await api.get(URL, headers=bearer(tenant.key))
    assert listed.status_code == 200
    body = listed.json()
    assert body["next_cursor"] is None
    assert [(o["id"], o["name"]) for o in body["data"]] == [(tenant.id, tenant.name)]
    assert set(body["data"][0]) == {"id", "name", "created_at", "updated_at", "etag"}

    got = await api.get(f"{URL}/{tenant.id}", headers=bearer(tenant.key))
    assert got.status_code == 200
    assert got.json() == body["data"][0]
    assert got.headers["etag"] == f'"{got.json()["etag"]}"'


async def test_any_key_of_the_organization_may_read_it(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    reader = bearer(await factories.api_key(db, organization=tenant.name, scopes=("basic",)))
    assert (await api.get(URL, headers=reader)).status_code == 200
    assert (await api.get(f"{URL}/{tenant.id}", headers=reader)).status_code == 200
    denied = await api.patch(f"{URL}/{tenant.id}", json={"name": "x"}, headers=reader)
    assert (denied.status_code, denied.json()["code"]) == (403, "insufficient_scope")
    denied = await api.put(
        f"{URL}/{tenant.id}", json={"name": "x"}, headers=reader | {"If-Match": '"x"'}
    )
    assert (denied.status_code, denied.json()["code"]) == (403, "insufficient_scope")
    assert (await api.get(URL)).status_code == 401


async def test_another_organization_is_a_404(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    other = await factories.organization(db)
    url, headers = f"{URL}/{other}", bearer(tenant.key)
    got = await api.get(url, headers=headers)
    assert (got.status_code, got.json()["code"]) == (404, "not_found")
    patched = await api.patch(url, json={"name": factories.unique("x")}, headers=headers)
    assert patched.status_code == 404
    put = await api.put(url, json={"name": "x"}, headers=headers | {"If-Match": '"x"'})
    assert put.status_code == 404
    assert (await api.get(f"{URL}/999999999", headers=headers)).status_code == 404


async def test_patch_renames(api: httpx.AsyncClient, tenant: Tenant) -> None:
    url, headers = f"{URL}/{tenant.id}", bearer(tenant.key)
    before = (await api.get(url, headers=headers)).json()
    name = factories.unique("renamed")
    patched = await api.patch(url, json={"name": name}, headers=headers)
    assert patched.status_code == 200
    body = patched.json()
    assert body["name"] == name
    assert body["etag"] != before["etag"]
    assert (body["id"], body["created_at"]) == (before["id"], before["created_at"])
    assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(
        before["created_at"]
    )
    unchanged = await api.patch(url, json={}, headers=headers)
    assert unchanged.json() == body
    # The keys keep working: they belong to the organization, not to its name.
    assert (await api.get(URL, headers=headers)).json()["data"][0]["name"] == name


async def test_invalid_input_is_refused_by_field(api: httpx.AsyncClient, tenant: Tenant) -> None:
    url, headers = f"{URL}/{tenant.id}", bearer(tenant.key)
    for body in ({"name": ""}, {"name": None}, {"name": "x" * 201}):
        bad = await api.patch(url, json=body, headers=headers)
        assert bad.status_code == 422, body
        assert [f["field"] for f in bad.json()["fields"]] == ["body.name"]
    refused = await api.patch(url, json={"id": 5, "etag": "x", "colour": 1}, headers=headers)
    assert refused.status_code == 400
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
        ("body.etag", "read_only_field"),
        ("body.id", "read_only_field"),
        ("body.colour", "unknown_field"),
    ]
    missing = await api.put(url, json={"etag": "x"}, headers=headers)
    assert [f["field"] for f in missing.json()["fields"]] == ["body.name"]


async def test_put_needs_the_current_etag(api: httpx.AsyncClient, tenant: Tenant) -> None:
    url, headers = f"{URL}/{tenant.id}", bearer(tenant.key)
    current = (await api.get(url, headers=headers)).json()
    name = factories.unique("put")
    missing = await api.put(url, json={"name": name}, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(url, json={"name": name}, headers=headers | {"If-Match": '"old"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")

    replaced = await api.put(
        url, json={"name": name}, headers=headers | {"If-Match": f'"{current["etag"]}"'}
    )
    assert replaced.status_code == 200
    body = replaced.json()
    assert body["name"] == name
    assert body["etag"] != current["etag"]
    # The etag may also come in the body, and is then used up.
    again = await api.put(url, json={"name": name + "-2", "etag": body["etag"]}, headers=headers)
    assert again.status_code == 200
    reused = await api.put(url, json={"name": name + "-3", "etag": body["etag"]}, headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (412, "etag_mismatch")
    assert (await api.get(url, headers=headers)).json()["name"] == name + "-2"


async def test_names_are_unique(api: httpx.AsyncClient, db: Database, tenant: Tenant) -> None:
    taken = factories.unique("taken")
    await factories.organization(db, taken)
    url, headers = f"{URL}/{tenant.id}", bearer(tenant.key)
    before = (await api.get(url, headers=headers)).json()

    patched = await api.patch(url, json={"name": taken}, headers=headers)
    assert (patched.status_code, patched.json()["code"]) == (409, "name_taken")
    put = await api.put(
        url, json={"name": taken}, headers=headers | {"If-Match": f'"{before["etag"]}"'}
    )
    assert (put.status_code, put.json()["code"]) == (409, "name_taken")
    assert (await api.get(url, headers=headers)).json() == before  # nothing changed
    # Keeping one's own name is no conflict.
    same = await api.patch(url, json={"name": tenant.name}, headers=headers)
    assert same.status_code == 200


async def test_organizations_are_not_created_or_deleted_over_the_api(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = bearer(tenant.key)
    created = await api.post(URL, json={"name": factories.unique("new")}, headers=headers)
    assert created.status_code == 405
    deleted = await api.delete(f"{URL}/{tenant.id}", headers=headers)
    assert deleted.status_code == 405
    assert (await api.get(f"{URL}/{tenant.id}", headers=headers)).status_code == 200
