"""Live progress and the final summary of a fleet run, for a terminal or a log."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Iterator
from typing import TextIO

from ._fleet import Fleet
from ._scenario import Scenario
from ._stats import FleetStats

__all__ = ["Progress", "describe", "format_duration", "run_fleet", "summary"]

TTY_INTERVAL = 0.5
PLAIN_INTERVAL = 5.0


def format_duration(seconds: float) -> str:
    """``1d 02:03:04`` / ``02:03:04``."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {clock}" if days else clock


def describe(scenario: Scenario, url: str) -> str:
    """One line saying what is about to run."""
    spec = scenario.fleet
    models = ", ".join(
        f"{m.vendor} {m.model} ({m.evses}x {m.connector} {m.max_power_kw:g} kW)"
        for m in scenario.models
    )
    length = "until Ctrl-C" if spec.duration is None else format_duration(spec.duration)
    speed = "" if spec.speed == 1 else f" at x{spec.speed:g}"
    return (
        f"simulating {spec.chargers} chargers {scenario.ocpp_id(1)}… of scenario "
        f"{scenario.name!r} [{models}] against {url}, {length}{speed}, seed {spec.seed}"
    )


class Progress:
    """One status line about a running fleet: refreshed in place on a terminal, printed
    every few seconds otherwise."""

    def __init__(
        self,
        fleet: Fleet,
        out: TextIO,
        *,
        tty: bool | None = None,
        interval: float | None = None,
    ) -> None:
        self.fleet = fleet
        self.out = out
        self.tty = out.isatty() if tty is None else tty
        self.interval = interval or (TTY_INTERVAL if self.tty else PLAIN_INTERVAL)
        self._last = (time.monotonic(), 0)
        self._rate = 0.0

    def line(self) -> str:
        stats, clock = self.fleet.stats, self.fleet.clock
        now = time.monotonic()
        then, sent = self._last
        if now - then >= 0.2:
            self._rate = (stats.messages_sent - sent) / (now - then)
            self._last = (now, stats.messages_sent)
        speed = f" x{clock.speed:g}" if clock.speed != 1 else ""
        parts = [
            f"[{format_duration(clock.elapsed())}{speed}]"
            f" connected {stats.connected}/{stats.chargers}",
            f"sessions {stats.sessions_started} started, {stats.active_sessions} active",
            f"msgs {stats.messages_sent} ({self._rate:.1f}/s)",
            f"errors {stats.errors}",
        ]
        if stats.queued or stats.offline_periods:
            parts.append(f"queued {stats.queued}, replayed {stats.replayed}")
        if stats.faults:
            parts.append(f"faults {stats.faults}")
        parts.append(f"{stats.energy_kwh:.1f} kWh")
        return " | ".join(parts)

    def show(self) -> None:
        if self.tty:
            self.out.write(f"\r\x1b[2K{self.line()}")
        else:
            self.out.write(f"{self.line()}\n")
        self.out.flush()

    async def run(self) -> None:
        """Show the line every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            self.show()

    def finish(self) -> None:
        self.show()
        if self.tty:
            self.out.write("\n")
            self.out.flush()


def _rows(stats: FleetStats) -> Iterator[tuple[str, str]]:
    yield "chargers", str(stats.chargers)
    yield "connections", str(stats.connects)
    yield "reconnects", str(stats.reconnects)
    yield "failed connection attempts", str(stats.connect_failures)
    yield "offline periods", str(stats.offline_periods)
    yield "sessions started", str(stats.sessions_started)
    yield "sessions stopped", str(stats.sessions_stopped)
    yield "authorizations rejected", str(stats.auth_rejected)
    yield "faults", str(stats.faults)
    yield "energy delivered", f"{stats.energy_kwh:.1f} kWh"
    yield "messages sent", str(stats.messages_sent)
    yield "answered (CALLRESULT)", str(stats.answered)
    yield "CALLERRORs", str(stats.call_errors)
    yield "lost (connection/timeout)", str(stats.transport_errors)
    yield "queued while offline", str(stats.queued)
    yield "replayed", str(stats.replayed)
    yield "dropped", str(stats.dropped)
    for action, count in sorted(stats.sent_by_action.items()):
        yield f"  {action}", str(count)
    for code, count in sorted(stats.errors_by_code.items()):
        yield f"  error {code}", str(count)


def summary(stats: FleetStats, *, simulated: float, real: float, title: str = "") -> str:
    """The end-of-run table."""
    rows = list(_rows(stats))
    width = max(len(name) for name, _ in rows)
    value_width = max(len(value) for _, value in rows)
    head = f"{title} — " if title else ""
    lines = [
        f"{head}{format_duration(simulated)} simulated in {real:.1f} s",
        f"{'':-<{width}}  {'':-<{value_width}}",
    ]
    lines += [f"{name:<{width}}  {value:>{value_width}}" for name, value in rows]
    return "\n".join(lines)


async def run_fleet(fleet: Fleet, out: TextIO, *, title: str = "", signals: bool = True) -> str:
    """Run ``fleet`` with live progress on ``out``; return the summary table.

    With ``signals``, the first Ctrl-C (or SIGTERM) stops the fleet cleanly (sessions
    stopped, queued messages sent); a second one cancels at once.
    """
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal() -> None:
        if fleet.stopping and main is not None:
            main.cancel()
        fleet.stop()

    installed = []
    if signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, on_signal)
                installed.append(sig)
    progress = Progress(fleet, out)
    reporter = asyncio.create_task(progress.run())
    started = time.monotonic()
    try:
        await fleet.run()
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        for sig in installed:
            loop.remove_signal_handler(sig)
        progress.finish()
    return summary(
        fleet.stats,
        simulated=fleet.clock.elapsed(),
        real=time.monotonic() - started,
        title=title,
    )
