"""Offline periods: what a charger says meanwhile is queued and replayed in order on
reconnect, with its original timestamps; heartbeats are not queued."""

from __future__ import annotations

import itertools
from datetime import datetime

from chargeplane.simulator import Delivery, Fleet, Scenario
from chargeplane.simulator._wire import format_datetime
from tests.unit.simulator.conftest import FakeCSMS

BASE = """
[fleet]
chargers = 1
id_prefix = "Q-"
speed = {speed}
duration = "{duration}"

[[models]]
evses = 1
meter_interval = "20s"
heartbeat_interval = "10s"

[sessions]
at = ["{arrival}"]
duration = "{stay}"
start_soc = 20
battery_kwh = 60
max_power_kw = 50

[rfid]
tags = ["TAG-1"]

[offline]
periods = [{{ at = "{offline_at}", duration = "60s" }}]
"""


def scenario(
    *,
    offline_at: str,
    arrival: str = "10s",
    stay: str = "3m",
    duration: str = "5m",
    speed: int = 200,
) -> Scenario:
    return Scenario.from_toml(
        BASE.format(
            offline_at=offline_at, arrival=arrival, stay=stay, duration=duration, speed=speed
        )
    )


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_meter_values_made_offline_are_replayed_in_order_with_their_timestamps(
    csms: FakeCSMS,
) -> None:
    deliveries: list[Delivery] = []
    fleet = Fleet(scenario(offline_at="35s"), csms.url, observer=deliveries.append)
    stats = await fleet.run()

    assert csms.connections == {"Q-001": 2}
    assert (stats.offline_periods, stats.reconnects, stats.transport_errors) == (1, 1, 0)
    replayed = [d for d in deliveries if d.replayed]
    assert [d.action for d in replayed] == ["MeterValues"] * 3
    assert stats.queued == stats.replayed == 3
    assert stats.dropped == 0

    # The replayed messages are the first CALLs of the new connection, in the order made,
    # each with the timestamp it was made with — a meter interval apart, not the replay time.
    second = csms.of("Q-001")
    second = [c for c in second if c.connection == 2]
    assert [c.action for c in second[:3]] == ["MeterValues"] * 3
    stamps = [parse(c.payload["meterValue"][0]["timestamp"]) for c in second[:3]]
    assert [format_datetime(d.timestamp) for d in replayed if d.timestamp] == [
        c.payload["meterValue"][0]["timestamp"] for c in second[:3]
    ]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    assert all(15 <= gap <= 25 for gap in gaps), gaps
    for delivery in replayed:
        assert delivery.timestamp == delivery.created_at
        assert (delivery.sent_at - delivery.created_at).total_seconds() > 5

    # The queued MeterValues belong to the transaction started before the outage.
    (start,) = csms.of("Q-001", "StartTransaction")
    assert start.connection == 1
    assert {c.payload["transactionId"] for c in second[:3]} == {101}

    # Heartbeats were neither sent nor queued while offline.
    assert not [d for d in deliveries if d.action == "Heartbeat" and d.replayed]
    first_heartbeat = next(i for i, c in enumerate(second) if c.action == "Heartbeat")
    assert first_heartbeat >= 3


async def test_a_session_started_offline_is_replayed_start_first(csms: FakeCSMS) -> None:
    deliveries: list[Delivery] = []
    fleet = Fleet(
        scenario(offline_at="5s", arrival="15s", stay="2m", duration="3m", speed=100),
        csms.url,
        observer=deliveries.append,
    )
    stats = await fleet.run()

    second = [c for c in csms.of("Q-001") if c.connection == 2]
    actions = [c.action for c in second[:5]]
    # Preparing, start, Charging and the meter values taken until the reconnect (65 s).
    # (Booting takes a few simulated seconds: the outage starts before the session does.)
    assert actions == [
        "StatusNotification",
        "StartTransaction",
        "StatusNotification",
        "MeterValues",
        "MeterValues",
    ]
    assert [second[0].payload["status"], second[2].payload["status"]] == ["Preparing", "Charging"]
    assert csms.of("Q-001", "Authorize") == []  # authorized locally while offline
    start = second[1]
    started = parse(start.payload["timestamp"])
    assert parse(second[0].payload["timestamp"]) <= started <= parse(second[2].payload["timestamp"])
    assert all(c.payload["transactionId"] == 101 for c in csms.of("Q-001", "MeterValues"))
    (stop,) = csms.of("Q-001", "StopTransaction")
    assert stop.payload["transactionId"] == 101
    assert stop.payload["reason"] == "EVDisconnected"
    assert (parse(stop.payload["timestamp"]) - started).total_seconds() >= 119
    (start_delivery,) = [d for d in deliveries if d.action == "StartTransaction"]
    assert start_delivery.replayed
    assert start_delivery.transaction_id == 101
    assert format_datetime(start_delivery.timestamp or started) == start.payload["timestamp"]
    assert stats.sessions_started == stats.sessions_stopped == 1
    assert stats.queued == stats.replayed == 5
