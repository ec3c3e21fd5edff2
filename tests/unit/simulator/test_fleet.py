"""A fleet against a fake CSMS: boots, statuses, sessions, faults, the simulated clock,
reproducibility and a clean stop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from chargeplane.simulator import Fleet, Scenario, SimClock
from tests.unit.simulator.conftest import FakeCSMS

FLEET = """
[fleet]
chargers = 3
id_prefix = "F-"
seed = 5
speed = 1000
{duration}
start = 2030-01-01T00:00:00Z

[[models]]
weight = 2
vendor = "Alfen"
model = "Eve Double"
firmware = "6.4.0"
evses = 2
connector = "Type2"
max_power_kw = 22
meter_interval = "1m"

[[models]]
vendor = "ABB"
model = "Terra 184"
evses = 1
connector = "CCS2"
max_power_kw = 180
meter_interval = "1m"

[sessions]
mean_interval = "3m"
duration = ["5m", "10m"]
start_soc = [70, 90]

[rfid]
tags = ["A", "B"]
{extra}
"""


def fleet_scenario(duration: str | None = "20m", extra: str = "") -> Scenario:
    length = "" if duration is None else f'duration = "{duration}"'
    return Scenario.from_toml(FLEET.format(duration=length, extra=extra))


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_fleet_boots_reports_and_runs_sessions(csms: FakeCSMS) -> None:
    stats = await Fleet(fleet_scenario(), csms.url).run()

    assert sorted(csms.connections) == ["F-001", "F-002", "F-003"]
    boots = {c.ocpp_id: c.payload for c in csms.calls if c.action == "BootNotification"}
    assert boots["F-001"]["chargePointVendor"] == "Alfen"
    assert boots["F-001"]["firmwareVersion"] == "6.4.0"
    assert boots["F-003"]["chargePointModel"] == "Terra 184"
    connectors = {
        (c.ocpp_id, c.payload["connectorId"])
        for c in csms.calls
        if c.action == "StatusNotification"
    }
    assert connectors == {
        ("F-001", 0), ("F-001", 1), ("F-001", 2),
        ("F-002", 0), ("F-002", 1), ("F-002", 2),
        ("F-003", 0), ("F-003", 1),
    }  # fmt: skip

    starts = [c for c in csms.calls if c.action == "StartTransaction"]
    stops = [c for c in csms.calls if c.action == "StopTransaction"]
    assert len(starts) == len(stops) == stats.sessions_started == stats.sessions_stopped > 3
    assert {s.payload["idTag"] for s in starts} <= {"A", "B"}
    assert {s.payload["reason"] for s in stops} <= {"EVDisconnected", "Local"}
    for stop in stops:
        assert stop.payload["meterStop"] >= 0
    assert stats.connected == 0
    assert stats.answered == stats.messages_sent
    assert stats.errors == stats.dropped == 0
    assert stats.energy_kwh > 0

    # The simulated clock: timestamps start at the scenario's start and run at x1000.
    stamps = [parse(c.payload["timestamp"]) for c in starts + stops]
    assert min(stamps) >= datetime(2030, 1, 1, tzinfo=UTC)
    assert max(stamps) <= datetime(2030, 1, 1, 0, 25, tzinfo=UTC)


async def test_meter_values_follow_the_charging_curve(csms: FakeCSMS) -> None:
    await Fleet(fleet_scenario(duration="15m"), csms.url).run()
    by_tx: dict[int, list[dict[str, float]]] = {}
    for call in csms.calls:
        if call.action != "MeterValues":
            continue
        values = {
            v["measurand"] if "measurand" in v else "energy": float(v["value"])
            for v in call.payload["meterValue"][0]["sampledValue"]
        }
        by_tx.setdefault(call.payload["transactionId"], []).append(values)
    assert by_tx
    for readings in by_tx.values():
        energy = [r["Energy.Active.Import.Register"] for r in readings]
        assert energy == sorted(energy)
        for reading in readings:
            soc, power = reading["SoC"], reading["Power.Active.Import"]
            assert power <= 180
            if soc > 80:
                assert power < 180 * (1 - 0.9 * (soc - 80) / 20) + 0.01


async def test_a_stopped_fleet_ends_its_sessions(csms: FakeCSMS) -> None:
    scenario = fleet_scenario(duration=None)
    fleet = Fleet(scenario, csms.url)
    task = asyncio.create_task(fleet.run())
    while fleet.stats.active_sessions == 0:
        await asyncio.sleep(0.02)
    fleet.stop()
    stats = await asyncio.wait_for(task, 10)
    assert stats.sessions_started == stats.sessions_stopped
    stops = [c for c in csms.calls if c.action == "StopTransaction"]
    assert "Local" in {s.payload["reason"] for s in stops}
    assert stats.connected == 0


async def test_faults_stop_the_session_and_recover(csms: FakeCSMS) -> None:
    extra = """
[faults]
mean_interval = "4m"
error_codes = ["GroundFailure"]
recovery = "1m"
"""
    stats = await Fleet(fleet_scenario(extra=extra), csms.url).run()
    assert stats.faults > 0
    statuses = [c.payload for c in csms.calls if c.action == "StatusNotification"]
    faulted = [s for s in statuses if s["status"] == "Faulted"]
    assert faulted
    assert {s["errorCode"] for s in faulted} == {"GroundFailure"}
    assert {s["errorCode"] for s in statuses if s["status"] != "Faulted"} == {"NoError"}
    stops = [c.payload for c in csms.calls if c.action == "StopTransaction"]
    if any(s["reason"] == "Other" for s in stops):
        assert stats.sessions_stopped == stats.sessions_started


async def test_rejected_tags_do_not_charge(csms: FakeCSMS) -> None:
    csms.authorize = lambda tag: "Invalid"
    stats = await Fleet(fleet_scenario(duration="10m"), csms.url).run()
    assert stats.auth_rejected > 0
    assert stats.sessions_started == 0
    assert not [c for c in csms.calls if c.action == "StartTransaction"]


async def test_call_errors_are_counted(csms: FakeCSMS) -> None:
    csms.errors = {"Heartbeat": "InternalError"}
    csms.heartbeat_interval = 60
    stats = await Fleet(fleet_scenario(duration="5m"), csms.url).run()
    assert stats.call_errors == stats.errors_by_code["InternalError"] > 0
    assert stats.answered == stats.messages_sent - stats.call_errors


async def test_same_seed_same_sessions(csms: FakeCSMS) -> None:
    def first_sessions() -> dict[tuple[str, int], tuple[str, int]]:
        """The first session of each EVSE: its tag and meter start."""
        found: dict[tuple[str, int], tuple[str, int]] = {}
        for c in csms.calls:
            if c.action == "StartTransaction":
                evse = (c.ocpp_id, c.payload["connectorId"])
                found.setdefault(evse, (c.payload["idTag"], c.payload["meterStart"]))
        csms.calls.clear()
        return found

    scenario = fleet_scenario(duration="6m")
    await Fleet(scenario, csms.url).run()
    first = first_sessions()
    await Fleet(scenario, csms.url).run()
    again = first_sessions()
    both = first.keys() & again.keys()
    assert len(both) >= 3
    assert {k: first[k] for k in both} == {k: again[k] for k in both}
    await Fleet(scenario.with_overrides(seed=6), csms.url).run()
    other = first_sessions()
    assert {k: other[k] for k in both & other.keys()} != {k: first[k] for k in both & other.keys()}


async def test_unreachable_csms_is_counted_and_the_fleet_still_stops() -> None:
    scenario = fleet_scenario(duration="2m").with_overrides(chargers=2)
    stats = await asyncio.wait_for(Fleet(scenario, "ws://127.0.0.1:9/ocpp").run(), 10)
    assert stats.connects == 0
    assert stats.connect_failures >= 2


def test_sim_clock_scales_time() -> None:
    origin = datetime(2030, 1, 1, tzinfo=UTC)
    clock = SimClock(120, origin)
    clock.start()
    assert clock.real(120) == 1
    assert 0 <= clock.elapsed() < 5
    assert clock.now() >= origin
