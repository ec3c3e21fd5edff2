"""A charger's whole day over a real WebSocket: boot → status → authorize → start → meter
values → stop, with the REST API showing exactly that state after each step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from chargeplane.db import Database
from chargeplane.db.models import Charger, ChargingSession, MeterReading
from chargeplane.simulator import Sample, Station, StationConfig
from tests.conftest import Tenant
from tests.e2e.helpers import charger_by_ocpp_id, eventually, evse, iso, parse
from tests.support import factories
from tests.support.server import RunningServer

T0 = datetime(2025, 1, 1, 11, 30, tzinfo=UTC)


def station(server: RunningServer, **overrides: object) -> Station:
    config = StationConfig(
        ocpp_id=factories.unique("CP"),
        vendor="ABB",
        model="Terra 184",
        serial_number="1234-5678",
        charge_box_serial_number="CB-1",
        firmware_version="1.5.4.4",
        iccid="8945232341876536",
        imsi="23802623232653",
        meter_type="AC meter",
        meter_serial_number="M-77",
        **overrides,  # type: ignore[arg-type]
    )
    return Station(config, server.ocpp)


async def test_session_lifecycle_is_served_as_sent(
    server: RunningServer, api: httpx.AsyncClient, db: Database, default_tenant: Tenant
) -> None:
    customer_id = await factories.customer(db, organization_id=default_tenant.id)
    tag = factories.unique("tag")
    token_id = await factories.id_token(
        db, organization_id=default_tenant.id, value=tag, customer_id=customer_id
    )
    vehicle_id = await factories.vehicle(
        db, organization_id=default_tenant.id, id_token_id=token_id, customer_id=customer_id
    )
    key = default_tenant.key

    async with station(server) as cp:
        ocpp_id = cp.config.ocpp_id
        before = datetime.now(UTC)
        boot = await cp.boot()
        assert boot["status"] == "Accepted"
        assert boot["interval"] == 120
        assert before - timedelta(seconds=1) <= parse(boot["currentTime"]) <= datetime.now(UTC)

        charger = await charger_by_ocpp_id(api, key, ocpp_id)
        assert charger["boot"] | {"last_boot_at": None} == {
            "vendor": "ABB",
            "model": "Terra 184",
            "serial_number": "1234-5678",
            "charge_box_serial_number": "CB-1",
            "firmware_version": "1.5.4.4",
            "iccid": "8945232341876536",
            "imsi": "23802623232653",
            "meter_type": "AC meter",
            "meter_serial_number": "M-77",
            "last_boot_at": None,
        }
        connection = charger["connection"]
        assert connection["status"] == "Connected"
        assert connection["protocol"] == "ocpp1.6"
        assert connection["client_ip"] == "127.0.0.1"
        assert connection["node_name"] == "test-node"
        assert connection["heartbeat_interval"] == 120
        assert connection["last_disconnected_at"] is None
        assert before - timedelta(seconds=1) <= parse(connection["last_connected_at"])
        assert charger["ocpp_status"] is None
        assert charger["evses"] == []

        # Status: the charger itself (connectorId 0) and two EVSEs, created on first sight.
        await cp.status(0, "Available", timestamp=T0)
        await cp.status(1, "Available", timestamp=T0)
        await cp.status(
            2,
            "Preparing",
            error_code="OtherError",
            info="cable check",
            vendor_id="ABB",
            vendor_error_code="E42",
            timestamp=T0,
        )
        charger = await charger_by_ocpp_id(api, key, ocpp_id)
        assert charger["ocpp_status"]["status"] == "Available"
        assert charger["ocpp_status"]["timestamp"] == iso(T0)
        assert [e["number"] for e in charger["evses"]] == [1, 2]
        status2 = evse(charger, 2)["ocpp_status"]
        assert status2 | {"received_at": None} == {
            "status": "Preparing",
            "error_code": "OtherError",
            "vendor_id": "ABB",
            "vendor_error_code": "E42",
            "info": "cable check",
            "timestamp": iso(T0),
            "received_at": None,
        }

        # Authorize.
        assert await cp.authorize(tag) == {"idTagInfo": {"status": "Accepted"}}
        assert await cp.authorize("nobody") == {"idTagInfo": {"status": "Invalid"}}
        # OCPP id tags are case-insensitive (CiString20Type).
        assert await cp.authorize(tag.upper()) == {"idTagInfo": {"status": "Accepted"}}

        # Start on EVSE 2.
        started = await cp.start_transaction(2, tag, meter_start=1000, timestamp=T0)
        assert started["idTagInfo"] == {"status": "Accepted"}
        transaction_id = started["transactionId"]
        assert isinstance(transaction_id, int)
        await cp.status(2, "Charging", timestamp=T0 + timedelta(seconds=1))
        charger = await charger_by_ocpp_id(api, key, ocpp_id)
        assert evse(charger, 1)["current_session"] is None
        session = evse(charger, 2)["current_session"]
        assert evse(charger, 2)["ocpp_status"]["status"] == "Charging"
        assert session == {
            "id": transaction_id,
            "transaction_id": transaction_id,
            "state": "active",
            "evse_number": 2,
            "id_tag": tag,
            "auth_status": "Accepted",
            "started_at": iso(T0),
            "meter_start_wh": 1000,
            "soc_start_percent": None,
            "energy_delivered_kwh": 0.0,
            "latest_readings": {
                "power_kw": None,
                "current_a": None,
                "voltage_v": None,
                "soc_percent": None,
                "energy_register_wh": None,
            },
            "rfid": {"id": token_id, "name": "Employee Card", "value": tag},
            "customer": {"id": customer_id, "name": "Test Customer"},
            "vehicle": {
                "id": vehicle_id,
                "make": "Tesla",
                "model": "Model 3",
                "name": "9876",
                "vin": "demo-vin-0",
            },
            "flags": [],
        }

        # Meter values: begin sample with SoC 20 %, then a periodic one.
        t1 = T0 + timedelta(seconds=5)
        t2 = T0 + timedelta(minutes=15)
        await cp.meter_values(
            2,
            [Sample(20, "SoC", "Percent", context="Transaction.Begin")],
            timestamp=t1,
            transaction_id=transaction_id,
        )
        await cp.meter_values(
            2,
            [
                Sample(50000, "Power.Active.Import", "W"),
                Sample(100, "Current.Import", "A"),
                Sample(400, "Voltage", "V"),
                Sample(35, "SoC", "Percent"),
                Sample("11.5", unit="kWh"),
            ],
            timestamp=t2,
            transaction_id=transaction_id,
        )
        charger = await charger_by_ocpp_id(api, key, ocpp_id)
        session = evse(charger, 2)["current_session"]
        assert session["soc_start_percent"] == 20
        assert session["energy_delivered_kwh"] == 10.5
        assert session["latest_readings"] == {
            "power_kw": {"value": 50.0, "timestamp": iso(t2)},
            "current_a": {"value": 100.0, "timestamp": iso(t2)},
            "voltage_v": {"value": 400.0, "timestamp": iso(t2)},
            "soc_percent": {"value": 35.0, "timestamp": iso(t2)},
            "energy_register_wh": {"value": 11500.0, "timestamp": iso(t2)},
        }

        # Stop with transaction data: the session leaves the EVSE.
        t3 = T0 + timedelta(minutes=20)
        stopped = await cp.stop_transaction(
            transaction_id,
            meter_stop=13000,
            timestamp=t3,
            id_tag=tag,
            reason="EVDisconnected",
            transaction_data=[(t3, [Sample(13000, unit="Wh"), Sample(41, "SoC", "Percent")])],
        )
        assert stopped == {"idTagInfo": {"status": "Accepted"}}
        await cp.status(2, "Available", timestamp=t3)
        charger = await charger_by_ocpp_id(api, key, ocpp_id)
        assert evse(charger, 2)["current_session"] is None
        assert evse(charger, 2)["ocpp_status"]["status"] == "Available"

    async with db.reader() as s:
        row = await s.get(ChargingSession, transaction_id)
        assert row is not None
        assert (row.state, row.stop_reason, row.meter_stop, row.stop_id_tag) == (
            "completed",
            "EVDisconnected",
            13000,
            tag,
        )
        assert row.stopped_at == t3
        assert row.energy_delivered_kwh == 12.0
        assert (row.soc_percent, row.soc_start_percent) == (41.0, 20.0)
        readings = await s.scalar(
            select(func.count())
            .select_from(MeterReading)
            .where(MeterReading.session_id == transaction_id)
        )
        assert readings == 1 + 5 + 2

    async def disconnected() -> bool:
        seen = await charger_by_ocpp_id(api, key, ocpp_id)
        return bool(seen["connection"]["status"] == "Disconnected")

    await eventually(disconnected, timeout=5)
    charger = await charger_by_ocpp_id(api, key, ocpp_id)
    assert charger["connection"]["last_disconnected_at"] is not None


async def test_retried_start_transaction_yields_one_session(
    server: RunningServer, api: httpx.AsyncClient, db: Database, default_tenant: Tenant
) -> None:
    async with station(server) as cp:
        await cp.boot()
        first = await cp.start_transaction(1, "retry-tag", meter_start=500, timestamp=T0)
        again = await cp.start_transaction(1, "retry-tag", meter_start=500, timestamp=T0)
    # The charger reconnects (its answer was lost) and sends the same start once more.
    async with Station(cp.config, server.ocpp) as cp2:
        third = await cp2.start_transaction(1, "retry-tag", meter_start=500, timestamp=T0)
    assert first["transactionId"] == again["transactionId"] == third["transactionId"]

    async with db.reader() as s:
        count = await s.scalar(
            select(func.count())
            .select_from(ChargingSession)
            .join(Charger, Charger.id == ChargingSession.charger_id)
            .where(Charger.ocpp_id == cp.config.ocpp_id)
        )
    assert count == 1
    charger = await charger_by_ocpp_id(api, default_tenant.key, cp.config.ocpp_id)
    assert evse(charger, 1)["current_session"]["id"] == first["transactionId"]


async def test_a_new_start_on_a_busy_evse_supersedes_the_lost_one(
    server: RunningServer, api: httpx.AsyncClient, default_tenant: Tenant
) -> None:
    async with station(server) as cp:
        first = await cp.start_transaction(1, "a", meter_start=0, timestamp=T0)
        second = await cp.start_transaction(
            1, "b", meter_start=9000, timestamp=T0 + timedelta(hours=1)
        )
        assert second["transactionId"] != first["transactionId"]
        charger = await charger_by_ocpp_id(api, default_tenant.key, cp.config.ocpp_id)
    assert evse(charger, 1)["current_session"]["id"] == second["transactionId"]


@pytest.mark.parametrize(
    ("status", "expires_in", "expected"),
    [
        ("Accepted", None, "Accepted"),
        ("Blocked", None, "Blocked"),
        ("Accepted", timedelta(days=-1), "Expired"),
        ("Expired", None, "Expired"),
        ("Invalid", None, "Invalid"),
    ],
)
async def test_id_tags_are_checked_against_stored_tokens(
    server: RunningServer,
    db: Database,
    default_tenant: Tenant,
    status: str,
    expires_in: timedelta | None,
    expected: str,
) -> None:
    tag = factories.unique("t")[:20]
    expires_at = datetime.now(UTC) + expires_in if expires_in else None
    await factories.id_token(
        db,
        organization_id=default_tenant.id,
        value=tag,
        status=status,
        expires_at=expires_at,
        parent_id_tag="PARENT",
    )
    async with station(server) as cp:
        authorized = await cp.authorize(tag)
        started = await cp.start_transaction(1, tag, meter_start=0, timestamp=T0)
    assert authorized["idTagInfo"]["status"] == expected
    assert authorized["idTagInfo"]["parentIdTag"] == "PARENT"
    # A refused tag still gets its transaction recorded: the charger decides to stop it.
    assert started["idTagInfo"]["status"] == expected
    assert isinstance(started["transactionId"], int)


async def test_stop_for_an_unknown_transaction_is_answered_and_kept(
    server: RunningServer, db: Database
) -> None:
    async with station(server) as cp:
        answer = await cp.stop_transaction(
            987654321,
            meter_stop=100,
            timestamp=T0,
            transaction_data=[(T0, [Sample(100, unit="Wh")])],
        )
    assert answer == {}

    async with db.reader() as s:
        rows = (
            await s.scalars(select(MeterReading).where(MeterReading.transaction_id == 987654321))
        ).all()
    assert [(r.session_id, r.value, r.source) for r in rows] == [(None, 100.0, "stop_transaction")]


async def test_suspect_data_is_flagged_not_rejected(
    server: RunningServer, api: httpx.AsyncClient, db: Database, default_tenant: Tenant
) -> None:
    async with station(server) as cp:
        started = await cp.start_transaction(1, "x", meter_start=5000, timestamp=T0)
        transaction_id = started["transactionId"]
        answer = await cp.stop_transaction(
            transaction_id, meter_stop=4000, timestamp=T0 - timedelta(minutes=1)
        )
    assert answer == {}

    async with db.reader() as s:
        row = await s.get(ChargingSession, transaction_id)
    assert row is not None
    assert row.state == "completed"
    assert row.flags == ["meter_stop_below_start", "stop_before_start"]
    assert row.energy_delivered_kwh == 0.0


async def test_transaction_ids_we_never_issued_are_unknown_not_errors(
    server: RunningServer,
) -> None:
    async with station(server) as cp:
        assert (
            await cp.meter_values(1, [Sample(1, unit="Wh")], timestamp=T0, transaction_id=2**40)
            == {}
        )
        assert await cp.stop_transaction(2**40, meter_stop=5, timestamp=T0) == {}


async def test_meter_values_for_an_unknown_transaction_are_kept_unattached(
    server: RunningServer, db: Database
) -> None:
    async with station(server) as cp:
        answer = await cp.meter_values(
            1, [Sample(7, "Current.Import", "A")], timestamp=T0, transaction_id=55555555
        )
    assert answer == {}

    async with db.reader() as s:
        rows = (
            await s.scalars(select(MeterReading).where(MeterReading.transaction_id == 55555555))
        ).all()
    assert [(r.session_id, r.measurand, r.value) for r in rows] == [(None, "Current.Import", 7.0)]


async def test_meter_values_reach_their_session_on_every_connection(
    server: RunningServer, api: httpx.AsyncClient, db: Database, default_tenant: Tenant
) -> None:
    """The gateway remembers the sessions a connection started or found, and queues their
    latest readings with the batch's appended rows: on the connection that started the
    session, on a new one (the session is looked up, then remembered), and never for a
    transaction of another charger, however often it is sent."""
    async with station(server) as cp:
        await cp.boot()
        started = await cp.start_transaction(1, "mv-tag", meter_start=0, timestamp=T0)
        tx = started["transactionId"]
        await cp.meter_values(1, [Sample(1000, unit="Wh")], timestamp=T0, transaction_id=tx)
    async with Station(cp.config, server.ocpp) as again:
        for minutes in (1, 2):
            at = T0 + timedelta(minutes=minutes)
            await again.meter_values(
                1, [Sample(1000 + minutes, unit="Wh")], timestamp=at, transaction_id=tx
            )
    async with station(server) as stranger:
        await stranger.boot()
        for _ in range(2):
            await stranger.meter_values(
                1, [Sample(99, unit="Wh")], timestamp=T0 + timedelta(hours=1), transaction_id=tx
            )

    charger = await charger_by_ocpp_id(api, default_tenant.key, cp.config.ocpp_id)
    latest = evse(charger, 1)["current_session"]["latest_readings"]
    assert latest["energy_register_wh"] == {
        "value": 1002.0,
        "timestamp": iso(T0 + timedelta(minutes=2)),
    }
    async with db.reader() as s:
        rows = (
            await s.execute(
                select(MeterReading.session_id, MeterReading.value, Charger.ocpp_id)
                .join(Charger, Charger.id == MeterReading.charger_id)
                .where(MeterReading.transaction_id == tx)
                .order_by(MeterReading.id)
            )
        ).all()
    ours, theirs = cp.config.ocpp_id, stranger.config.ocpp_id
    assert [tuple(r) for r in rows] == [
        (tx, 1000.0, ours),
        (tx, 1001.0, ours),
        (tx, 1002.0, ours),
        (None, 99.0, theirs),
        (None, 99.0, theirs),
    ]
