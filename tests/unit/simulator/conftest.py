"""A tiny recording CSMS for fleet tests: canned answers, transaction ids counted up."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

CURRENT_TIME = "2025-01-01T12:00:00Z"


@dataclass
class Received:
    ocpp_id: str
    connection: int
    """Which connection of this charger (1 = first) carried the CALL."""
    action: str
    payload: dict[str, Any]
    at: float


@dataclass
class FakeCSMS:
    url: str = ""
    calls: list[Received] = field(default_factory=list)
    connections: dict[str, int] = field(default_factory=dict)
    heartbeat_interval: int = 60
    authorize: Callable[[str], str] = lambda tag: "Accepted"
    errors: dict[str, str] = field(default_factory=dict)
    """Action → CALLERROR code to answer with."""
    _next_tx: int = 100

    def answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if action == "BootNotification":
            return {
                "status": "Accepted",
                "currentTime": CURRENT_TIME,
                "interval": self.heartbeat_interval,
            }
        if action == "Heartbeat":
            return {"currentTime": CURRENT_TIME}
        if action == "Authorize":
            return {"idTagInfo": {"status": self.authorize(payload["idTag"])}}
        if action == "StartTransaction":
            self._next_tx += 1
            status = self.authorize(payload["idTag"])
            return {"transactionId": self._next_tx, "idTagInfo": {"status": status}}
        if action == "StopTransaction":
            return {"idTagInfo": {"status": "Accepted"}}
        return {}

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        ocpp_id = ws.request.path.rsplit("/", 1)[-1]
        number = self.connections[ocpp_id] = self.connections.get(ocpp_id, 0) + 1
        async for frame in ws:
            msg = json.loads(frame)
            if msg[0] != 2:
                continue
            _, unique_id, action, payload = msg
            self.calls.append(Received(ocpp_id, number, action, payload, time.monotonic()))
            if action in self.errors:
                await ws.send(json.dumps([4, unique_id, self.errors[action], "test", {}]))
            else:
                await ws.send(json.dumps([3, unique_id, self.answer(action, payload)]))

    def of(self, ocpp_id: str, action: str | None = None) -> list[Received]:
        return [
            c for c in self.calls if c.ocpp_id == ocpp_id and (action is None or c.action == action)
        ]


@pytest.fixture
async def csms() -> AsyncIterator[FakeCSMS]:
    fake = FakeCSMS()
    async with serve(fake.handler, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        fake.url = f"ws://127.0.0.1:{port}/ocpp"
        yield fake
