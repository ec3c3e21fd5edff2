"""Adapts an ASGI WebSocket to the ``recv``/``send`` interface of the ``ocpp`` package, and
feeds the raw message log."""

from __future__ import annotations

from starlette.websockets import WebSocket

from chargeplane.ocpp._messagelog import MessageLog


class Disconnected(Exception):
    """The charger's socket closed."""


class WebSocketConnection:
    def __init__(self, websocket: WebSocket, ocpp_id: str, message_log: MessageLog) -> None:
        self.websocket = websocket
        self.ocpp_id = ocpp_id
        self.message_log = message_log

    async def recv(self) -> str:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise Disconnected(message.get("code"))
        text = message.get("text")
        if text is None:
            # OCPP-J uses text frames; decode a binary one rather than drop it.
            text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
        self.message_log.record(self.ocpp_id, "in", text)
        return text

    async def send(self, frame: str) -> None:
        self.message_log.record(self.ocpp_id, "out", frame)
        await self.websocket.send_text(frame)
