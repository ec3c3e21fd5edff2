"""The baseline the benchmark compares chargeplane with: the ``ocpp`` package's plain
``ocpp.v16.ChargePoint`` with trivial handlers, over the ``websockets`` library, with no
database (nothing is stored; transaction ids come from a counter).

The package's own JSON-schema validation stays on (that is what "plain" means); pings every
20 s as chargeplane's default. uvloop is used when installed, as uvicorn does for chargeplane.

    .venv/bin/python bench/baseline_server.py --host 127.0.0.1 --port 8190
"""

# ruff: noqa: T201  (a benchmark prints its figures)
from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import signal
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

_transaction_ids = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BaselineChargePoint(ChargePoint):  # type: ignore[misc]
    @on(Action.boot_notification)
    async def on_boot(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=_now(), interval=300, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    async def on_status(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.start_transaction)
    async def on_start(self, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(
            transaction_id=next(_transaction_ids),
            id_tag_info={"status": AuthorizationStatus.accepted},
        )

    @on(Action.meter_values)
    async def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop(self, **_: Any) -> call_result.StopTransaction:
        return call_result.StopTransaction()


async def handler(websocket: ServerConnection) -> None:
    path = websocket.request.path if websocket.request else ""
    if not path.startswith("/ocpp/") or websocket.subprotocol != "ocpp1.6":
        await websocket.close(code=1002)
        return
    charge_point = BaselineChargePoint(path.removeprefix("/ocpp/"), websocket)
    try:
        await charge_point.start()
    except ConnectionClosed:
        pass


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        host,
        port,
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        compression=None,
        ping_interval=20,
        ping_timeout=20,
        max_size=1 << 20,
        backlog=2048,
    ):
        print(f"baseline listening on ws://{host}:{port}/ocpp", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8190)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    try:
        import uvloop

        uvloop.run(main(args.host, args.port))
    except ImportError:
        asyncio.run(main(args.host, args.port))
