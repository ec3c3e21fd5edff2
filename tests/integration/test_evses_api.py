"""A charger's EVSEs over the API (create, read, replace with etags, patch, delete; the live
status read-only; tenancy and scopes), and ``apply_layout`` on a real database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from chargeplane.chargers.layout import apply_layout
from chargeplane.chargers.repository import ChargerRepository
from chargeplane.db import Database
from chargeplane.db.models import Charger, ChargingSession, Evse
from chargeplane.errors import Conflict, InvalidRequest
from chargeplane.facts import StatusFact
from chargeplane.layout import EvseSpec
from tests.conftest import Tenant
from tests.integration.test_chargers_api import add_charger, bearer
from tests.support import factories

T2 = {"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}
CCS2 = {
    "standard": "IEC_62196_T2_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "max_voltage": 920,
    "max_amperage": 200,
    "max_power_kw": 150,
}


def url(charger_id: int, number: int | None = None) -> str:
    base = f"/api/v1/chargers/{charger_id}/evses"
    return base if number is None else f"{base}/{number}"


async def create(
    api: httpx.AsyncClient, tenant: Tenant, charger_id: int, number: int, **body: Any
) -> dict[str, Any]:
    response = await api.post(
        url(charger_id),
        json={"number": number, "connectors": [T2], **body},
        headers=bearer(tenant.key),
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url(charger_id, number)
    return response.json()  # type: ignore[no-any-return]


async def report_status(db: Database, charger_id: int, number: int, status: str) -> None:
    """What the OCPP side does on a StatusNotification: the EVSE is created on first sight."""
    async with db.unit_of_work() as session:
        ChargerRepository(session).record_evse_status(
            charger_id,
            StatusFact(evse_number=number, status=status, error_code="NoError"),
            now=factories.now(),
        )


async def add_session(db: Database, charger: Charger, number: int) -> None:
    """A (completed) charging session on EVSE ``number``."""
    now = factories.now()
    async with db.unit_of_work() as session:
        evse_id = await session.scalar(
            select(Evse.id).where(Evse.charger_id == charger.id, Evse.number == number)
        )
        assert evse_id is not None
        session.add(
            ChargingSession(
                organization_id=charger.organization_id,
                charger_id=charger.id,
                evse_id=evse_id,
                evse_number=number,
                state="completed",
                id_tag="TAG-1",
                auth_status="Accepted",
                started_at=now,
                meter_start=0,
                received_at=now,
                updated_at=now,
                flags=[],
            )
        )


async def evses_of(db: Database, charger_id: int) -> list[Evse]:
    async with db.reader() as session:
        stmt = (
            select(Evse)
            .where(Evse.charger_id == charger_id)
            .options(selectinload(Evse.connectors))
            .order_by(Evse.number)
        )
        return list((await session.scalars(stmt)).all())


def spec(number: int, *connectors: dict[str, Any], **values: Any) -> EvseSpec:
    return EvseSpec.model_validate(
        {"number": number, "connectors": list(connectors) or [T2], **values}
    )


# --- the API ------------------------------------------------------------------------------


async def test_evses_are_created_and_listed_by_number(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    second = await create(
        api,
        tenant,
        charger.id,
        2,
        name="Right",
        max_power_kw=150,
        connectors=[CCS2, T2 | {"number": 2}],
    )
    first = await create(api, tenant, charger.id, 1)
    assert (second["charger_id"], second["number"], second["name"], second["max_power_kw"]) == (
        charger.id,
        2,
        "Right",
        150,
    )
    assert second["ocpp_status"] is None
    assert [(c["number"], c["standard"], c["max_power_kw"]) for c in second["connectors"]] == [
        (1, "IEC_62196_T2_COMBO", 150),
        (2, "IEC_62196_T2", None),
    ]
    listed = await api.get(url(charger.id), headers=bearer(tenant.key))
    assert listed.status_code == 200
    assert listed.json()["data"] == [first, second]
    got = await api.get(url(charger.id, 2), headers=bearer(tenant.key))
    assert got.json() == second
    assert got.headers["etag"] == f'"{second["etag"]}"'
    missing = await api.get(url(charger.id, 3), headers=bearer(tenant.key))
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    # The charger read model shows the same layout.
    snapshot = await api.get(f"/api/v1/chargers/{charger.id}", headers=bearer(tenant.key))
    assert [e["number"] for e in snapshot.json()["evses"]] == [1, 2]


async def test_an_evse_number_is_created_once(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    await create(api, tenant, charger.id, 1)
    again = await api.post(
        url(charger.id), json={"number": 1, "connectors": [T2]}, headers=bearer(tenant.key)
    )
    assert (again.status_code, again.json()["code"]) == (409, "evse_exists")
    await report_status(db, charger.id, 2, "Available")  # created by the charger
    reported = await api.post(
        url(charger.id), json={"number": 2, "connectors": [T2]}, headers=bearer(tenant.key)
    )
    assert (reported.status_code, reported.json()["code"]) == (409, "evse_exists")


async def test_invalid_evses_are_refused_naming_each_field(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    headers = bearer(tenant.key)
    bad = await api.post(
        url(charger.id), json={"number": 0, "connectors": [], "name": "x" * 101}, headers=headers
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {
        "body.number",
        "body.connectors",
        "body.name",
    }
    twice = await api.post(
        url(charger.id), json={"number": 1, "connectors": [T2, T2]}, headers=headers
    )
    assert twice.status_code == 422
    unknown = await api.post(
        url(charger.id),
        json={"number": 1, "connectors": [T2 | {"standard": "TYPE2"}]},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["fields"][0]["field"] == "body.connectors.0.standard"
    assert (await api.get(url(charger.id), headers=headers)).json()["data"] == []


async def test_the_live_status_is_read_only(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    evse = await create(api, tenant, charger.id, 1)
    headers = bearer(tenant.key)
    live = {"status": "Available", "error_code": "NoError", "ocpp_status": None}
    posted = await api.post(
        url(charger.id), json={"number": 2, "connectors": [T2], **live}, headers=headers
    )
    put = await api.put(
        url(charger.id, 1), json={"connectors": [T2], "etag": evse["etag"], **live}, headers=headers
    )
    patched = await api.patch(url(charger.id, 1), json=live | {"id": 9}, headers=headers)
    for response in (posted, put, patched):
        assert response.status_code == 400
        assert response.json()["code"] == "refused_fields"
        assert {(f["field"], f["code"]) for f in response.json()["fields"]} >= {
            ("body.status", "read_only_field"),
            ("body.error_code", "read_only_field"),
            ("body.ocpp_status", "read_only_field"),
        }
    moved = await api.patch(url(charger.id, 1), json={"number": 5}, headers=headers)
    assert moved.json()["fields"] == [
        {"field": "body.number", "code": "read_only_field", "message": "read only field"}
    ]


async def test_put_needs_the_current_etag_and_replaces_the_configuration(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    evse = await create(api, tenant, charger.id, 1, name="Left", max_power_kw=22)
    target, headers = url(charger.id, 1), bearer(tenant.key)
    body = {"connectors": [CCS2]}
    missing = await api.put(target, json=body, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (428, "etag_required")
    stale = await api.put(target, json=body, headers=headers | {"If-Match": '"old"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "etag_mismatch")

    replaced = await api.put(target, json=body, headers=headers | {"If-Match": f'"{evse["etag"]}"'})
    assert replaced.status_code == 200, replaced.text
    got = replaced.json()
    assert (got["id"], got["name"], got["max_power_kw"]) == (evse["id"], None, None)
    assert [c["standard"] for c in got["connectors"]] == ["IEC_62196_T2_COMBO"]
    assert got["etag"] != evse["etag"]
    assert replaced.headers["etag"] == f'"{got["etag"]}"'
    again = await api.put(target, json=body | {"etag": got["etag"]}, headers=headers)
    assert again.status_code == 200
    reused = await api.put(target, json=body | {"etag": got["etag"]}, headers=headers)
    assert reused.status_code == 412
    unknown = await api.put(url(charger.id, 7), json=body | {"etag": got["etag"]}, headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


async def test_patch_changes_only_the_given_fields(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    evse = await create(api, tenant, charger.id, 1, name="Left", max_power_kw=22)
    target, headers = url(charger.id, 1), bearer(tenant.key)
    renamed = await api.patch(target, json={"name": "Port A"}, headers=headers)
    assert renamed.status_code == 200
    body = renamed.json()
    assert body | {"etag": None, "updated_at": None} == evse | {
        "name": "Port A",
        "etag": None,
        "updated_at": None,
    }
    assert body["etag"] != evse["etag"]
    rewired = await api.patch(target, json={"connectors": [CCS2]}, headers=headers)
    assert rewired.status_code == 200
    assert (rewired.json()["name"], rewired.json()["max_power_kw"]) == ("Port A", 22)
    assert [c["standard"] for c in rewired.json()["connectors"]] == ["IEC_62196_T2_COMBO"]
    assert rewired.json()["etag"] != body["etag"]
    nulled = await api.patch(target, json={"connectors": None}, headers=headers)
    assert nulled.status_code == 422
    assert nulled.json()["fields"][0]["field"] == "body.connectors"
    missing = await api.patch(url(charger.id, 9), json={"name": "x"}, headers=headers)
    assert missing.status_code == 404


async def test_an_evse_the_charger_reported_keeps_its_status_when_configured(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    await report_status(db, charger.id, 1, "Charging")
    seen = (await api.get(url(charger.id, 1), headers=bearer(tenant.key))).json()
    assert seen["connectors"] == []
    assert (seen["ocpp_status"]["status"], seen["ocpp_status"]["error_code"]) == (
        "Charging",
        "NoError",
    )
    configured = await api.put(
        url(charger.id, 1),
        json={"name": "Port 1", "connectors": [T2], "etag": seen["etag"]},
        headers=bearer(tenant.key),
    )
    assert configured.status_code == 200, configured.text
    body = configured.json()
    assert (body["id"], body["ocpp_status"]) == (seen["id"], seen["ocpp_status"])
    assert len(body["connectors"]) == 1


async def test_an_evse_with_sessions_or_the_last_one_is_not_deleted(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    for number in (1, 2, 3):
        await create(api, tenant, charger.id, number)
    await add_session(db, charger, 1)
    headers = bearer(tenant.key)
    used = await api.delete(url(charger.id, 1), headers=headers)
    assert (used.status_code, used.json()["code"]) == (409, "evse_in_use")
    assert (await api.delete(url(charger.id, 2), headers=headers)).status_code == 204
    assert (await api.get(url(charger.id, 2), headers=headers)).status_code == 404
    assert (await api.delete(url(charger.id, 2), headers=headers)).status_code == 404
    assert (await api.delete(url(charger.id, 3), headers=headers)).status_code == 204
    # EVSE 1 is now the last one (and has a session); a fresh charger's only EVSE:
    lone = await add_charger(db, tenant.id)
    await create(api, tenant, lone.id, 1)
    last = await api.delete(url(lone.id, 1), headers=headers)
    assert (last.status_code, last.json()["code"]) == (409, "last_evse")
    assert [
        e["number"] for e in (await api.get(url(charger.id), headers=headers)).json()["data"]
    ] == [1]


async def test_another_organizations_charger_is_a_404_and_basic_keys_cannot_write(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    evse = await create(api, tenant, charger.id, 1)
    other = await factories.api_key(
        db, organization=factories.unique("org"), scopes=("basic", "sensitive", "full")
    )
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", url(charger.id), None),
        ("GET", url(charger.id, 1), None),
        ("POST", url(charger.id), {"number": 2, "connectors": [T2]}),
        ("PUT", url(charger.id, 1), {"connectors": [T2], "etag": evse["etag"]}),
        ("PATCH", url(charger.id, 1), {"name": "x"}),
        ("DELETE", url(charger.id, 1), None),
    ]
    for method, target, body in requests:
        response = await api.request(method, target, json=body, headers=bearer(other))
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), method
    nowhere = await api.get(url(10**9), headers=bearer(tenant.key))
    assert nowhere.status_code == 404
    reader = await factories.api_key(db, organization=tenant.name, scopes=("basic",))
    for method, target, body in requests:
        response = await api.request(method, target, json=body, headers=bearer(reader))
        if method == "GET":
            assert response.status_code == 200
        else:
            assert (response.status_code, response.json()["code"]) == (
                403,
                "insufficient_scope",
            ), method
    assert (await api.get(url(charger.id, 1), headers=bearer(tenant.key))).json() == evse


# --- apply_layout -------------------------------------------------------------------------


async def test_apply_layout_keeps_reported_evses_and_replaces_their_connectors(
    db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    await report_status(db, charger.id, 1, "Charging")
    await report_status(db, charger.id, 3, "Available")
    before_1, _before_3 = await evses_of(db, charger.id)
    async with db.unit_of_work() as session:
        await apply_layout(
            session,
            charger.id,
            [spec(1, CCS2, name="Port 1", max_power_kw=150), spec(2, T2, T2 | {"number": 2})],
            now=factories.now(),
        )
    evse_1, evse_2 = await evses_of(db, charger.id)  # EVSE 3 (no sessions) is gone
    assert (evse_1.id, evse_1.status, evse_1.error_code) == (before_1.id, "Charging", "NoError")
    assert (evse_1.name, evse_1.max_power_kw) == ("Port 1", 150)
    assert evse_1.etag != before_1.etag
    assert [(c.number, c.standard, c.max_power_kw) for c in evse_1.connectors] == [
        (1, "IEC_62196_T2_COMBO", 150)
    ]
    assert (evse_2.number, evse_2.status) == (2, None)
    assert [c.number for c in evse_2.connectors] == [1, 2]

    # Applied again with other connectors: rows kept, connectors replaced (not appended).
    async with db.unit_of_work() as session:
        await apply_layout(session, charger.id, [spec(1, T2), spec(2, T2)], now=factories.now())
    again_1, again_2 = await evses_of(db, charger.id)
    assert (again_1.id, again_2.id) == (evse_1.id, evse_2.id)
    assert (again_1.name, again_1.status) == (None, "Charging")
    assert [c.standard for c in again_1.connectors + again_2.connectors] == ["IEC_62196_T2"] * 2


async def test_apply_layout_refreshes_a_charger_loaded_in_the_session(
    db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    async with db.unit_of_work() as session:
        await apply_layout(session, charger.id, [spec(1), spec(2)], now=factories.now())
    async with db.unit_of_work() as session:
        loaded = (
            await session.scalars(
                select(Charger)
                .where(Charger.id == charger.id)
                .options(selectinload(Charger.evses).selectinload(Evse.connectors))
            )
        ).one()
        assert [e.number for e in loaded.evses] == [1, 2]
        await apply_layout(session, charger.id, [spec(2, CCS2), spec(4)], now=factories.now())
        assert [e.number for e in loaded.evses] == [2, 4]
        assert [c.standard for c in loaded.evses[0].connectors] == ["IEC_62196_T2_COMBO"]


async def test_apply_layout_refuses_to_delete_an_evse_with_sessions(
    db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id)
    async with db.unit_of_work() as session:
        await apply_layout(session, charger.id, [spec(1), spec(2)], now=factories.now())
    await add_session(db, charger, 2)
    before = await evses_of(db, charger.id)
    with pytest.raises(Conflict) as refused:
        async with db.unit_of_work() as session:
            await apply_layout(session, charger.id, [spec(1, CCS2)], now=factories.now())
    assert (refused.value.status, refused.value.code) == (409, "evse_in_use")
    after = await evses_of(db, charger.id)
    assert [(e.id, e.etag, [c.standard for c in e.connectors]) for e in after] == [
        (e.id, e.etag, [c.standard for c in e.connectors]) for e in before
    ]
    # Keeping EVSE 2 is fine.
    async with db.unit_of_work() as session:
        await apply_layout(session, charger.id, [spec(2, CCS2)], now=factories.now())
    assert [e.number for e in await evses_of(db, charger.id)] == [2]


async def test_apply_layout_needs_evses_with_unique_numbers(db: Database, tenant: Tenant) -> None:
    charger = await add_charger(db, tenant.id)
    for evses, code in (([], "evses_required"), ([spec(1), spec(1)], "duplicate_evse")):
        with pytest.raises(InvalidRequest) as refused:
            async with db.unit_of_work() as session:
                await apply_layout(session, charger.id, evses, now=factories.now())
        assert refused.value.code == code
