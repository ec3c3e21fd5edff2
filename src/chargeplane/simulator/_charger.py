"""One simulated charger of a fleet: connection, heartbeats, EVSE sessions, faults, outages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Awaitable
from typing import Any

from websockets.exceptions import InvalidHandshake

from ._clock import SimClock
from ._curve import ChargingCurve, Vehicle
from ._outbox import TRANSPORT_ERRORS, Offline, Outbox, Skipped, Transaction
from ._scenario import ModelSpec, Scenario
from ._station import Station
from ._stats import FleetStats, Observer
from ._types import CallError, Sample, StationConfig

__all__ = ["SimulatedCharger"]

LOGGER = logging.getLogger("chargeplane.simulator")

AC_VOLTAGE = 230.0
DC_VOLTAGE = 400.0
CONNECT_ERRORS: tuple[type[BaseException], ...] = (InvalidHandshake, *TRANSPORT_ERRORS)
DRAIN_TIMEOUT = 5.0
"""Real seconds a stopping charger waits for its last messages to be answered."""


async def _first_of(*aws: Awaitable[Any]) -> None:
    """Wait for the first of ``aws`` to finish; cancel the others."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class SimulatedCharger:
    """Drives one :class:`Station` through a scenario: boots, reports its EVSEs, heartbeats,
    runs sessions on each EVSE, injects faults, goes offline and replays what it queued."""

    def __init__(
        self,
        scenario: Scenario,
        number: int,
        model: ModelSpec,
        url: str,
        *,
        clock: SimClock,
        stats: FleetStats,
        observer: Observer | None = None,
        response_timeout: float = 10.0,
    ) -> None:
        self.scenario = scenario
        self.number = number
        self.model = model
        self.clock = clock
        self.stats = stats
        self.ocpp_id = scenario.ocpp_id(number)
        seed = scenario.fleet.seed
        self.rng = random.Random(f"{seed}:{self.ocpp_id}")
        self.station = Station(
            StationConfig(
                ocpp_id=self.ocpp_id,
                vendor=model.vendor,
                model=model.model,
                firmware_version=model.firmware,
                serial_number=f"SN-{self.ocpp_id}"[:25],
                meter_type="AC meter" if model.ac else "DC meter",
                connectors=model.evses,
            ),
            url,
            response_timeout=response_timeout,
        )
        self.outbox = Outbox(
            self.ocpp_id, clock, stats, on_lost=self.station.close, observer=observer
        )
        self.curve = ChargingCurve.from_spec(scenario.curve)
        self.evses = [
            _Evse(self, n, random.Random(f"{seed}:{self.ocpp_id}:{n}"))
            for n in range(1, model.evses + 1)
        ]
        self.heartbeat_interval = model.heartbeat_interval or 300.0
        self._response_timeout = response_timeout
        self.stopping = asyncio.Event()
        self._booted = asyncio.Event()
        self._offline_for: float | None = None
        self._go_offline = asyncio.Event()
        self._done = False
        self.booted_at = 0.0
        """Simulated time of the first accepted BootNotification: scheduled arrivals and
        outages count from here, so a slow start does not shift them against each other."""

    @property
    def online(self) -> bool:
        return self.outbox.online.is_set()

    def stop(self) -> None:
        """Finish: running sessions are stopped (reason Local), what is queued is sent."""
        self.stopping.set()
        for evse in self.evses:
            evse.wake.set()

    def go_offline(self, seconds: float) -> None:
        """Drop the connection for ``seconds`` (simulated)."""
        self._offline_for = seconds
        self._go_offline.set()

    # -- the whole life ----------------------------------------------------------

    async def run(self, delay: float = 0.0) -> None:
        """Run until :meth:`stop`; ``delay`` (simulated seconds) before connecting."""
        if delay > 0 and await self.clock.sleep(delay, wake=self.stopping):
            return
        sender = asyncio.create_task(self.outbox.run(), name=f"{self.ocpp_id}-outbox")
        try:
            async with asyncio.TaskGroup() as group:
                connection = group.create_task(self._connection())
                await _first_of(self._booted.wait(), self.stopping.wait())
                if self._booted.is_set():
                    self._report_charger_status()
                    group.create_task(self._heartbeats())
                    group.create_task(self._faults())
                    group.create_task(self._outages())
                    evses = [group.create_task(evse.run()) for evse in self.evses]
                    await self.stopping.wait()
                    await asyncio.gather(*evses)
                    # an offline charger reconnects at once to send what it queued
                    await self.outbox.drain(DRAIN_TIMEOUT)
                self._done = True
                self._go_offline.set()  # wakes the connection loop to close
                await connection
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            self.outbox.abandon()
            await self.station.close()

    async def _connection(self) -> None:
        backoff = 0.5
        first = True
        while not self._done:
            if self.stopping.is_set() and not self._booted.is_set():
                return
            try:
                await self.station.connect()
            except CONNECT_ERRORS as exc:
                self.stats.connect_failures += 1
                LOGGER.debug("%s: connect failed: %r", self.ocpp_id, exc)
                await _first_of(asyncio.sleep(backoff), self.stopping.wait())
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.5
            self.stats.connects += 1
            self.stats.connected += 1
            if not first:
                self.stats.reconnects += 1
            first = False
            try:
                if not self._booted.is_set() and not await self._boot():
                    continue
                self.outbox.online.set()
                await _first_of(self.station.wait_closed(), self._go_offline.wait())
                if self.station.connected:  # going offline on purpose
                    await self.outbox.settle(self._response_timeout)
            finally:
                self.outbox.online.clear()
                self.stats.connected -= 1
                await self.station.close()
            if self._done:
                return
            if self._go_offline.is_set():
                self._go_offline.clear()
                seconds, self._offline_for = self._offline_for or 0.0, None
                self.stats.offline_periods += 1
                await self.clock.sleep(seconds, wake=self.stopping)

    async def _boot(self) -> bool:
        """BootNotification until Accepted; False if the connection was lost meanwhile."""
        while True:
            self.stats.messages_sent += 1
            self.stats.sent_by_action["BootNotification"] += 1
            try:
                result = await self.station.boot()
            except CallError as exc:
                self.stats.call_errors += 1
                self.stats.errors_by_code[exc.code] += 1
                result = {"status": "Rejected", "interval": 60}
            except TRANSPORT_ERRORS:
                self.stats.transport_errors += 1
                return False
            else:
                self.stats.answered += 1
            interval = result.get("interval")
            if result.get("status") == "Accepted":
                if self.model.heartbeat_interval is None and isinstance(interval, int):
                    self.heartbeat_interval = float(interval) if interval > 0 else 300.0
                self.booted_at = self.clock.elapsed()
                self._booted.set()
                return True
            wait = float(interval) if isinstance(interval, int) and interval > 0 else 60.0
            if await self.clock.sleep(wait, wake=self.stopping):
                return False

    # -- background behaviour ----------------------------------------------------

    def _report_charger_status(self) -> None:
        """StatusNotification for connectorId 0: the charger as a whole."""
        moment = self.clock.now()

        def send() -> Awaitable[dict[str, Any]]:
            return self.station.status(0, "Available", timestamp=moment)

        self.outbox.submit("StatusNotification", send, queueable=True, timestamp=moment)

    async def _heartbeats(self) -> None:
        while not await self.clock.sleep(self.heartbeat_interval, wake=self.stopping):
            if self.online:
                self.outbox.submit("Heartbeat", self.station.heartbeat, queueable=False)

    async def _faults(self) -> None:
        spec = self.scenario.faults
        if spec.mean_interval is None:
            return
        while not await self.clock.sleep(
            self.rng.expovariate(1.0 / spec.mean_interval), wake=self.stopping
        ):
            evse = self.rng.choice(self.evses)
            evse.inject_fault(self.rng.choice(spec.error_codes), self.rng.uniform(*spec.recovery))

    def _outage_plan(self) -> list[tuple[float, float]]:
        spec = self.scenario.offline
        return sorted(
            (self.booted_at + p.at, p.duration)
            for p in spec.periods
            if p.chargers is None or self.number in p.chargers
        )

    async def _outages(self) -> None:
        spec = self.scenario.offline
        fixed = self._outage_plan()
        rate = None if spec.mean_interval is None else 1.0 / spec.mean_interval
        next_random = math.inf if rate is None else self.booted_at + self.rng.expovariate(rate)
        while True:
            next_fixed = fixed[0][0] if fixed else math.inf
            start = min(next_fixed, next_random)
            if math.isinf(start):
                return
            if await self.clock.sleep(start - self.clock.elapsed(), wake=self.stopping):
                return
            if start == next_fixed:
                seconds = fixed.pop(0)[1]
            else:
                seconds = self.rng.uniform(*spec.duration)
            if self.online:
                self.go_offline(seconds)
            if await self.clock.sleep(seconds, wake=self.stopping):
                return
            if rate is not None and start == next_random:
                next_random = self.clock.elapsed() + self.rng.expovariate(rate)


class _Evse:
    """One EVSE (OCPP 1.6 connector): idle, sessions, faults."""

    def __init__(self, charger: SimulatedCharger, number: int, rng: random.Random) -> None:
        self.charger = charger
        self.number = number
        self.rng = rng
        self.meter_wh = float(rng.randrange(100_000, 20_000_000))
        self.wake = asyncio.Event()
        self._fault: tuple[str, float] | None = None
        self._arrivals = sorted(rng.uniform(*window) for window in charger.scenario.sessions.at)

    # -- plumbing ----------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self.charger.stopping.is_set()

    def inject_fault(self, error_code: str, recovery: float) -> None:
        self._fault = (error_code, recovery)
        self.wake.set()

    async def _sleep(self, seconds: float) -> None:
        """Sleep (simulated), waking early for a fault or the end of the run."""
        if self.stopping or self._fault is not None or seconds <= 0:
            return
        self.wake.clear()
        await self.charger.clock.sleep(seconds, wake=self.wake)

    def _status(self, status: str, *, error_code: str = "NoError") -> None:
        station, moment = self.charger.station, self.charger.clock.now()

        def send() -> Awaitable[dict[str, Any]]:
            return station.status(self.number, status, error_code=error_code, timestamp=moment)

        self.charger.outbox.submit("StatusNotification", send, queueable=True, timestamp=moment)

    def _next_arrival(self) -> float:
        spec = self.charger.scenario.sessions
        if spec.mean_interval is not None:
            return self.charger.clock.elapsed() + self.rng.expovariate(1.0 / spec.mean_interval)
        if not self._arrivals:
            return math.inf
        return self.charger.booted_at + self._arrivals.pop(0)

    # -- behaviour ---------------------------------------------------------------

    async def run(self) -> None:
        self._status("Available")
        while not self.stopping:
            arrival = self._next_arrival()
            while not self.stopping and self.charger.clock.elapsed() < arrival:
                if self._fault is not None:
                    await self._faulted()
                else:
                    await self._sleep(arrival - self.charger.clock.elapsed())
            if self.stopping:
                return
            await self._session()
            if self._fault is not None:
                await self._faulted()

    async def _faulted(self) -> None:
        clock = self.charger.clock
        assert self._fault is not None
        code, recovery = self._fault
        self._fault = None
        self.charger.stats.faults += 1
        self._status("Faulted", error_code=code)
        end = clock.elapsed() + recovery
        while not self.stopping and clock.elapsed() < end:
            await self._sleep(end - clock.elapsed())
            if self._fault is not None:  # another fault meanwhile: recover later
                end = max(end, clock.elapsed() + self._fault[1])
                self._fault = None
        self._status("Available")

    async def _authorized(self, id_tag: str) -> bool:
        charger = self.charger
        if not charger.scenario.sessions.authorize or not charger.online:
            return True  # offline: the charger's local authorization (cache) accepts
        try:
            result = await charger.outbox.submit(
                "Authorize", lambda: charger.station.authorize(id_tag), queueable=False
            )
        except Offline:
            return True
        except CallError:
            return False
        except Exception:  # not sent at all (counted by the outbox)
            return False
        info = result.get("idTagInfo")
        return isinstance(info, dict) and info.get("status") == "Accepted"

    async def _session(self) -> None:
        charger, clock, rng = self.charger, self.charger.clock, self.rng
        spec = charger.scenario.sessions
        vehicle = Vehicle(
            battery_kwh=rng.uniform(*spec.battery_kwh),
            soc=rng.uniform(*spec.start_soc),
            max_power_kw=min(rng.uniform(*spec.max_power_kw), charger.model.max_power_kw),
            target_soc=spec.target_soc,
        )
        id_tag = rng.choice(charger.scenario.rfid.pool)
        stay = rng.uniform(*spec.duration)
        energy_target = None if spec.energy_kwh is None else rng.uniform(*spec.energy_kwh)

        self._status("Preparing")
        if not await self._authorized(id_tag):
            charger.stats.auth_rejected += 1
            await self._sleep(min(stay, 30.0))
            self._status("Available")
            return

        tx = Transaction(id_tag, int(self.meter_wh), clock.now())
        self._start(tx, vehicle)
        charger.stats.sessions_started += 1
        self._status("Charging")
        departure = clock.elapsed() + stay
        last = clock.elapsed()
        delivered = 0.0
        charging = True
        interval = charger.model.meter_interval
        tick = last
        while True:
            tick += interval  # on a fixed grid, so the samples do not drift
            await self._sleep(min(tick, departure) - clock.elapsed())
            now = clock.elapsed()
            if charging:
                kwh = vehicle.charge(charger.curve, now - last)
                self.meter_wh += kwh * 1000.0
                delivered += kwh
                charger.stats.energy_kwh += kwh
            last = now
            if self.stopping:
                reason = "Local"
                break
            if self._fault is not None:
                reason = "Other"
                break
            if tx.rejected:
                reason = "DeAuthorized"
                break
            self._meter_values(tx, vehicle.power_kw(charger.curve) if charging else 0.0, vehicle)
            if energy_target is not None and delivered >= energy_target:
                reason = "Local"
                break
            if now >= departure - 1e-6:
                reason = "EVDisconnected"
                break
            if charging and vehicle.full:
                charging = False
                self._status("SuspendedEV")
        self._stop(tx, reason)
        charger.stats.sessions_stopped += 1
        if reason != "Other":
            self._status("Finishing")
            self._status("Available")

    # -- transaction messages ----------------------------------------------------

    def _start(self, tx: Transaction, vehicle: Vehicle) -> None:
        station = self.charger.station

        async def send() -> dict[str, Any]:
            result = await station.start_transaction(
                self.number, tx.id_tag, meter_start=tx.meter_start, timestamp=tx.started_at
            )
            transaction_id = result.get("transactionId")
            if isinstance(transaction_id, int):
                tx.transaction_id = transaction_id
            info = result.get("idTagInfo")
            tx.rejected = not (isinstance(info, dict) and info.get("status") == "Accepted")
            return result

        self.charger.outbox.submit(
            "StartTransaction", send, queueable=True, timestamp=tx.started_at, transaction=tx
        )

    def _samples(self, power_kw: float, vehicle: Vehicle) -> list[Sample]:
        ac = self.charger.model.ac
        voltage = AC_VOLTAGE if ac else DC_VOLTAGE + vehicle.soc  # DC: pack voltage rises
        current = power_kw * 1000.0 / (3 * voltage if ac else voltage)
        return [
            Sample(round(self.meter_wh), unit="Wh", context="Sample.Periodic"),
            Sample(round(power_kw, 2), measurand="Power.Active.Import", unit="kW"),
            Sample(round(current, 1), measurand="Current.Import", unit="A"),
            Sample(round(voltage, 1), measurand="Voltage", unit="V"),
            Sample(round(vehicle.soc, 1), measurand="SoC", unit="Percent", location="EV"),
        ]

    def _meter_values(self, tx: Transaction, power_kw: float, vehicle: Vehicle) -> None:
        station, moment = self.charger.station, self.charger.clock.now()
        samples = self._samples(power_kw, vehicle)

        def send() -> Awaitable[dict[str, Any]]:
            return station.meter_values(
                self.number, samples, timestamp=moment, transaction_id=tx.transaction_id
            )

        self.charger.outbox.submit(
            "MeterValues", send, queueable=True, timestamp=moment, transaction=tx
        )

    def _stop(self, tx: Transaction, reason: str) -> None:
        station, moment = self.charger.station, self.charger.clock.now()
        meter_stop = max(int(self.meter_wh), tx.meter_start)

        async def send() -> dict[str, Any]:
            if tx.transaction_id is None:
                raise Skipped("StopTransaction: the start was never accepted")
            return await station.stop_transaction(
                tx.transaction_id,
                meter_stop=meter_stop,
                timestamp=moment,
                id_tag=tx.id_tag,
                reason=reason,
            )

        self.charger.outbox.submit(
            "StopTransaction", send, queueable=True, timestamp=moment, transaction=tx
        )
