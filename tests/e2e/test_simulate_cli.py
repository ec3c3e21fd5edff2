"""``chargeplane simulate`` as an operator runs it, against a running server."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from chargeplane.cli import app
from chargeplane.db import Database
from tests.conftest import Tenant
from tests.support import factories
from tests.support.server import RunningServer

CLI = [sys.executable, "-m", "chargeplane", "simulate"]

SCENARIO = """
name = "cli-test"
[fleet]
chargers = 5
speed = 1
[[models]]
evses = 2
meter_interval = "20s"
[sessions]
at = ["10s"]
duration = "2m"
[rfid]
tags = {tags}
"""


async def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return await asyncio.to_thread(
        subprocess.run,
        [*CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def table(output: str) -> dict[str, str]:
    """The summary's rows: name → value."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in lines[start:] if line]
    return {name: value for name, value in rows}


async def test_simulate_runs_a_fleet_and_prints_a_summary(
    server: RunningServer, db: Database, default_tenant: Tenant, tmp_path: Path
) -> None:
    tags = [factories.unique("cli") for _ in range(2)]
    for tag in tags:
        await factories.id_token(db, organization_id=default_tenant.id, value=tag)
    path = tmp_path / "cli.toml"
    path.write_text(SCENARIO.format(tags=str(tags).replace("'", '"')))
    prefix = factories.unique("SIM") + "-"

    done = await simulate(
        "--url", server.ocpp, "--scenario", str(path), "--chargers", "2",
        "--duration", "3m", "--speed", "90", "--seed", "3", "--id-prefix", prefix,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0].startswith(f"simulating 2 chargers {prefix}001… of scenario")
    assert "00:03:00 at x90" in out
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert progress, out  # plain lines when stdout is not a terminal
    assert "connected" in progress[-1]
    assert "msgs" in progress[-1]
    assert "\r" not in out
    assert re.search(r"scenario 'cli-test' — 00:0[34]:\d\d simulated in \d+\.\d s", out)
    rows = table(out)
    assert rows["chargers"] == "2"
    assert rows["connections"] == "2"
    assert rows["sessions started"] == rows["sessions stopped"] == "4"
    assert rows["CALLERRORs"] == "0"
    assert rows["lost (connection/timeout)"] == "0"
    assert int(rows["messages sent"]) == int(rows["answered (CALLRESULT)"]) > 20
    assert rows["StartTransaction"] == "4"
    assert float(rows["energy delivered"].split()[0]) > 0
    assert "Traceback" not in done.stderr


def test_simulate_names_a_bad_scenario_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[fleet]\nchargerz = 3\n")
    done = CliRunner().invoke(
        app, ["simulate", "--url", "ws://127.0.0.1:9/ocpp", "--scenario", str(path)]
    )
    assert done.exit_code == 2
    assert f"error: {path}: fleet.chargerz: unknown key" in done.stderr


def test_simulate_fails_when_no_charger_can_connect() -> None:
    args = ["simulate", "--url", "ws://127.0.0.1:9/ocpp", "--duration", "1", "--chargers", "2"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1
    rows = table(done.stdout)
    assert rows["connections"] == "0"
    assert int(rows["failed connection attempts"]) >= 2
