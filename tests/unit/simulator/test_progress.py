"""Stats, the live progress line and the final summary."""

from __future__ import annotations

import io

from chargeplane.simulator import Fleet, FleetStats, Progress, Scenario, describe, summary


def busy_stats(stats: FleetStats) -> None:
    stats.connected, stats.connects, stats.reconnects = 2, 4, 1
    stats.sessions_started, stats.sessions_stopped = 5, 3
    stats.messages_sent, stats.answered, stats.call_errors, stats.transport_errors = 40, 37, 2, 1
    stats.queued, stats.replayed, stats.offline_periods = 6, 4, 1
    stats.energy_kwh = 12.345
    stats.sent_by_action.update({"MeterValues": 30, "Heartbeat": 10})
    stats.errors_by_code["InternalError"] = 2


def test_stats_derived_values_and_snapshot() -> None:
    stats = FleetStats(chargers=3)
    busy_stats(stats)
    assert stats.active_sessions == 2
    assert stats.errors == 3
    copy = stats.snapshot()
    stats.sent_by_action["MeterValues"] += 1
    stats.messages_sent += 1
    assert copy.sent_by_action["MeterValues"] == 30
    assert copy.messages_sent == 40


def fleet() -> Fleet:
    scenario = Scenario.builtin("demo").with_overrides(speed=60)
    return Fleet(scenario, "ws://127.0.0.1:9/ocpp")


def test_progress_line_shows_the_essentials() -> None:
    running = fleet()
    busy_stats(running.stats)
    line = Progress(running, io.StringIO()).line()
    for part in [
        "x60]",
        "connected 2/3",
        "sessions 5 started, 2 active",
        "msgs 40 (",
        "/s)",
        "errors 3",
        "queued 6, replayed 4",
        "12.3 kWh",
    ]:
        assert part in line, line


def test_progress_refreshes_one_line_on_a_terminal_and_prints_lines_otherwise() -> None:
    running = fleet()
    tty, plain = io.StringIO(), io.StringIO()
    on_tty, in_log = Progress(running, tty, tty=True), Progress(running, plain, tty=False)
    assert on_tty.interval < in_log.interval
    for _ in range(2):
        on_tty.show()
        in_log.show()
    on_tty.finish()
    assert tty.getvalue().count("\r\x1b[2K") == 3
    assert tty.getvalue().count("\n") == 1
    assert plain.getvalue().count("\n") == 2
    assert "\r" not in plain.getvalue()


def test_summary_table() -> None:
    stats = FleetStats(chargers=3)
    busy_stats(stats)
    table = summary(stats, simulated=3723, real=62.04, title="scenario 'demo'")
    lines = table.splitlines()
    assert lines[0] == "scenario 'demo' — 01:02:03 simulated in 62.0 s"
    rows = {line[:27].strip(): line[27:].strip() for line in lines[2:]}
    assert rows["sessions started"] == "5"
    assert rows["messages sent"] == "40"
    assert rows["answered (CALLRESULT)"] == "37"
    assert rows["CALLERRORs"] == "2"
    assert rows["queued while offline"] == "6"
    assert rows["replayed"] == "4"
    assert rows["energy delivered"] == "12.3 kWh"
    assert rows["MeterValues"] == "30"
    assert rows["error InternalError"] == "2"
    assert len({len(line) for line in lines[1:]}) == 1  # aligned


def test_describe_names_the_fleet() -> None:
    text = describe(Scenario.builtin("demo"), "ws://h/ocpp")
    assert "3 chargers DEMO-001" in text
    assert "'demo'" in text
    assert "until Ctrl-C" in text
    assert "ABB Terra 184 (1x CCS2 180 kW)" in text
