"""Reporting: machine facts, targets, the summary table, the plot, the profile summary."""

# ruff: noqa: T201  (a benchmark prints its figures)
from __future__ import annotations

import os
import platform
import resource
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
from _server import ROOT

ACTIONS = (
    "Heartbeat",
    "Authorize",
    "StartTransaction",
    "StatusNotification",
    "MeterValues",
    "StopTransaction",
)


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return (
            out.stdout.strip() + ("-dirty(src)" if dirty else "") if out.returncode == 0 else None
        )
    except OSError:
        return None


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            None,
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE),
    }


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    load = r.get("load")
    if load:
        sus = load.get("sustained_rate")
        out.append(
            {
                "target": "≥ 3,000 OCPP msg/s sustained",
                "measured": sus,
                "met": bool(sus and sus >= 3000),
            }
        )
        at = next((s for s in load["steps"] if s["requested_rate"] == 1500), None)
        p99 = at["overall"]["p99"] if at else None
        out.append(
            {
                "target": "p99 < 100 ms at 1,500 msg/s",
                "measured": p99 if at else "step not reached (saturated earlier)",
                "met": bool(
                    at
                    and p99 is not None
                    and p99 < 100
                    and at["achieved"] >= 0.95 * at["offered"]
                    and at["errors"] == 0
                    and at["timeouts"] == 0
                ),
            }
        )
    cap = r.get("capacity")
    if cap:
        hb = cap["heartbeat_check"]
        held = hb["answered"]  # connected and still answering at the end
        kib = cap.get("kib_per_charger")
        out.append(
            {"target": "≥ 15,000 concurrent chargers", "measured": held, "met": held >= 15000}
        )
        out.append(
            {
                "target": "≤ 40 KiB per charger",
                "measured": kib,
                "met": kib is not None and kib <= 40,
            }
        )
    storm = r.get("storm")
    if storm:
        t = storm["time_to_all_readmitted_s"]
        fails = sum(storm["failed_attempts"].values()) + storm["never_readmitted"]
        out.append(
            {
                "target": "10,000 re-admitted within 30 s of a mass reconnect, 0 failures",
                "measured": f"{storm['readmitted']}/{storm['chargers']} in {t} s "
                f"(spread {storm['spread_s']} s), {fails} failures",
                "met": storm["chargers"] >= 10000
                and storm["all_readmitted"]
                and t is not None
                and t <= 30
                and fails == 0,
            }
        )
    rest = r.get("rest")
    if rest and rest.get("under_load"):
        p99 = rest["under_load"]["get_charger"]["p99"]
        out.append(
            {
                "target": "REST GET charger p99 ≤ 20 ms at half OCPP capacity",
                "measured": p99,
                "met": p99 is not None and p99 <= 20,
            }
        )
    return out


def plot(r: dict[str, Any], path: Path) -> bool:
    load = r.get("load")
    if not load or not load["steps"]:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = load["steps"]
    x = [s["offered"] for s in steps]
    fig, (ax, ax2) = plt.subplots(
        2, 1, figsize=(9, 8), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    ax.plot(x, [s["overall"]["p50"] for s in steps], "o-", label="p50 (all actions)", lw=2)
    ax.plot(x, [s["overall"]["p99"] for s in steps], "s-", label="p99 (all actions)", lw=2)
    for action in ACTIONS:
        ys = [s["by_action"].get(action, {}).get("p99") for s in steps]
        if any(y is not None for y in ys):
            ax.plot(x, ys, ":", lw=1, label=f"p99 {action}")
    ax.axhline(
        load["p99_bound_ms"],
        color="grey",
        ls="--",
        lw=1,
        label=f"bound {load['p99_bound_ms']:g} ms",
    )
    ax.set_yscale("log")
    ax.set_ylabel("round trip (ms, log)")
    ax.set_title(
        f"{r['run']['label']}: OCPP round trip vs offered load "
        f"({r['run']['machine']['cpu_count']} cores, client on the same machine)"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax2.plot(x, [s["achieved"] for s in steps], "o-", label="answered msg/s")
    ax2.plot(x, x, "--", color="grey", lw=1, label="offered")
    ax2.plot(x, [s.get("server_cpu_pct") or 0 for s in steps], "^-", label="server CPU %")
    ax2.plot(x, [s.get("client_cpu_pct") or 0 for s in steps], "v-", label="client CPU %")
    ax2.set_xscale("log")
    ax2.set_xlabel("offered OCPP messages/s (log)")
    ax2.set_ylabel("msg/s | CPU %")
    ax2.grid(True, alpha=0.3)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _v(x: Any, unit: str = "") -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.1f}{unit}"
    if isinstance(x, int):
        return f"{x:,}{unit}"
    return f"{x}{unit}"


def summary_lines(r: dict[str, Any]) -> list[str]:
    """The markdown summary of one run (also what stdout shows)."""
    L = [f"### {r['run']['label']}", ""]
    L.append("| figure | value |")
    L.append("|---|---|")
    load = r.get("load")
    if load:
        L.append(
            f"| sustained OCPP rate (p99 ≤ {load['p99_bound_ms']:g} ms, no errors) | "
            f"{_v(load['sustained_rate'], ' msg/s')} |"
        )
        L.append(
            f"| highest answered rate without errors | "
            f"{_v(load['max_answered_rate_without_errors'], ' msg/s')} |"
        )
    cap = r.get("capacity")
    if cap:
        hb = cap["heartbeat_check"]
        L.append(
            f"| concurrent chargers held (cap {cap['cap']:,}) | {cap['connected']:,} "
            f"connected, {hb['answered']:,}/{hb['asked']:,} answered a final Heartbeat |"
        )
        L.append(
            f"| server memory per charger | {_v(cap['kib_per_charger'], ' KiB')} "
            f"(RSS {cap['server_rss_before_mib']} → {cap['server_rss_after_mib']} MiB) |"
        )
    storm = r.get("storm")
    if storm:
        L.append(
            f"| reconnect storm: {storm['chargers']:,} drop, reconnect over "
            f"{storm['spread_s']:g} s | {storm['readmitted']:,} re-admitted, all within "
            f"{_v(storm['time_to_all_readmitted_s'], ' s')} of the drop; p99 admission "
            f"{_v(storm['admission_ms']['p99'], ' ms')}; failed attempts "
            f"{sum(storm['failed_attempts'].values())}, never re-admitted "
            f"{storm['never_readmitted']} |"
        )
    rest = r.get("rest")
    if rest:
        for key, name in (("idle", "idle"), ("under_load", "under OCPP load")):
            part = rest.get(key)
            if not part or "get_charger" not in part:
                continue
            extra = f" ({part['ocpp_rate']:,.0f} msg/s)" if key == "under_load" else ""
            g, li = part["get_charger"], part["list_chargers_50"]
            L.append(
                f"| REST {name}{extra}: GET /chargers/{{id}} p50 / p99 / max | "
                f"{_v(g['p50'])} / {_v(g['p99'])} / {_v(g['max'])} ms (n {g['n']}) |"
            )
            L.append(
                f"| REST {name}{extra}: GET /chargers?limit=50 p50 / p99 / max | "
                f"{_v(li['p50'])} / {_v(li['p99'])} / {_v(li['max'])} ms (n {li['n']}) |"
            )
    a = r.get("audit")
    if a:
        L.append(f"| audit (store vs acknowledged) | {'PASS' if a['pass'] else 'FAIL'} |")
    L.append("")
    if load and load["steps"]:
        L.append(
            "| offered msg/s | answered msg/s | p50 ms | p90 ms | p99 ms | max ms | "
            "errors | timeouts | server CPU | client CPU | machine steal |"
        )
        L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for s in load["steps"]:
            o = s["overall"]
            L.append(
                f"| {s['offered']:,.0f} | {s['achieved']:,.0f} | {_v(o['p50'])} | "
                f"{_v(o['p90'])} | {_v(o['p99'])} | {_v(o['max'])} | {s['errors']} | "
                f"{s['timeouts']} | {_v(s['server_cpu_pct'], '%')} | "
                f"{_v(s['client_cpu_pct'], '%')} | {_v(s.get('steal_pct'), '%')} |"
            )
        L.append("")
    t = r.get("targets")
    if t:
        L.append("| target | measured | met |")
        L.append("|---|---|---|")
        for x in t:
            L.append(f"| {x['target']} | {_v(x['measured'])} | {'yes' if x['met'] else 'no'} |")
        L.append("")
    return L


def print_details(r: dict[str, Any]) -> None:
    load = r.get("load")
    if load:
        print("\nper-action round trip (ms) per step: p50 / p99 / max (n)")
        for s in load["steps"]:
            print(f"  offered {s['offered']:,.0f}/s:")
            for action, v in s["by_action"].items():
                print(
                    f"    {action:<20} {_v(v['p50']):>8} / {_v(v['p99']):>8} / "
                    f"{_v(v['max']):>8}  (n {v['n']})"
                )
            if s["error_samples"]:
                print(f"    error samples: {s['error_samples']}")
    a = r.get("audit")
    if a:
        print(f"\naudit: {'PASS' if a['pass'] else 'FAIL (the run is invalid)'}")
        for name, c in a["checks"].items():
            print(
                f"  {name:<15} {'PASS' if c['pass'] else 'FAIL'}  "
                f"{ {k: v for k, v in c.items() if k != 'pass'} }"
            )
    p = r.get("profile")
    if p and p.get("top_self_pct"):
        print(
            f"\nprofile ({p['samples']} samples at {p['rate']:,.0f} msg/s), self time by "
            f"package: {p['self_by_package_pct']}"
        )
        print("  top self:")
        for name, pct in p["top_self_pct"][:15]:
            print(f"    {pct:5.1f}%  {name}")
    elif p:
        print(f"\nprofile: {p.get('skipped')}")


def _short(frame: str) -> str:
    """py-spy's "function (package/module.py:123)" without the line number."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rstrip(')').rsplit(':', 1)[0]})"


def _package(frame: str) -> str:
    """The top-level package of a frame (``chargeplane.<subpackage>`` for our own code)."""
    _, _, where = frame.partition(" (")
    parts = Path(where.rstrip(")").rsplit(":", 1)[0]).parts
    if not parts:
        return "?"
    if parts[0] == "chargeplane" and len(parts) > 2:
        return f"chargeplane.{parts[1]}"
    return parts[0].removesuffix(".py")


def summarize_profile(collapsed: str) -> dict[str, Any]:
    """Top self and inclusive costs from py-spy's collapsed stacks."""
    self_t: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    pkg_self: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [
            f
            for f in stack.split(";")
            if f and not f.startswith("process ") and not f.startswith("thread ")
        ]
        if not frames:
            continue
        self_t[_short(frames[-1])] += n
        pkg_self[_package(frames[-1])] += n
        for f in set(map(_short, frames)):
            incl[f] += n

    def pct(c: Counter[str], k: int) -> list[list[Any]]:
        return [[name, round(100 * v / total, 1)] for name, v in c.most_common(k)] if total else []

    # Leave out the trunk every sample shares (CLI, uvicorn, the event loop).
    for name in [k for k, v in incl.items() if v >= 0.6 * total]:
        del incl[name]
    return {
        "samples": total,
        "top_self_pct": pct(self_t, 25),
        "top_inclusive_pct": pct(incl, 40),
        "self_by_package_pct": pct(pkg_self, 15),
    }
