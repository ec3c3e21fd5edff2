"""The ``chargeplane`` command as an operator runs it: upgrade, create a key, serve."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from chargeplane.simulator import Station, StationConfig
from tests.e2e.helpers import eventually
from tests.support.server import free_port

CLI = [sys.executable, "-m", "chargeplane"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_upgrade_create_a_key_and_serve_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = os.environ | {
        "CHARGEPLANE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
        "CHARGEPLANE_NODE_NAME": "cli-node",
        "CHARGEPLANE_SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    upgraded = run(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr

    created = run(["apikey", "create", "--name", "ops", "--scope", "basic"], env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("cp_")
    assert key not in (tmp_path / "fresh.db").read_bytes().decode("latin-1")

    bad = run(["apikey", "create", "--name", "x", "--scope", "root"], env)
    assert bad.returncode != 0

    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as api:

            async def up() -> bool:
                try:
                    return (await api.get("/openapi.json")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, timeout=30, interval=0.1)
            async with Station(StationConfig(ocpp_id="CLI-1"), f"ws://127.0.0.1:{port}/ocpp") as cp:
                await cp.boot()
                await cp.status(1, "Available")
            response = await api.get(
                "/api/v1/chargers/by-ocpp-id/CLI-1", headers={"Authorization": f"Bearer {key}"}
            )
            assert response.status_code == 200
            body = response.json()
            assert body["connection"]["node_name"] == "cli-node"
            assert body["evses"][0]["ocpp_status"]["status"] == "Available"
    finally:
        server.terminate()
        output, _ = await asyncio.to_thread(server.communicate, timeout=30)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert "Traceback" not in output, output
