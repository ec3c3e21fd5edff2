"""chargeplane's benchmark: OCPP message rate and latency at stepped loads, concurrent
connections and memory per charger, a reconnect storm, REST latency idle and under load, and
an audit of the store afterwards.

    .venv/bin/python bench/run.py --db sqlite --quick      # ~3 minutes
    .venv/bin/python bench/run.py --db both                 # SQLite, then PostgreSQL
    .venv/bin/python bench/run.py --baseline                # the ocpp package's ChargePoint
    .venv/bin/python bench/run.py --target ws://host:port/ocpp   # any CSMS (OCPP parts only)

Writes bench/results/<timestamp>-<label>.json, …-latency.png and bench/results/latest.md.
See bench/README.md for what each figure means and the caveats.
"""

# ruff: noqa: T201  (a benchmark prints its figures)
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import _stats as st  # noqa: E402
import loadgen  # noqa: E402
from _audit import audit  # noqa: E402
from _report import (  # noqa: E402
    ACTIONS,
    git_commit,
    machine,
    plot,
    print_details,
    summarize_profile,
    summary_lines,
    targets,
)
from _server import (  # noqa: E402
    ROOT,
    Server,
    cleanup_server,
    log,
    start_baseline,
    start_chargeplane,
)

RESULTS = BENCH / "results"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


# --------------------------------------------------------------------------- workers


class Pool:
    """Load-generator worker processes, each driven over a pipe."""

    def __init__(self, n: int, url: str, opts: dict[str, Any]) -> None:
        ctx = mp.get_context("spawn")
        host = urlparse(url).hostname or ""
        loopback = host in ("127.0.0.1", "localhost")
        self.conns = []
        self.procs = []
        for w in range(n):
            parent, child = ctx.Pipe()
            # Own 127.0.0.x source address per worker: its own ephemeral port range.
            source = f"127.0.0.{10 + w}" if loopback else None
            p = ctx.Process(
                target=loadgen.worker_main, args=(child, w, url, source, opts), daemon=True
            )
            p.start()
            self.conns.append(parent)
            self.procs.append(p)

    @property
    def n(self) -> int:
        return len(self.conns)

    def send(self, cmds: list[dict[str, Any]]) -> None:
        for conn, cmd in zip(self.conns, cmds, strict=True):
            conn.send(cmd)

    def collect(self, timeout: float) -> list[dict[str, Any]]:
        end = time.time() + timeout
        results = []
        for conn in self.conns:
            left = max(0.1, end - time.time())
            if not conn.poll(left):
                raise TimeoutError("a load-generator worker did not answer in time")
            res = conn.recv()
            if not res.get("ok"):
                raise RuntimeError(f"worker {res.get('worker')}: {res.get('error')}")
            results.append(res)
        return results

    def run(self, cmds: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        self.send(cmds)
        return self.collect(timeout)

    def all(self, cmd: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
        return self.run([dict(cmd) for _ in range(self.n)], timeout)

    def cpu(self) -> float:
        total = 0.0
        for p in self.procs:
            with contextlib.suppress(psutil.Error):
                t = psutil.Process(p.pid).cpu_times()
                total += t.user + t.system
        return total

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(Exception):
                conn.send({"cmd": "exit"})
        for conn in self.conns:
            with contextlib.suppress(Exception):
                if conn.poll(30):
                    conn.recv()
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
                p.join(5)


def split(items: list[str], n: int) -> list[list[str]]:
    return [items[i::n] for i in range(n)]


# --------------------------------------------------------------------------- phases


@dataclass
class Config:
    quick: bool
    workers: int
    connectors: int
    load_chargers: int
    rates: list[int]
    warmup: float
    step_seconds: float
    p99_bound_ms: float
    capacity_cap: int
    capacity_steps: int
    capacity_seconds: float
    connect_concurrency: int
    storm_n: int
    storm_spread: float
    storm_deadline: float
    rest_requests: int
    rest_load_seconds: float
    rest_rate: float | None
    profile_seconds: float
    call_timeout: float
    phases: set[str] = field(default_factory=set)


def admit_all(
    pool: Pool, prefix: str, count: int, statuses: int, cfg: Config, deadline: float
) -> dict[str, Any]:
    ids = [f"{prefix}{i:06d}" for i in range(count)]
    per = split(ids, pool.n)
    res = pool.run(
        [
            {
                "cmd": "connect",
                "ids": p,
                "statuses": statuses,
                "concurrency": cfg.connect_concurrency,
                "deadline_s": deadline,
            }
            for p in per
        ],
        timeout=deadline + 120,
    )
    admit = sorted(x for r in res for x in r["admit_ms"])
    failures = st.merge_counts(r["failures"] for r in res)
    return {
        "asked": count,
        "connected": sum(r["connected"] for r in res),
        "not_attempted": failures.pop("deadline", 0),  # the time budget ran out first
        "failures": failures,
        "seconds": round(max(r["seconds"] for r in res), 2),
        "admit_ms": st.summarize(admit),
    }


def phase_capacity(pool: Pool, server: Server, cfg: Config) -> dict[str, Any]:
    """Ramp idle chargers (boot + one StatusNotification each) up to the cap."""
    log(f"capacity: ramping to {cfg.capacity_cap} idle chargers in {cfg.capacity_steps} steps")
    time.sleep(1)
    rss0 = server.rss()
    fds0 = server.fds()
    steps = []
    total = 0
    per_step = max(1, cfg.capacity_cap // cfg.capacity_steps)
    stopped = None
    budget_end = time.time() + cfg.capacity_seconds
    for k in range(cfg.capacity_steps):
        n = per_step if k < cfg.capacity_steps - 1 else cfg.capacity_cap - total
        left = budget_end - time.time()
        if left < 5:
            stopped = f"time budget of {cfg.capacity_seconds:g} s used up"
            break
        cpu0 = pool.cpu()
        res = admit_all(pool, f"BENCH-C{k:02d}-", n, 1, cfg, deadline=left)
        total += res["connected"]
        time.sleep(2)
        rss = server.rss()
        step = {
            "target": total if not res["failures"] else None,
            "connected_total": total,
            **res,
            "server_rss_mib": round(rss / 2**20, 1) if rss else None,
            "server_fds": server.fds(),
            "kib_per_charger_so_far": st.kib_per_item(rss0, rss, total) if rss and rss0 else None,
            "client_cpu_s": round(pool.cpu() - cpu0, 1),
        }
        steps.append(step)
        log(
            f"  step {k + 1}: +{res['connected']}/{n} in {res['seconds']} s "
            f"(admit p50 {res['admit_ms']['p50']} ms p99 {res['admit_ms']['p99']} ms), "
            f"total {total}, failures {res['failures']}, RSS {step['server_rss_mib']} MiB"
        )
        if not server.alive():
            stopped = "server died"
            break
        if res["not_attempted"]:
            stopped = f"time budget of {cfg.capacity_seconds:g} s used up"
            break
        if sum(res["failures"].values()) > 0.005 * n:
            stopped = "more than 0.5% of a step failed to connect"
            break
    time.sleep(2)
    rss1 = server.rss()
    log("capacity: one Heartbeat from every connected charger")
    hb = pool.all({"cmd": "heartbeat_all", "concurrency": 200}, timeout=600)
    hb_rtt = sorted(x for r in hb for x in r["rtt_ms"])
    result = {
        "cap": cfg.capacity_cap,
        "connected": total,
        "stopped_because": stopped,
        "server_rss_before_mib": round(rss0 / 2**20, 1) if rss0 else None,
        "server_rss_after_mib": round(rss1 / 2**20, 1) if rss1 else None,
        "server_fds_before": fds0,
        "kib_per_charger": st.kib_per_item(rss0, rss1, total) if rss0 and rss1 else None,
        "admissions_per_s": round(total / sum(x["seconds"] for x in steps), 1) if steps else None,
        "steps": steps,
        "heartbeat_check": {
            "asked": sum(r["asked"] for r in hb),
            "answered": sum(r["answered"] for r in hb),
            "failures": st.merge_counts(r["failures"] for r in hb),
            "rtt_ms": st.summarize(hb_rtt),
        },
    }
    log(
        f"capacity: {total} connected, {result['kib_per_charger']} KiB/charger, heartbeats "
        f"{result['heartbeat_check']['answered']}/{result['heartbeat_check']['asked']}"
    )
    return result


def phase_storm(pool: Pool, server: Server, cfg: Config, already: int) -> dict[str, Any]:
    """N connected chargers drop at once and reconnect spread over the given seconds."""
    n = cfg.storm_n
    per = [n // pool.n + (1 if w < n % pool.n else 0) for w in range(pool.n)]
    if already < n:
        log(f"storm: connecting {n - already} more chargers first")
        admit_all(pool, "BENCH-S-", n - already, cfg.connectors + 1, cfg, deadline=600)
    res = pool.run([{"cmd": "keep", "n": k} for k in per], timeout=120)
    kept = sum(r["kept"] for r in res)
    time.sleep(2)
    log(
        f"storm: {kept} chargers drop at once, reconnect spread over {cfg.storm_spread} s "
        f"(Boot + {cfg.connectors + 1} StatusNotifications each)"
    )
    cpu0 = server.cpu()
    ccpu0 = pool.cpu()
    t0 = time.time()
    res = pool.all(
        {
            "cmd": "storm",
            "spread": cfg.storm_spread,
            "statuses": cfg.connectors + 1,
            "deadline_s": cfg.storm_deadline,
            "open_timeout": 30,
        },
        timeout=cfg.storm_deadline + 180,
    )
    wall = time.time() - t0
    readmit = sorted(x for r in res for x in r["readmit_s"])
    attempt = sorted(x for r in res for x in r["attempt_ms"])
    readmitted = sum(r["readmitted"] for r in res)
    out = {
        "chargers": sum(r["chargers"] for r in res),
        "spread_s": cfg.storm_spread,
        "deadline_s": cfg.storm_deadline,
        "statuses_per_charger": cfg.connectors + 1,
        "readmitted": readmitted,
        "never_readmitted": sum(r["never_readmitted"] for r in res),
        "attempts": sum(r["attempts"] for r in res),
        "failed_attempts": st.merge_counts(r["failures"] for r in res),
        "time_to_all_readmitted_s": round(readmit[-1], 2) if readmit else None,
        "readmitted_within_30s": sum(1 for x in readmit if x <= 30.0),
        "readmit_after_drop_s": {
            k: (None if v is None else round(v / 1000, 3))
            for k, v in st.summarize(x * 1000 for x in readmit).items()
            if k != "n"
        },
        "admission_ms": st.summarize(attempt),
        "server_cpu_s": round(server.cpu() - cpu0, 1) if cpu0 is not None else None,
        "client_cpu_s": round(pool.cpu() - ccpu0, 1),
        "wall_s": round(wall, 1),
    }
    out["all_readmitted"] = readmitted == out["chargers"]
    log(
        f"storm: {readmitted}/{out['chargers']} re-admitted, all within "
        f"{out['time_to_all_readmitted_s']} s of the drop; failed attempts "
        f"{out['failed_attempts']}; admission p99 {out['admission_ms']['p99']} ms"
    )
    return out


def merge_load(res: list[dict[str, Any]], rate: float, duration: float) -> dict[str, Any]:
    rtts = st.merge_lists(r["rtt_ms"] for r in res)
    overall = [x for v in rtts.values() for x in v]
    errors = st.merge_counts(r["errors"] for r in res)
    offered = sum(r["offered_in_window"] for r in res) / duration
    answered = sum(r["answered_in_window"] for r in res)
    return {
        "offered": round(offered, 1),
        "requested_rate": rate,
        "achieved": round(answered / duration, 1),
        "answered": answered,
        "unsent": sum(r["unsent"] for r in res),
        "errors": sum(errors.values()),
        "errors_by_action": errors,
        "error_samples": [s for r in res for s in r["error_samples"]][:5],
        "timeouts": sum(r["timeouts"] for r in res),
        "disconnects": sum(r["disconnects"] for r in res),
        "overall": st.summarize(overall),
        "by_action": {a: st.summarize(rtts.get(a, [])) for a in ACTIONS if a in rtts},
        "chargers": sum(r["chargers"] for r in res),
        "client_cpu_s": round(sum(r["cpu_seconds"] for r in res), 2),
    }


def load_step(
    pool: Pool,
    server: Server,
    rate: float,
    warmup: float,
    duration: float,
    cfg: Config,
    during: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    per = rate / pool.n
    pool.send(
        [
            {"cmd": "load", "rate": per, "warmup": warmup, "duration": duration}
            for _ in range(pool.n)
        ]
    )
    time.sleep(warmup)
    cpu0, ccpu0, t0, machine0 = server.cpu(), pool.cpu(), time.time(), psutil.cpu_times()
    extra = during() if during else None
    left = duration - (time.time() - t0)
    if left > 0:
        time.sleep(left)
    cpu1, ccpu1, t1, machine1 = server.cpu(), pool.cpu(), time.time(), psutil.cpu_times()
    res = pool.collect(timeout=cfg.call_timeout + 60)
    step = merge_load(res, rate, duration)
    step["server_cpu_pct"] = (
        round(100 * (cpu1 - cpu0) / (t1 - t0), 1) if cpu0 is not None and cpu1 is not None else None
    )
    step["client_cpu_pct"] = round(100 * (ccpu1 - ccpu0) / (t1 - t0), 1)
    step["steal_pct"] = steal_pct(machine0, machine1)
    rss = server.rss()
    step["server_rss_mib"] = round(rss / 2**20, 1) if rss else None
    if extra is not None:
        step["during"] = extra
    return step


def steal_pct(before: Any, after: Any) -> float | None:
    """Percent of the machine's CPU time the hypervisor gave to others over the window
    (Linux's ``steal``; None where the kernel does not report it). On a shared VM a step
    with much steal measured the neighbours as well: read it as noise."""
    if not hasattr(before, "steal"):
        return None
    total = sum(after) - sum(before)
    return round(100 * (after.steal - before.steal) / total, 1) if total > 0 else None


def fmt_step(s: dict[str, Any]) -> str:
    o = s["overall"]
    return (
        f"offered {s['offered']:7.1f}/s achieved {s['achieved']:7.1f}/s  p50 {o['p50']} "
        f"p90 {o['p90']} p99 {o['p99']} max {o['max']} ms  errors {s['errors']} timeouts "
        f"{s['timeouts']} unsent {s['unsent']}  server CPU {s['server_cpu_pct']}% "
        f"client CPU {s['client_cpu_pct']}%  steal {s.get('steal_pct')}%"
    )


def load_setup(pool: Pool, cfg: Config) -> dict[str, Any]:
    log(
        f"load: admitting {cfg.load_chargers} chargers "
        f"(Boot + StatusNotification 0..{cfg.connectors})"
    )
    setup = admit_all(pool, "BENCH-L-", cfg.load_chargers, cfg.connectors + 1, cfg, deadline=600)
    log(
        f"load: {setup['connected']} admitted in {setup['seconds']} s, failures {setup['failures']}"
    )
    return setup


def phase_load(pool: Pool, server: Server, cfg: Config, setup: dict[str, Any]) -> dict[str, Any]:
    steps = []
    for rate in cfg.rates:
        step = load_step(pool, server, rate, cfg.warmup, cfg.step_seconds, cfg)
        steps.append(step)
        log(f"  {fmt_step(step)}")
        if not server.alive():
            log("load: the server died")
            break
        if st.saturated(step, p99_bound_ms=cfg.p99_bound_ms):
            log("load: saturated; stop stepping")
            break
    sustained = st.sustained_rate(steps, p99_bound_ms=cfg.p99_bound_ms)
    clean = [s["achieved"] for s in steps if s["errors"] == 0 and s["timeouts"] == 0]
    return {
        "setup": setup,
        "mix": list(loadgen.CYCLE),
        "sampled_values_per_meter_values": loadgen.VALUES_PER_METER_VALUES,
        "p99_bound_ms": cfg.p99_bound_ms,
        "warmup_s": cfg.warmup,
        "step_s": cfg.step_seconds,
        "steps": steps,
        "sustained_rate": sustained,
        "max_answered_rate_without_errors": max(clean) if clean else None,
    }


class Rest:
    def __init__(self, base: str, key: str) -> None:
        u = urlparse(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, path: str) -> tuple[int, bytes, float]:
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            resp = self.conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            return 0, b"", (time.perf_counter() - t0) * 1000
        return resp.status, body, (time.perf_counter() - t0) * 1000


def rest_ids(rest: Rest) -> list[int]:
    status, body, _ = rest.get("/api/v1/chargers?limit=500")
    if status != 200:
        raise RuntimeError(f"GET /api/v1/chargers: HTTP {status}: {body[:200]!r}")
    return [c["id"] for c in json.loads(body)["data"]]


def rest_series(rest: Rest, ids: list[int], n: int, until: float | None = None) -> dict[str, Any]:
    """``n`` sequential GET /chargers/{id} then ``n`` GET /chargers?limit=50, one connection."""
    out: dict[str, Any] = {}
    for name, path_of in (
        ("get_charger", lambda i: f"/api/v1/chargers/{ids[i % len(ids)]}"),
        ("list_chargers_50", lambda _i: "/api/v1/chargers?limit=50"),
    ):
        lat: list[float] = []
        bad: Counter[int] = Counter()
        for i in range(n):
            if until is not None and time.time() > until:
                break
            status, _, ms = rest.get(path_of(i))
            if status == 200:
                lat.append(ms)
            else:
                bad[status] += 1
        out[name] = {**st.summarize(lat), "non_200": dict(bad)}
    return out


def phase_rest(
    pool: Pool | None, server: Server, cfg: Config, rate: float | None
) -> dict[str, Any]:
    """Sequential REST reads: idle (``pool`` None) or while OCPP load runs at ``rate``."""
    assert server.http_base
    assert server.api_key
    rest = Rest(server.http_base, server.api_key)
    ids = rest_ids(rest)
    if not ids:
        return {"skipped": "no chargers stored yet"}
    for i in range(20):  # warm the route and the connection
        rest.get(f"/api/v1/chargers/{ids[i % len(ids)]}")
    if pool is None or not rate:
        log(f"rest: {cfg.rest_requests} sequential requests each, idle")
        cpu0, t0 = server.cpu(), time.time()
        idle = rest_series(rest, ids, cfg.rest_requests)
        cpu1, t1 = server.cpu(), time.time()
        if cpu0 is not None and cpu1 is not None:
            idle["server_cpu_pct"] = round(100 * (cpu1 - cpu0) / (t1 - t0), 1)
        log(
            f"  idle: GET one p50 {idle['get_charger']['p50']} p99 "
            f"{idle['get_charger']['p99']} ms; list p50 {idle['list_chargers_50']['p50']} "
            f"p99 {idle['list_chargers_50']['p99']} ms"
        )
        return {"requests_per_series": cfg.rest_requests, "charger_ids_sampled": len(ids), **idle}
    log(
        f"rest: {cfg.rest_requests} sequential requests each while OCPP load runs at "
        f"{rate:.0f} msg/s" + (" (--rest-rate)" if cfg.rest_rate else " (half of capacity)")
    )
    duration = cfg.rest_load_seconds

    def during() -> dict[str, Any]:
        return rest_series(rest, ids, cfg.rest_requests, until=time.time() + duration - 0.5)

    step = load_step(pool, server, rate, cfg.warmup, duration, cfg, during=during)
    loaded = step.pop("during")
    log(
        f"  under load: GET one p50 {loaded['get_charger']['p50']} p99 "
        f"{loaded['get_charger']['p99']} ms (n {loaded['get_charger']['n']}); list p50 "
        f"{loaded['list_chargers_50']['p50']} p99 {loaded['list_chargers_50']['p99']} ms; "
        f"OCPP {fmt_step(step)}"
    )
    return {"ocpp_rate": round(rate, 1), **loaded, "ocpp": step}


def phase_profile(
    pool: Pool, server: Server, cfg: Config, rate: float, label: str, stamp: str
) -> dict[str, Any]:
    # On PATH, beside the Python running this (a venv used from a git worktree), or in the
    # checkout's own .venv.
    beside = Path(sys.executable).parent / "py-spy"
    pyspy = shutil.which("py-spy") or str(
        beside if beside.exists() else ROOT / ".venv" / "bin" / "py-spy"
    )
    if not Path(pyspy).exists() or server.pid is None:
        return {"skipped": "py-spy not installed"}
    svg = RESULTS / f"{stamp}-profile-{label}.svg"
    raw = RESULTS / f"{stamp}-profile-{label}.txt"
    dur = int(cfg.profile_seconds)
    log(f"profile: py-spy for {dur} s while OCPP load runs at {rate:.0f} msg/s")
    common = ["--pid", str(server.pid), "--duration", str(dur), "--rate", "100", "--nonblocking"]
    procs = [
        subprocess.Popen(
            [pyspy, "record", "-o", str(svg), *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ),
        subprocess.Popen(
            [pyspy, "record", "--format", "raw", "-o", str(raw), *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ),
    ]
    step = load_step(pool, server, rate, 1.0, dur + 2, cfg)
    errs = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        if p.returncode:
            errs.append(err.decode(errors="replace")[-500:])
    if errs or not raw.exists():
        return {"skipped": "py-spy failed: " + " | ".join(errs)}
    return {
        "svg": str(svg.relative_to(ROOT)),
        "collapsed": str(raw.relative_to(ROOT)),
        "rate": round(rate, 1),
        "seconds": dur,
        "ocpp": {k: step[k] for k in ("achieved", "overall", "server_cpu_pct")},
        **summarize_profile(raw.read_text(errors="replace")),
    }


# --------------------------------------------------------------------------- main


def bench_one(
    label: str, server: Server, cfg: Config, stamp: str, argv: list[str]
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "run": {
            "label": label,
            "server": server.kind,
            "ocpp_url": server.ocpp_url,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(["python", "bench/run.py", *argv]),
            "chargeplane_commit": git_commit(),
            "machine": machine(),
            "note": "load generator and server share this machine's cores; "
            "client CPU is reported beside server CPU",
        },
        "config": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(cfg).items()},
        "valid": True,
        "problems": [],
    }
    opts = {"call_timeout": cfg.call_timeout, "connectors": cfg.connectors}
    pool = Pool(cfg.workers, server.ocpp_url, opts)
    acked: list[dict[str, Any]] = []
    try:
        rss = server.rss()
        r["run"]["server_rss_start_mib"] = round(rss / 2**20, 1) if rss else None
        rest_on = "rest" in cfg.phases and server.http_base is not None
        # Part A on a fresh server: message rate, REST, profile.
        if "load" in cfg.phases or rest_on:
            setup = load_setup(pool, cfg)
            if rest_on and server.alive():
                time.sleep(2)
                r["rest"] = {"idle": phase_rest(None, server, cfg, None)}
            if "load" in cfg.phases and server.alive():
                r["load"] = phase_load(pool, server, cfg, setup)
                lo = r["load"]
                cap = lo["sustained_rate"] or lo["max_answered_rate_without_errors"]
                if rest_on and server.alive() and cap:
                    rate = cfg.rest_rate or cap / 2
                    r["rest"]["under_load"] = phase_rest(pool, server, cfg, rate)
                if cfg.profile_seconds > 0 and server.proc and server.alive() and cap:
                    r["profile"] = phase_profile(pool, server, cfg, cap, label, stamp)
            pool.all({"cmd": "close"}, timeout=300)
        # Part B on a restarted server (a fresh heap for the memory figure; same store).
        if {"capacity", "storm"} & cfg.phases and server.alive():
            if server.proc is not None and ("load" in cfg.phases or rest_on):
                log("restarting the server for the connection parts")
                time.sleep(2)
                server.restart()
            connected = 0
            if "capacity" in cfg.phases:
                r["capacity"] = phase_capacity(pool, server, cfg)
                connected = r["capacity"]["connected"]
            if "storm" in cfg.phases and server.alive():
                r["storm"] = phase_storm(pool, server, cfg, connected)
            pool.all({"cmd": "close"}, timeout=300)
        acked = pool.all({"cmd": "audit"}, timeout=120)
    except Exception as exc:
        r["valid"] = False
        r["problems"].append(f"{type(exc).__name__}: {exc}")
        log(f"run aborted: {type(exc).__name__}: {exc}")
    finally:
        pool.close()
    if not server.alive():
        r["valid"] = False
        r["problems"].append("server process exited during the run:\n" + server.log_tail())
    rss = server.rss() if server.alive() else None
    r["run"]["server_rss_end_mib"] = round(rss / 2**20, 1) if rss else None
    r["run"]["server_restarts"] = server.restarts
    if server.kind == "chargeplane":
        server.stop()  # graceful: the message log is flushed
        if "audit" in cfg.phases and acked:
            log("audit: comparing the store with what was acknowledged")
            r["audit"] = audit(server, acked)
            if not r["audit"]["pass"]:
                r["valid"] = False
                r["problems"].append("audit FAILED: the store lacks acknowledged work")
        text = server.log_path.read_text(errors="replace") if server.log_path else ""
        r["server_log"] = {
            "errors": text.count("ERROR"),
            "tracebacks": text.count("Traceback"),
            "first_error": next((ln for ln in text.splitlines() if "ERROR" in ln), None),
        }
    r["targets"] = targets(r)
    r["run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return r


def build_config(a: argparse.Namespace) -> Config:
    q = a.quick
    rates = (
        [int(x) for x in a.rates.split(",")]
        if a.rates
        else (
            [50, 100, 250, 500, 1000, 1500, 2000, 3000]
            if q
            else [50, 100, 200, 350, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000]
        )
    )
    phases = (
        set(a.phases.split(",")) if a.phases else {"load", "capacity", "storm", "rest", "audit"}
    )
    return Config(
        quick=q,
        workers=a.workers,
        connectors=a.connectors,
        load_chargers=a.load_chargers or (300 if q else 2000),
        rates=rates,
        warmup=a.warmup if a.warmup is not None else (1.5 if q else 3.0),
        step_seconds=a.step_seconds or (5.0 if q else 12.0),
        p99_bound_ms=a.p99_bound_ms,
        capacity_cap=a.capacity or (1000 if q else 15000),
        capacity_steps=a.capacity_steps or (2 if q else 5),
        capacity_seconds=a.capacity_seconds or (60.0 if q else 360.0),
        connect_concurrency=a.connect_concurrency,
        storm_n=a.storm or (500 if q else 10000),
        storm_spread=a.storm_spread if a.storm_spread is not None else (5.0 if q else 10.0),
        storm_deadline=a.storm_deadline or (60.0 if q else 180.0),
        rest_requests=a.rest_requests or (100 if q else 300),
        rest_load_seconds=a.rest_load_seconds or (8.0 if q else 25.0),
        rest_rate=a.rest_rate,
        profile_seconds=a.profile_seconds
        if a.profile_seconds is not None
        else (6.0 if q else 20.0),
        call_timeout=a.call_timeout,
        phases=phases,
    )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        description="chargeplane benchmark", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("CHARGEPLANE_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="PostgreSQL server; a fresh database is created and dropped there",
    )
    p.add_argument(
        "--baseline",
        action="store_true",
        help="benchmark bench/baseline_server.py (ocpp ChargePoint, no database)",
    )
    p.add_argument(
        "--target", help="benchmark a running CSMS at this ws://…/ocpp URL (OCPP parts only)"
    )
    p.add_argument("--quick", action="store_true", help="a reduced run (~3 minutes)")
    p.add_argument("--phases", help="comma list of load,capacity,storm,rest,audit")
    p.add_argument("--workers", type=int, default=4, help="load-generator processes")
    p.add_argument("--connectors", type=int, default=2, help="connectors per charger")
    p.add_argument("--load-chargers", type=int)
    p.add_argument("--rates", help="offered loads, msg/s, comma separated")
    p.add_argument("--warmup", type=float)
    p.add_argument("--step-seconds", type=float)
    p.add_argument(
        "--p99-bound-ms", type=float, default=500.0, help="p99 bound of a sustained step"
    )
    p.add_argument("--capacity", type=int, help="cap of the connection ramp")
    p.add_argument("--capacity-steps", type=int)
    p.add_argument(
        "--capacity-seconds",
        type=float,
        help="time budget of the connection ramp (the ramp stops when used up)",
    )
    p.add_argument(
        "--connect-concurrency",
        type=int,
        default=64,
        help="handshakes in flight per worker while ramping",
    )
    p.add_argument("--storm", type=int, help="chargers in the reconnect storm")
    p.add_argument(
        "--storm-spread",
        type=float,
        help="seconds the reconnects are spread over (0 = all at once)",
    )
    p.add_argument("--storm-deadline", type=float)
    p.add_argument("--rest-requests", type=int)
    p.add_argument("--rest-load-seconds", type=float)
    p.add_argument(
        "--rest-rate",
        type=float,
        help="OCPP msg/s while REST is measured under load (default: half the sustained rate)",
    )
    p.add_argument("--profile-seconds", type=float, help="py-spy window (0: no profile)")
    p.add_argument("--call-timeout", type=float, default=30.0)
    a = p.parse_args(argv)
    cfg = build_config(a)
    RESULTS.mkdir(parents=True, exist_ok=True)

    if a.target:
        runs = [("target", None)]
        cfg.phases -= {"rest", "audit"}
        cfg.profile_seconds = 0
    elif a.baseline:
        runs = [("baseline", None)]
        cfg.phases -= {"rest", "audit"}
    else:
        runs = [(d, d) for d in (["sqlite", "postgres"] if a.db == "both" else [a.db])]

    md = [
        f"## Benchmark — {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"Command: `.venv/bin/python bench/run.py {' '.join(argv)}`",
        "",
    ]
    status = 0
    for label, db in runs:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        server: Server | None = None
        try:
            if a.target:
                server = Server("target", a.target)
            elif a.baseline:
                log("starting bench/baseline_server.py")
                server = start_baseline()
            else:
                assert db is not None
                log(f"starting chargeplane serve on {db}")
                server = start_chargeplane(db, a.pg_url, stamp)
            log(f"server under test: {server.kind} at {server.ocpp_url} (pid {server.pid})")
            r = bench_one(
                label if label != "target" else f"target {a.target}", server, cfg, stamp, argv
            )
        finally:
            if server is not None:
                cleanup_server(server)
        json_path = RESULTS / f"{stamp}-{label}.json"
        png_path = RESULTS / f"{stamp}-{label}-latency.png"
        if plot(r, png_path):
            r["run"]["plot"] = str(png_path.relative_to(ROOT))
        json_path.write_text(json.dumps(r, indent=2, default=str))
        lines = summary_lines(r)
        print()
        print("\n".join(lines))
        print_details(r)
        print(f"\nvalid: {r['valid']}  problems: {r['problems'] or 'none'}")
        print(
            f"written: {json_path.relative_to(ROOT)}"
            + (f", {png_path.relative_to(ROOT)}" if r["run"].get("plot") else "")
        )
        md += lines
        validity = "yes" if r["valid"] else "NO: " + "; ".join(p[:80] for p in r["problems"])
        md += [
            f"JSON: `{json_path.relative_to(ROOT)}`; commit `{r['run']['chargeplane_commit']}`; "
            f"{r['run']['machine']['cpu_count']} cores, Python {r['run']['machine']['python']}"
            f"; valid: {validity}",
            "",
        ]
        if not r["valid"]:
            status = 1
    md.append(
        "The load generator runs on the same machine and shares its cores with the "
        "server; see bench/README.md."
    )
    (RESULTS / "latest.md").write_text("\n".join(md) + "\n")
    print(f"written: {(RESULTS / 'latest.md').relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
