"""``chargeplane demo``: the server on SQLite plus a small simulated fleet, in one process.

The server (uvicorn ``Server.serve()``) runs in a thread with its own event loop, exactly as
``chargeplane serve`` would; the fleet runs in the main thread's loop and reaches it over real
WebSockets, like any charger. Keeping uvicorn off the main thread leaves Ctrl-C to the demo:
the first one stops the fleet cleanly (sessions stopped), then the server shuts down.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import uvicorn

from chargeplane.apikeys.service import ApiKeyService
from chargeplane.clock import SystemClock
from chargeplane.config import Settings
from chargeplane.db import Database
from chargeplane.organizations.repository import OrganizationRepository
from chargeplane.server import uvicorn_config
from chargeplane.simulator import Fleet, Scenario, describe, run_fleet
from chargeplane.tokens.repository import TokenRepository
from chargeplane.tokens.schemas import IdTokenCreate
from chargeplane.tokens.service import IdTokenService

__all__ = ["DEMO_DATABASE_URL", "curl_commands", "demo_settings", "run_demo"]

DEMO_DATABASE_URL = "sqlite+aiosqlite:///chargeplane-demo.db"
DEMO_SECRET_KEY_FILE = Path("chargeplane-demo.secret")
STARTUP_TIMEOUT = 60.0


class DemoError(Exception):
    pass


def demo_settings() -> Settings:
    """The environment's settings; the demo's own SQLite file and secret unless set there."""
    settings = Settings()
    update: dict[str, object] = {}
    if "CHARGEPLANE_DATABASE_URL" not in os.environ:
        update["database_url"] = DEMO_DATABASE_URL
    if "CHARGEPLANE_SECRET_KEY_FILE" not in os.environ:
        update["secret_key_file"] = DEMO_SECRET_KEY_FILE
    return settings.model_copy(update=update)


@contextmanager
def _server(settings: Settings, host: str, port: int) -> Iterator[None]:
    """The chargeplane server in a thread, until the block ends."""
    server = uvicorn.Server(uvicorn_config(settings, host=host, port=port, log_level="warning"))
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve()), name="chargeplane-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise DemoError(f"the server did not start (is port {port} in use?)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise DemoError("the server did not start in time")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def _prepare(settings: Settings, tags: list[str]) -> str:
    """A full+sensitive API key of the default organization, and the fleet's RFID tags as
    accepted tokens (so sessions are authorized and show their card)."""
    db = Database(settings.database_url)
    now = SystemClock().now()
    try:
        async with db.unit_of_work() as session:
            _key, plaintext = await ApiKeyService(session).create(
                organization=settings.default_organization,
                name="demo",
                scopes=["basic", "sensitive", "full"],
                now=now,
            )
            org_id = await OrganizationRepository(session).get_or_create(
                settings.default_organization, now=now
            )
            known = TokenRepository(session)
            tokens = IdTokenService(session)
            for number, tag in enumerate(tags, start=1):
                if await known.find(org_id, tag) is None:
                    body = IdTokenCreate(value=tag, name=f"Demo card {number}")
                    await tokens.create(org_id, body, now=now)
    finally:
        await db.dispose()
    return plaintext


def curl_commands(base: str, ocpp_ids: list[str]) -> list[str]:
    """Ready-to-paste commands (they read the key from ``$KEY``)."""
    auth = 'curl -s -H "Authorization: Bearer $KEY"'
    first, last = ocpp_ids[0], ocpp_ids[-1]
    commands = [
        f"{auth} {base}/api/v1/chargers",
        f"{auth} {base}/api/v1/chargers/by-ocpp-id/{first}",
    ]
    if last != first:
        commands.append(f"{auth} {base}/api/v1/chargers/by-ocpp-id/{last}")
    commands.append(f"{auth} {base}/compat/flipturn/api/chargers/by-ocpp-id/{first}")
    return commands


async def _run(settings: Settings, scenario: Scenario, base: str, out: TextIO) -> None:
    key = await _prepare(settings, scenario.rfid.pool)
    ids = [scenario.ocpp_id(n) for n in range(1, scenario.fleet.chargers + 1)]
    ocpp_url = base.replace("http://", "ws://", 1) + "/ocpp"
    lines = [
        "",
        "chargeplane demo",
        f"  server    {base}  (REST {base}/api/v1, docs {base}/docs, OCPP {ocpp_url}/{{id}})",
        f"  database  {settings.database_url}",
        f"  API key   {key}",
        f"            (organization {settings.default_organization!r}; scopes basic, full, "
        "sensitive)",
        "",
        "Try, in another terminal (append | python3 -m json.tool to pretty-print):",
        "",
        f"  export KEY={key}",
        *(f"  {command}" for command in curl_commands(base, ids)),
        "",
        describe(scenario, ocpp_url),
        "Ctrl-C stops the fleet (running sessions are stopped), then the server.",
        "",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()
    fleet = Fleet(scenario, ocpp_url)
    out.write(await run_fleet(fleet, out, title="demo fleet") + "\n")
    out.flush()


def run_demo(*, port: int = 8180, chargers: int = 3, host: str = "127.0.0.1") -> int:
    """Run the demo until Ctrl-C; the process exit status."""
    settings = demo_settings()
    scenario = Scenario.builtin("demo").with_overrides(chargers=chargers)
    base = f"http://{host}:{port}"
    out = sys.stdout
    try:
        with _server(settings, host, port):
            asyncio.run(_run(settings, scenario, base, out))
    except DemoError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        pass
    out.write("server stopped\n")
    return 0
