"""The audit: what the simulated chargers had acknowledged against what the store holds.
A CALLRESULT promises the data is committed, so every acknowledged fact must be there."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from typing import Any

import loadgen
from _server import Server, pg_plain


def _db_query(db_url: str, queries: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    if db_url.startswith("sqlite"):
        path = db_url.split(":///", 1)[1]
        con = sqlite3.connect(path)
        try:
            return {k: con.execute(q).fetchall() for k, q in queries.items()}
        finally:
            con.close()
    import asyncpg

    async def run() -> dict[str, list[tuple[Any, ...]]]:
        con = await asyncpg.connect(pg_plain(db_url))
        try:
            return {k: [tuple(r) for r in await con.fetch(q)] for k, q in queries.items()}
        finally:
            await con.close()

    return asyncio.run(run())


def audit(server: Server, acked: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare what the chargers had acknowledged with what the store holds."""
    assert server.db_url
    sessions: dict[int, list[Any]] = {}
    booted: set[str] = set()
    sums: Counter[str] = Counter()
    for a in acked:
        sessions.update(a["sessions"])
        booted.update(a["booted"])
        for k in (
            "status_acked",
            "values_acked",
            "heartbeats_acked",
            "calls_acked",
            "calls_sent",
            "starts_unacked",
            "stops_unacked",
            "late_replies",
        ):
            sums[k] += a[k]
    rows = _db_query(
        server.db_url,
        {
            "sessions": "SELECT s.id, c.ocpp_id, s.meter_start, s.meter_stop, s.state "
            "FROM charging_sessions s JOIN chargers c ON c.id = s.charger_id",
            "readings": "SELECT count(*) FROM meter_readings",
            "status": "SELECT count(*) FROM status_events",
            "chargers": "SELECT ocpp_id, vendor, model, last_boot_at FROM chargers "
            "WHERE ocpp_id LIKE 'BENCH-%'",
            "calls_in": "SELECT count(*) FROM ocpp_messages WHERE direction = 'in' "
            "AND message_type = 2",
            "results_out": "SELECT count(*) FROM ocpp_messages WHERE direction = 'out' "
            "AND message_type = 3",
        },
    )
    stored = {r[0]: r for r in rows["sessions"]}
    missing, wrong_charger, wrong_start, wrong_stop = [], [], [], []
    for tx, (ocpp_id, meter_start, meter_stop) in sessions.items():
        row = stored.get(int(tx))
        if row is None:
            missing.append(tx)
            continue
        if row[1] != ocpp_id:
            wrong_charger.append(tx)
        if row[2] != meter_start:
            wrong_start.append(tx)
        if meter_stop is not None and (row[3] != meter_stop or row[4] != "completed"):
            wrong_stop.append(tx)
    chargers = {r[0]: r for r in rows["chargers"]}
    boot_missing = [
        i
        for i in booted
        if i not in chargers
        or chargers[i][1] != loadgen.VENDOR
        or chargers[i][2] != loadgen.MODEL
        or chargers[i][3] is None
    ]
    readings, status = rows["readings"][0][0], rows["status"][0][0]
    calls_in, results_out = rows["calls_in"][0][0], rows["results_out"][0][0]
    checks = {
        "sessions": {
            "acknowledged": len(sessions),
            "stops_acknowledged": sum(1 for v in sessions.values() if v[2] is not None),
            "stored": len(stored),
            "missing": len(missing),
            "wrong_charger": len(wrong_charger),
            "wrong_meter_start": len(wrong_start),
            "wrong_meter_stop": len(wrong_stop),
            "examples": [int(x) for x in (missing + wrong_start + wrong_stop)[:5]],
            "pass": not (missing or wrong_charger or wrong_start or wrong_stop),
        },
        "meter_readings": {
            "acknowledged_values": sums["values_acked"],
            "stored": readings,
            "pass": readings >= sums["values_acked"],
        },
        "status_events": {
            "acknowledged": sums["status_acked"],
            "stored": status,
            "pass": status >= sums["status_acked"],
        },
        "boot_facts": {
            "chargers_booted": len(booted),
            "missing_or_wrong": len(boot_missing),
            "examples": sorted(boot_missing)[:5],
            "pass": not boot_missing,
        },
        "message_log": {
            "calls_acknowledged": sums["calls_acked"],
            "calls_logged": calls_in,
            "callresults_logged": results_out,
            "pass": calls_in >= sums["calls_acked"] and results_out >= sums["calls_acked"],
        },
    }
    ok = all(c["pass"] for c in checks.values())
    return {"pass": ok, "checks": checks, "generator": dict(sums)}
