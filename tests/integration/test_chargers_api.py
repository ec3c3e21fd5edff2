"""The charger read API on a real database: lookups, pagination, authentication, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import Pool

from chargeplane.chargers import snapshot
from chargeplane.chargers.repository import ChargerRepository
from chargeplane.crypto import Sealer
from chargeplane.db import Database
from chargeplane.db.models import (
    ApiKey,
    Charger,
    ChargingSession,
    Connector,
    Evse,
    HardwareTemplate,
    Site,
)
from chargeplane.db.prepared import Prepared
from tests.conftest import SECRET_KEY, Tenant
from tests.support import factories
from tests.support.loop import counting_turns


async def add_charger(db: Database, organization_id: int, **values: object) -> Charger:
    now = factories.now()
    charger = Charger(
        uuid=factories.unique("uuid"),
        organization_id=organization_id,
        ocpp_id=factories.unique("CP"),
        connection_seq=0,
        created_at=now,
        updated_at=now,
        **values,
    )
    async with db.unit_of_work() as session:
        session.add(charger)
    return charger


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_charger_is_found_by_each_of_its_ids(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    charger = await add_charger(db, tenant.id, external_id="STATION-001", name="Test Charger")
    paths = [
        f"/api/v1/chargers/{charger.id}",
        f"/api/v1/chargers/by-ocpp-id/{charger.ocpp_id}",
        "/api/v1/chargers/by-external-id/STATION-001",
        f"/api/v1/chargers/by-uuid/{charger.uuid}",
    ]
    for path in paths:
        response = await api.get(path, headers=bearer(tenant.key))
        assert response.status_code == 200, path
        body = response.json()
        assert (body["id"], body["uuid"], body["ocpp_id"], body["external_id"], body["name"]) == (
            charger.id,
            charger.uuid,
            charger.ocpp_id,
            "STATION-001",
            "Test Charger",
        )
        assert body["connection"]["status"] is None  # never connected
        assert body["organization_id"] == tenant.id


async def test_a_get_reads_its_key_and_its_charger_on_one_connection(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    """The API key is read in the request's read session (``ReadingPrincipal``), not in one
    of its own: one pool checkout per GET, not two."""
    charger = await add_charger(db, tenant.id)
    await api.get(f"/api/v1/chargers/{charger.id}", headers=bearer(tenant.key))  # warm
    checkouts: list[object] = []

    def count(*args: object) -> None:
        checkouts.append(args[0])

    event.listen(Pool, "checkout", count)
    try:
        response = await api.get(f"/api/v1/chargers/{charger.id}", headers=bearer(tenant.key))
    finally:
        event.remove(Pool, "checkout", count)
    assert response.status_code == 200
    assert len(checkouts) == 1


async def test_another_organizations_charger_is_a_404(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    other = await factories.organization(db)
    charger = await add_charger(db, other, external_id="THEIRS")
    for path in (
        f"/api/v1/chargers/{charger.id}",
        f"/api/v1/chargers/by-ocpp-id/{charger.ocpp_id}",
        "/api/v1/chargers/by-external-id/THEIRS",
        f"/api/v1/chargers/by-uuid/{charger.uuid}",
    ):
        response = await api.get(path, headers=bearer(tenant.key))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    listed = await api.get("/api/v1/chargers", headers=bearer(tenant.key))
    assert charger.id not in [c["id"] for c in listed.json()["data"]]


async def test_the_list_pages_through_every_charger_once_in_a_stable_order(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    created = [(await add_charger(db, tenant.id)).id for _ in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await api.get("/api/v1/chargers", params=params, headers=bearer(tenant.key))
        assert response.status_code == 200
        page = response.json()
        assert len(page["data"]) <= 2
        seen += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created


async def test_a_malformed_cursor_or_limit_is_a_4xx_naming_the_field(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    bad_cursor = await api.get(
        "/api/v1/chargers", params={"cursor": "%%%"}, headers=bearer(tenant.key)
    )
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["fields"][0]["field"] == "cursor"
    bad_limit = await api.get("/api/v1/chargers", params={"limit": 0}, headers=bearer(tenant.key))
    assert bad_limit.status_code == 422
    assert bad_limit.json()["code"] == "validation_error"
    assert bad_limit.json()["fields"][0]["field"] == "query.limit"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer cp_000000000000_xxxxxxxx"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
async def test_requests_without_a_valid_key_are_401(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await api.get("/api/v1/chargers", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_key_with_a_right_prefix_and_a_wrong_secret_is_401(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    forged = tenant.key[:-4] + ("AAAA" if not tenant.key.endswith("AAAA") else "BBBB")
    response = await api.get("/api/v1/chargers", headers=bearer(forged))
    assert response.status_code == 401


async def test_expired_and_revoked_keys_are_401(
    api: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    expired = await factories.api_key(
        db, organization=tenant.name, expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    response = await api.get("/api/v1/chargers", headers=bearer(expired))
    assert (response.status_code, response.json()["detail"]) == (401, "API key expired")

    revoked = await factories.api_key(db, organization=tenant.name)
    async with db.unit_of_work() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.prefix == revoked.split("_")[1])
            .values(revoked_at=datetime.now(UTC))
        )
    response = await api.get("/api/v1/chargers", headers=bearer(revoked))
    assert (response.status_code, response.json()["detail"]) == (401, "API key revoked")


async def test_keys_are_stored_only_as_hashes(db: Database, tenant: Tenant) -> None:
    from sqlalchemy import select

    async with db.reader() as session:
        stored = (
            await session.scalars(select(ApiKey).where(ApiKey.prefix == tenant.key.split("_")[1]))
        ).one()
    secret = tenant.key.split("_", 2)[2]
    assert secret not in stored.secret_hash
    assert len(stored.secret_hash) == 64


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_long_page_of_snapshots_lets_the_event_loop_turn(
    db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite nothing in building a page waits (reads run inline), so a long page would
    hold the event loop, and every charger's socket, for its whole time. It gives the loop a
    turn after each slice of building (here a slice of 0 s: after every charger)."""
    monkeypatch.setattr(snapshot, "_TIME_SLICE", 0.0)
    for _ in range(4):
        await add_charger(db, tenant.id)
    async with counting_turns() as turns, db.reader() as session:
        rows, _ = await ChargerRepository(session).list(tenant.id, after_id=None, limit=50)
        before = turns.count
        built = await snapshot.snapshots(session, rows, Sealer(SECRET_KEY))
        assert turns.count - before >= len(rows) - 1
    assert [s.id for s in built] == [row.id for row in rows]
    assert len(rows) == 4


async def test_a_page_of_snapshots_is_read_in_three_statements_with_everything_it_refers_to(
    db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chargers with their site and template, EVSEs with their connectors (and one without
    any), and active sessions with their token, customer and vehicle: three statements for
    the page, each a join, whatever the page holds. Every statement is a round trip on
    PostgreSQL, and under OCPP load a turn of the event loop before the request goes on."""
    now = factories.now()
    customer_id = await factories.customer(db, organization_id=tenant.id, name="Fleet Ltd")
    token_value = factories.unique("tag")[:20]
    token_id = await factories.id_token(
        db, organization_id=tenant.id, value=token_value, name="Driver", customer_id=customer_id
    )
    vehicle_id = await factories.vehicle(
        db, organization_id=tenant.id, vin="VIN-123", customer_id=customer_id
    )
    async with db.unit_of_work() as session:
        site = Site(
            organization_id=tenant.id,
            name="Depot",
            address="1 Yard Rd",
            latitude=None,
            longitude=None,
            timezone="Europe/Amsterdam",
            created_at=now,
            updated_at=now,
        )
        template = HardwareTemplate(
            organization_id=tenant.id,
            vendor="Alfen",
            name="Eve Double",
            is_dc=False,
            layout=[],
            created_at=now,
            updated_at=now,
        )
        session.add_all([site, template])
        await session.flush()
        full = Charger(
            uuid=factories.unique("uuid"),
            organization_id=tenant.id,
            ocpp_id=factories.unique("CP"),
            connection_seq=0,
            site_id=site.id,
            hardware_template_id=template.id,
            created_at=now,
            updated_at=now,
        )
        session.add(full)
        await session.flush()
        first, second = (
            Evse(charger_id=full.id, number=n, status=s, created_at=now, updated_at=now)
            for n, s in ((1, "Charging"), (2, "Available"))
        )
        session.add_all([first, second])
        await session.flush()
        session.add_all(
            Connector(evse_id=first.id, number=n, standard=std, created_at=now, updated_at=now)
            for n, std in ((2, "IEC_62196_T2_COMBO"), (1, "IEC_62196_T2"))
        )
        session.add(
            ChargingSession(
                organization_id=tenant.id,
                charger_id=full.id,
                evse_id=first.id,
                evse_number=1,
                state="active",
                id_tag=token_value,
                auth_status="Accepted",
                id_token_id=token_id,
                customer_id=customer_id,
                vehicle_id=vehicle_id,
                started_at=now,
                meter_start=1000,
                received_at=now,
                updated_at=now,
            )
        )
    bare = await add_charger(db, tenant.id)

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    run = Prepared.run

    async def counted(self: Prepared, session: AsyncSession, params: Any) -> Any:
        statements.append(str(self.statement))
        return await run(self, session, params)

    async with db.reader() as session:
        rows, _ = await ChargerRepository(session).list(tenant.id, after_id=None, limit=50)
        event.listen(db.read_engine.sync_engine, "before_cursor_execute", count)
        monkeypatch.setattr(Prepared, "run", counted)
        try:
            built = await snapshot.snapshots(session, rows, Sealer(SECRET_KEY))
        finally:
            monkeypatch.undo()
            event.remove(db.read_engine.sync_engine, "before_cursor_execute", count)
    # Through the session or prepared; the chargers' own statement ran before: 3 in all.
    assert len(statements) == 2, statements

    by_id = {s.id: s for s in built}
    got = by_id[full.id]
    assert got.site is not None
    assert got.hardware_template is not None
    assert (got.site.id, got.site.name, got.site.address, got.timezone) == (
        site.id,
        "Depot",
        "1 Yard Rd",
        "Europe/Amsterdam",
    )
    assert (got.hardware_template.id, got.hardware_template.vendor) == (template.id, "Alfen")
    assert [e.number for e in got.evses] == [1, 2]
    assert [(c.number, c.standard) for c in got.evses[0].connectors] == [
        (1, "IEC_62196_T2"),
        (2, "IEC_62196_T2_COMBO"),
    ]
    assert got.evses[1].connectors == []
    assert got.evses[1].current_session is None
    current = got.evses[0].current_session
    assert current is not None
    assert current.rfid is not None
    assert current.customer is not None
    assert current.vehicle is not None
    assert (current.rfid.id, current.rfid.name, current.rfid.value) == (
        token_id,
        "Driver",
        token_value,
    )
    assert (current.customer.id, current.customer.name) == (customer_id, "Fleet Ltd")
    assert (current.vehicle.id, current.vehicle.vin) == (vehicle_id, "VIN-123")
    plain = by_id[bare.id]
    assert (plain.site, plain.hardware_template, plain.timezone, plain.evses) == (
        None,
        None,
        None,
        [],
    )
