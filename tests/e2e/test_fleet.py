"""A simulated fleet against a real chargeplane server: sessions and meter readings arrive,
and messages queued during an offline period are stored with their original timestamps."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from chargeplane.db import Database
from chargeplane.db.models import Charger, ChargingSession, MeterReading
from chargeplane.simulator import Delivery, Fleet, Scenario
from tests.conftest import Tenant
from tests.e2e.helpers import charger_by_ocpp_id, eventually, parse
from tests.support import factories
from tests.support.server import RunningServer

SCENARIO = """
[fleet]
chargers = 3
id_prefix = "{prefix}"
speed = 60
duration = "4m"
start = {start}

[[models]]
vendor = "ABB"
model = "Terra 54"
evses = 1
connector = "CCS2"
max_power_kw = 50
meter_interval = "15s"

[sessions]
at = ["30s"]
duration = "3m"
start_soc = [20, 40]
battery_kwh = 60
max_power_kw = 100

[rfid]
tags = {tags}

[offline]   # charger 1 is offline when its vehicle arrives, and for a while after
periods = [{{ at = "15s", duration = "90s", chargers = [1] }}]
"""


def ms(moment: datetime) -> datetime:
    """As sent on the wire (millisecond precision)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def test_fleet_sessions_readings_and_replayed_timestamps(
    server: RunningServer, api: httpx.AsyncClient, db: Database, default_tenant: Tenant
) -> None:
    tags = [factories.unique("fl") for _ in range(3)]
    for tag in tags:
        await factories.id_token(db, organization_id=default_tenant.id, value=tag)
    prefix = factories.unique("FLEET") + "-"
    # Simulated time ends before now, so no timestamp is in the server's future.
    start = (datetime.now(UTC) - timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    scenario = Scenario.from_toml(
        SCENARIO.format(prefix=prefix, start=start, tags=str(tags).replace("'", '"'))
    )
    ids = [scenario.ocpp_id(n) for n in (1, 2, 3)]
    deliveries: list[Delivery] = []
    fleet = Fleet(scenario, server.ocpp, observer=deliveries.append)
    run = asyncio.create_task(fleet.run())

    # While it runs: every charger shows a session with live readings (REST).
    chargers: dict[str, dict[str, Any]] = {}

    async def all_charging() -> bool:
        for ocpp_id in ids:
            response = await api.get(
                f"/api/v1/chargers/by-ocpp-id/{ocpp_id}",
                headers={"Authorization": f"Bearer {default_tenant.key}"},
            )
            if response.status_code != 200:
                return False
            evses = response.json()["evses"]
            session = evses[0]["current_session"] if evses else None
            if session is None or session["latest_readings"]["power_kw"] is None:
                return False
            chargers[ocpp_id] = response.json()
        return True

    await eventually(all_charging, timeout=15, interval=0.1)
    stats = await asyncio.wait_for(run, 30)

    for ocpp_id in ids:
        charger = chargers[ocpp_id]
        assert charger["boot"]["model"] == "Terra 54"
        session = charger["evses"][0]["current_session"]
        assert session["state"] == "active"
        assert session["auth_status"] == "Accepted"
        assert session["id_tag"] in tags
        assert session["latest_readings"]["soc_percent"]["value"] >= 20
        assert session["latest_readings"]["energy_register_wh"] is not None

    # Charger 1's start was made offline and replayed: the API shows its original time.
    (start_made_offline,) = [
        d for d in deliveries if d.ocpp_id == ids[0] and d.action == "StartTransaction"
    ]
    assert start_made_offline.replayed
    assert start_made_offline.timestamp is not None
    offline_session = chargers[ids[0]]["evses"][0]["current_session"]
    assert parse(offline_session["started_at"]) == ms(start_made_offline.timestamp)
    assert (start_made_offline.sent_at - start_made_offline.timestamp).total_seconds() > 30

    assert stats.sessions_started == stats.sessions_stopped == 3
    assert stats.errors == stats.dropped == 0
    assert stats.replayed == stats.queued > 3
    after = await charger_by_ocpp_id(api, default_tenant.key, ids[0])
    assert after["connection"]["last_disconnected_at"] is not None

    # In the store: three completed sessions with their readings; the replayed meter values
    # have the timestamps they were taken at.
    async with db.reader() as session:
        rows = (
            await session.execute(
                select(Charger.ocpp_id, ChargingSession)
                .join(ChargingSession, ChargingSession.charger_id == Charger.id)
                .where(Charger.ocpp_id.in_(ids))
            )
        ).all()
        assert sorted(ocpp_id for ocpp_id, _ in rows) == ids
        for _, stored in rows:
            assert stored.state == "completed"
            assert stored.stop_reason in ("Local", "EVDisconnected")
            assert stored.meter_stop is not None
            assert stored.meter_stop > stored.meter_start
            assert stored.flags == []
        charger_id = (
            await session.scalars(select(Charger.id).where(Charger.ocpp_id == ids[0]))
        ).one()
        stamps = set(
            (
                await session.scalars(
                    select(MeterReading.timestamp).where(
                        MeterReading.charger_id == charger_id,
                        MeterReading.measurand == "Energy.Active.Import.Register",
                    )
                )
            ).all()
        )
    replayed = [
        d.timestamp
        for d in deliveries
        if d.ocpp_id == ids[0] and d.action == "MeterValues" and d.replayed and d.timestamp
    ]
    assert len(replayed) >= 3
    assert {ms(t) for t in replayed} <= {s.astimezone(UTC) for s in stamps}
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(replayed)]
    assert all(10 <= gap <= 20 for gap in gaps), gaps  # a meter interval apart
