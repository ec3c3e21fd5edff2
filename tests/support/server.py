"""A real chargeplane server on a free port, in a thread with its own event loop, so the
tests talk to it over real sockets exactly as chargers and API clients do."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from chargeplane.config import Settings
from chargeplane.server import uvicorn_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningServer:
    settings: Settings
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ocpp(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"


@contextmanager
def running_server(settings: Settings) -> Iterator[RunningServer]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn_config(settings, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("chargeplane server did not start")
        time.sleep(0.02)
    try:
        yield RunningServer(settings, port)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
