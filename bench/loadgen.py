"""The load generator: simulated chargers on raw ``websockets`` connections, run in worker
processes that ``run.py`` drives over a pipe.

Lean on purpose (the ``ocpp`` package's client costs ~1 ms a message): frames are built from
pre-rendered templates with ``%`` formatting, replies are parsed with orjson, and a charger
waits for its answer inline (``recv`` right after ``send``; OCPP allows one outstanding CALL
per charger), so there is no reader task per connection.

Each command returns a dict of plain numbers/lists so the parent can merge workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import resource
import time
from array import array
from collections import deque
from datetime import UTC, datetime
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

VENDOR = "BenchVendor"
MODEL = "BenchModel"
ID_TAG = "BENCHTAG01"

# Measurands of one MeterValues sample (several sampled values, as real AC/DC chargers send).
_SAMPLED = (
    '{"value":"%d","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic"},'
    '{"value":"%.1f","measurand":"Power.Active.Import","unit":"W","context":"Sample.Periodic"},'
    '{"value":"%.1f","measurand":"Current.Import","unit":"A","phase":"L1","context":"Sample.Periodic"},'
    '{"value":"%.1f","measurand":"Current.Import","unit":"A","phase":"L2","context":"Sample.Periodic"},'
    '{"value":"%.1f","measurand":"Current.Import","unit":"A","phase":"L3","context":"Sample.Periodic"},'
    '{"value":"230.4","measurand":"Voltage","unit":"V","phase":"L1-N","context":"Sample.Periodic"},'
    '{"value":"%d","measurand":"SoC","unit":"Percent","context":"Sample.Periodic"}'
)
VALUES_PER_METER_VALUES = 7
VALUES_PER_STOP = 1

T_BOOT = (
    '[2,"%s","BootNotification",{"chargePointVendor":"'
    + VENDOR
    + '","chargePointModel":"'
    + MODEL
    + '","chargePointSerialNumber":"%s","firmwareVersion":"1.0.0",'
    '"meterType":"BenchMeter"}]'
)
T_HEARTBEAT = '[2,"%s","Heartbeat",{}]'
T_STATUS = (
    '[2,"%s","StatusNotification",{"connectorId":%d,"errorCode":"NoError","status":"%s",'
    '"timestamp":"%s"}]'
)
T_AUTHORIZE = '[2,"%s","Authorize",{"idTag":"' + ID_TAG + '"}]'
T_START = (
    '[2,"%s","StartTransaction",{"connectorId":%d,"idTag":"' + ID_TAG + '","meterStart":%d,'
    '"timestamp":"%s"}]'
)
T_METER = (
    '[2,"%s","MeterValues",{"connectorId":%d,"transactionId":%d,"meterValue":[{"timestamp":"%s",'
    '"sampledValue":[' + _SAMPLED + "]}]}]"
)
T_STOP = (
    '[2,"%s","StopTransaction",{"transactionId":%d,"idTag":"' + ID_TAG + '","meterStop":%d,'
    '"timestamp":"%s","reason":"Local","transactionData":[{"timestamp":"%s","sampledValue":'
    '[{"value":"%d","measurand":"Energy.Active.Import.Register","unit":"Wh",'
    '"context":"Transaction.End"}]}]}]'
)

# One charging cycle: what each simulated charger says, in order, at the offered rate.
# 10 messages: 1 Heartbeat, 1 Authorize, 1 Start, 2 Status, 4 MeterValues, 1 Stop.
CYCLE = (
    "Heartbeat",
    "Authorize",
    "StartTransaction",
    "StatusNotification:Charging",
    "MeterValues",
    "MeterValues",
    "MeterValues",
    "MeterValues",
    "StopTransaction",
    "StatusNotification:Available",
)


class CallFailed(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind, detail)
        self.kind, self.detail = kind, detail


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class Clock:
    """A cached ISO timestamp (refreshed at most every 5 ms) so frames don't pay strftime."""

    def __init__(self) -> None:
        self._at = 0.0
        self._iso = _now_iso()

    def iso(self) -> str:
        now = time.perf_counter()
        if now - self._at > 0.005:
            self._at, self._iso = now, _now_iso()
        return self._iso


class Charger:
    __slots__ = (
        "connector",
        "connectors",
        "dead",
        "ocpp_id",
        "pos",
        "register",
        "soc",
        "tx",
        "tx_meter_start",
        "ws",
    )

    def __init__(self, ocpp_id: str, connectors: int) -> None:
        self.ocpp_id = ocpp_id
        self.connectors = connectors
        self.ws: ClientConnection | None = None
        self.dead = False
        self.pos = 0
        self.connector = 1
        self.register = random.randint(0, 10_000_000)
        self.soc = 20
        self.tx: int | None = None
        self.tx_meter_start = 0


class Worker:
    def __init__(self, wid: int, url: str, source: str | None, opts: dict[str, Any]) -> None:
        self.wid = wid
        self.url = url.rstrip("/")
        self.source = source
        self.opts = opts
        self.call_timeout: float = opts.get("call_timeout", 30.0)
        self.connectors: int = opts.get("connectors", 2)
        self.chargers: list[Charger] = []
        self.clock = Clock()
        self._ids = itertools.count(1)
        self.prefix = f"w{wid}-"
        # What was acknowledged, for the audit.
        self.audit: dict[str, Any] = {
            "status_acked": 0,
            "values_acked": 0,
            "heartbeats_acked": 0,
            "calls_acked": 0,
            "calls_sent": 0,
            "starts_unacked": 0,
            "stops_unacked": 0,
            "booted": set(),
            "sessions": {},  # transaction id -> [ocpp_id, meter_start, meter_stop | None]
        }
        self.late_replies = 0
        self.server_calls = 0

    # ----------------------------------------------------------------- wire

    def uid(self) -> str:
        return f"{self.prefix}{next(self._ids)}"

    async def open(self, ch: Charger, *, open_timeout: float = 60.0) -> None:
        kwargs: dict[str, Any] = {}
        if self.source:
            kwargs["local_addr"] = (self.source, 0)
        ch.ws = await connect(
            f"{self.url}/{ch.ocpp_id}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            compression=None,
            ping_interval=None,  # the server pings; the library answers them
            ping_timeout=None,
            open_timeout=open_timeout,
            close_timeout=2,
            max_queue=64,
            user_agent_header=None,
            **kwargs,
        )
        if ch.ws.subprotocol != "ocpp1.6":
            await ch.ws.close()
            raise CallFailed("handshake", f"subprotocol {ch.ws.subprotocol!r}")
        ch.dead = False

    async def call(self, ch: Charger, uid: str, frame: str) -> Any:
        """Send one CALL and wait for its CALLRESULT; raise CallFailed otherwise."""
        ws = ch.ws
        if ws is None or ch.dead:
            raise CallFailed("disconnect", "not connected")
        self.audit["calls_sent"] += 1
        try:
            await ws.send(frame)
            async with asyncio.timeout(self.call_timeout):
                while True:
                    raw = await ws.recv()
                    msg = orjson.loads(raw)
                    if msg[0] == 2:  # a CALL from the server: we implement none
                        self.server_calls += 1
                        await ws.send(
                            orjson.dumps(
                                [4, msg[1], "NotImplemented", "bench charger", {}]
                            ).decode()
                        )
                        continue
                    if msg[1] != uid:
                        self.late_replies += 1
                        continue
                    if msg[0] == 3:
                        self.audit["calls_acked"] += 1
                        return msg[2]
                    raise CallFailed("error", f"{msg[2]}: {msg[3]}"[:200])
        except TimeoutError:
            raise CallFailed("timeout") from None
        except ConnectionClosed as exc:
            ch.dead = True
            raise CallFailed("disconnect", str(exc)[:200]) from None

    # ------------------------------------------------------------ messages

    def frame(self, ch: Charger, step: str) -> tuple[str, str, str]:
        """(action, unique id, frame) for the charger's next step of the cycle."""
        uid = self.uid()
        ts = self.clock.iso()
        if step == "Heartbeat":
            return "Heartbeat", uid, T_HEARTBEAT % uid
        if step == "Authorize":
            return "Authorize", uid, T_AUTHORIZE % uid
        if step == "StartTransaction":
            ch.connector = ch.connector % ch.connectors + 1
            ch.register += random.randint(1, 50)
            ch.tx_meter_start = ch.register
            ch.soc = random.randint(10, 60)
            return "StartTransaction", uid, T_START % (uid, ch.connector, ch.register, ts)
        if step.startswith("StatusNotification"):
            status = step.split(":", 1)[1]
            return "StatusNotification", uid, T_STATUS % (uid, ch.connector, status, ts)
        if step == "MeterValues":
            ch.register += random.randint(100, 2000)
            ch.soc = min(100, ch.soc + 1)
            amps = random.uniform(10, 32)
            frame = T_METER % (
                uid,
                ch.connector,
                ch.tx,
                ts,
                ch.register,
                amps * 690,
                amps,
                amps,
                amps,
                ch.soc,
            )
            return "MeterValues", uid, frame
        if step == "StopTransaction":
            ch.register += random.randint(100, 2000)
            return "StopTransaction", uid, T_STOP % (uid, ch.tx, ch.register, ts, ts, ch.register)
        raise ValueError(step)

    def next_step(self, ch: Charger) -> str:
        """The charger's next step; steps that need a transaction are skipped without one."""
        for _ in range(len(CYCLE)):
            step = CYCLE[ch.pos]
            ch.pos = (ch.pos + 1) % len(CYCLE)
            if step in ("MeterValues", "StopTransaction") and ch.tx is None:
                continue
            if step == "StatusNotification:Charging" and ch.tx is None:
                continue
            return step
        return "Heartbeat"

    async def act(self, ch: Charger, step: str) -> tuple[str, float]:
        """Run one step; returns (action, round trip in ms); raises CallFailed(action…)."""
        action, uid, frame = self.frame(ch, step)
        t0 = time.perf_counter()
        try:
            payload = await self.call(ch, uid, frame)
        except CallFailed as failed:
            if action == "StartTransaction":
                self.audit["starts_unacked"] += 1
                ch.tx = None
            elif action == "StopTransaction":
                self.audit["stops_unacked"] += 1
                ch.tx = None
            failed.detail = f"{action}: {failed.detail}"
            failed.action = action  # type: ignore[attr-defined]
            raise
        rtt = (time.perf_counter() - t0) * 1000.0
        a = self.audit
        if action == "StatusNotification":
            a["status_acked"] += 1
        elif action == "MeterValues":
            a["values_acked"] += VALUES_PER_METER_VALUES
        elif action == "Heartbeat":
            a["heartbeats_acked"] += 1
        elif action == "StartTransaction":
            ch.tx = int(payload["transactionId"])
            a["sessions"][ch.tx] = [ch.ocpp_id, ch.tx_meter_start, None]
        elif action == "StopTransaction":
            a["values_acked"] += VALUES_PER_STOP
            if ch.tx is not None and ch.tx in a["sessions"]:
                a["sessions"][ch.tx][2] = ch.register
            ch.tx = None
        return action, rtt

    async def admit(self, ch: Charger, statuses: int, *, open_timeout: float = 60.0) -> None:
        """Connect, BootNotification, StatusNotification for connectors 0..statuses-1."""
        await self.open(ch, open_timeout=open_timeout)
        uid = self.uid()
        serial = ch.ocpp_id[-20:]
        payload = await self.call(ch, uid, T_BOOT % (uid, serial))
        if payload.get("status") != "Accepted":
            raise CallFailed("rejected", f"boot {payload.get('status')}")
        self.audit["booted"].add(ch.ocpp_id)
        for connector in range(statuses):
            uid = self.uid()
            await self.call(ch, uid, T_STATUS % (uid, connector, "Available", self.clock.iso()))
            self.audit["status_acked"] += 1

    # ------------------------------------------------------------ commands

    async def cmd_connect(
        self, ids: list[str], statuses: int, concurrency: int, deadline_s: float
    ) -> dict[str, Any]:
        """Admit new chargers, ``concurrency`` at a time, within ``deadline_s``."""
        sem = asyncio.Semaphore(concurrency)
        admit_ms = array("d")
        failures: dict[str, int] = {}
        t_start = time.perf_counter()
        end = t_start + deadline_s

        async def one(ocpp_id: str) -> None:
            ch = Charger(ocpp_id, self.connectors)
            ch.pos = random.randrange(len(CYCLE))  # chargers spread over the cycle
            async with sem:
                if time.perf_counter() > end:
                    failures["deadline"] = failures.get("deadline", 0) + 1
                    return
                t0 = time.perf_counter()
                try:
                    await self.admit(ch, statuses)
                except CallFailed as failed:
                    failures[failed.kind] = failures.get(failed.kind, 0) + 1
                    await self._close_quietly(ch)
                    return
                except (OSError, InvalidHandshake, TimeoutError) as exc:
                    kind = _connect_failure(exc)
                    failures[kind] = failures.get(kind, 0) + 1
                    return
                admit_ms.append((time.perf_counter() - t0) * 1000.0)
                self.chargers.append(ch)

        await asyncio.gather(*(one(i) for i in ids))
        return {
            "connected": len(admit_ms),
            "failures": failures,
            "admit_ms": admit_ms.tolist(),
            "seconds": time.perf_counter() - t_start,
            "live": self.live_count(),
        }

    def live_count(self) -> int:
        return sum(1 for ch in self.chargers if ch.ws is not None and not ch.dead)

    async def cmd_heartbeat_all(self, concurrency: int) -> dict[str, Any]:
        """One Heartbeat from every live charger: are they all still answered?"""
        sem = asyncio.Semaphore(concurrency)
        rtts = array("d")
        failures: dict[str, int] = {}

        async def one(ch: Charger) -> None:
            async with sem:
                try:
                    _, rtt = await self.act(ch, "Heartbeat")
                    rtts.append(rtt)
                except CallFailed as failed:
                    failures[failed.kind] = failures.get(failed.kind, 0) + 1

        chargers = [ch for ch in self.chargers if ch.ws is not None]
        await asyncio.gather(*(one(ch) for ch in chargers))
        return {
            "asked": len(chargers),
            "answered": len(rtts),
            "failures": failures,
            "rtt_ms": rtts.tolist(),
        }

    async def cmd_load(self, rate: float, warmup: float, duration: float) -> dict[str, Any]:
        """Offer ``rate`` CALLs/s for warmup + duration seconds; a tick hands each due call to
        an idle charger (one outstanding CALL per charger); when none is idle the call is
        counted as ``unsent`` (the generator could not offer it)."""
        loop = asyncio.get_running_loop()
        live = [ch for ch in self.chargers if ch.ws is not None and not ch.dead]
        random.shuffle(live)
        idle: deque[Charger] = deque(live)
        rtts: dict[str, array[float]] = {}
        errors: dict[str, int] = {}
        error_samples: list[str] = []
        timeouts = disconnects = answered_in_window = 0
        unsent = offered_in_window = 0
        in_flight: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        t_meas = start + warmup
        t_end = t_meas + duration
        cpu0 = time.process_time()
        cpu_meas0: float | None = None

        async def one(ch: Charger, t_sched: float) -> None:
            nonlocal timeouts, disconnects, answered_in_window
            step = self.next_step(ch)
            try:
                action, rtt = await self.act(ch, step)
            except CallFailed as failed:
                action = getattr(failed, "action", step)
                if t_meas <= t_sched < t_end:
                    if failed.kind == "timeout":
                        timeouts += 1
                    elif failed.kind == "disconnect":
                        disconnects += 1
                    else:
                        errors[action] = errors.get(action, 0) + 1
                        if len(error_samples) < 5:
                            error_samples.append(failed.detail)
                if not ch.dead:
                    idle.append(ch)
                return
            now = time.perf_counter()
            if t_meas <= t_sched < t_end:
                rtts.setdefault(action, array("d")).append(rtt)
            if t_meas <= now < t_end:
                answered_in_window += 1
            idle.append(ch)

        due_done = 0
        while True:
            now = time.perf_counter()
            if now >= t_end:
                break
            if cpu_meas0 is None and now >= t_meas:
                cpu_meas0 = time.process_time()
            due = int((now - start) * rate) - due_done
            for _ in range(due):
                due_done += 1
                in_window = now >= t_meas
                if in_window:
                    offered_in_window += 1
                if idle:
                    task = loop.create_task(one(idle.popleft(), now))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                elif in_window:
                    unsent += 1
            await asyncio.sleep(0.002)
        cpu_meas = time.process_time() - (cpu_meas0 if cpu_meas0 is not None else cpu0)
        # Drain what is in flight (bounded by the call timeout).
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=self.call_timeout + 2)
        return {
            "rtt_ms": {k: v.tolist() for k, v in rtts.items()},
            "errors": errors,
            "error_samples": error_samples,
            "timeouts": timeouts,
            "disconnects": disconnects,
            "answered_in_window": answered_in_window,
            "offered_in_window": offered_in_window,
            "unsent": unsent,
            "chargers": len(live),
            "cpu_seconds": cpu_meas,
            "window_seconds": duration,
            "still_in_flight": len(in_flight),
        }

    async def cmd_storm(
        self, spread: float, statuses: int, deadline_s: float, open_timeout: float
    ) -> dict[str, Any]:
        """Drop every connection at once (transport aborted, no closing handshake), then each
        charger reconnects at a uniformly random moment in [0, spread] s and retries (1-3 s
        backoff) until re-admitted (Boot + StatusNotifications answered) or the deadline."""
        chargers = [ch for ch in self.chargers if ch.ws is not None]
        for ch in chargers:
            assert ch.ws is not None
            ch.ws.transport.abort()
            ch.dead = True
        t_drop = time.perf_counter()
        end = t_drop + deadline_s
        readmit_s = array("d")  # from the drop to re-admitted
        attempt_ms = array("d")  # from the successful attempt's start to re-admitted
        failures: dict[str, int] = {}
        attempts = 0
        given_up = 0

        async def one(ch: Charger) -> None:
            nonlocal attempts, given_up
            await asyncio.sleep(random.uniform(0, spread))
            while True:
                attempts += 1
                t0 = time.perf_counter()
                try:
                    await self.admit(ch, statuses, open_timeout=open_timeout)
                except CallFailed as failed:
                    failures[failed.kind] = failures.get(failed.kind, 0) + 1
                    await self._close_quietly(ch)
                except (OSError, InvalidHandshake, TimeoutError) as exc:
                    kind = _connect_failure(exc)
                    failures[kind] = failures.get(kind, 0) + 1
                else:
                    now = time.perf_counter()
                    readmit_s.append(now - t_drop)
                    attempt_ms.append((now - t0) * 1000.0)
                    return
                if time.perf_counter() + 1 > end:
                    given_up += 1
                    ch.ws = None
                    return
                await asyncio.sleep(random.uniform(1, 3))

        await asyncio.gather(*(one(ch) for ch in chargers))
        return {
            "chargers": len(chargers),
            "readmitted": len(readmit_s),
            "never_readmitted": given_up,
            "attempts": attempts,
            "failures": failures,
            "readmit_s": readmit_s.tolist(),
            "attempt_ms": attempt_ms.tolist(),
        }

    async def cmd_keep(self, n: int) -> dict[str, Any]:
        """Close (cleanly) every charger beyond the first ``n``."""
        extra, self.chargers = self.chargers[n:], self.chargers[:n]
        await asyncio.gather(*(self._close_quietly(ch) for ch in extra))
        return {"closed": len(extra), "kept": len(self.chargers)}

    async def cmd_close(self) -> dict[str, Any]:
        n = len(self.chargers)
        sem = asyncio.Semaphore(500)

        async def one(ch: Charger) -> None:
            async with sem:
                await self._close_quietly(ch)

        await asyncio.gather(*(one(ch) for ch in self.chargers))
        self.chargers = []
        return {"closed": n}

    async def _close_quietly(self, ch: Charger) -> None:
        if ch.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ch.ws.close(), 3)
        ch.ws = None
        ch.dead = True

    def cmd_audit(self) -> dict[str, Any]:
        a = dict(self.audit)
        a["booted"] = sorted(a["booted"])
        a["sessions"] = dict(a["sessions"])
        a["late_replies"] = self.late_replies
        a["server_calls"] = self.server_calls
        return a

    async def serve(self, conn: Any) -> None:
        loop = asyncio.get_running_loop()
        while True:
            msg = await loop.run_in_executor(None, conn.recv)
            cmd = msg.pop("cmd")
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            try:
                if cmd == "connect":
                    result = await self.cmd_connect(**msg)
                elif cmd == "heartbeat_all":
                    result = await self.cmd_heartbeat_all(**msg)
                elif cmd == "load":
                    result = await self.cmd_load(**msg)
                elif cmd == "storm":
                    result = await self.cmd_storm(**msg)
                elif cmd == "keep":
                    result = await self.cmd_keep(**msg)
                elif cmd == "close":
                    result = await self.cmd_close()
                elif cmd == "audit":
                    result = self.cmd_audit()
                elif cmd == "exit":
                    await self.cmd_close()
                    conn.send({"ok": True})
                    return
                else:
                    raise ValueError(cmd)
                result["ok"] = True
            except Exception as exc:  # report, don't die: the parent decides
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            result["worker"] = self.wid
            result["cpu_total_seconds"] = time.process_time() - cpu0
            result["wall_seconds"] = time.perf_counter() - t0
            conn.send(result)


def _connect_failure(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"http_{exc.response.status_code}"
    if isinstance(exc, TimeoutError):
        return "connect_timeout"
    if isinstance(exc, OSError):
        return f"os_{exc.errno}" if exc.errno else "os_error"
    return type(exc).__name__


def worker_main(conn: Any, wid: int, url: str, source: str | None, opts: dict[str, Any]) -> None:
    """Entry point of a worker process."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    random.seed(os.getpid())
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    runner(Worker(wid, url, source, opts).serve(conn))
