"""The gateway: accepts a charger's WebSocket, admits it, and runs its protocol loop."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, WebSocket
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketState

from chargeplane.api.client import client_ip
from chargeplane.chargers.service import ChargerService
from chargeplane.errors import ChargerRejected
from chargeplane.facts import Connection
from chargeplane.ocpp._connection import Disconnected, WebSocketConnection
from chargeplane.ocpp._registry import Live
from chargeplane.ocpp.v16 import ChargePoint, Context

if TYPE_CHECKING:
    from chargeplane.runtime import Runtime

log = logging.getLogger(__name__)

SUBPROTOCOLS = ("ocpp1.6",)
_MAX_IDENTITY = 255

router = APIRouter()
_PREFIX = "/ocpp/"


class OcppFastPath:
    """ASGI front of the app: an OCPP handshake (``/ocpp/{id}``) goes straight to
    ``ocpp_endpoint``; everything else to the FastAPI app, whose router serves the same
    endpoint too. The API's middleware stack and router cost ~300 µs per handshake and a few
    µs per frame, measured (a reconnect storm is 10,000 handshakes), and do nothing for OCPP."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            path: str = scope["path"]
            identity = path[len(_PREFIX) :]
            if path.startswith(_PREFIX) and identity and "/" not in identity:
                if "\x00" not in identity:  # NUL is refused by the app's middleware
                    scope["app"] = self.app  # as Starlette sets it: the endpoint reads state
                    await ocpp_endpoint(WebSocket(scope, receive, send), identity)
                    return
        await self.app(scope, receive, send)


def _negotiate(websocket: WebSocket) -> str | None:
    offered = websocket.scope.get("subprotocols") or []
    return next((p for p in offered if p in SUBPROTOCOLS), None)


@router.websocket("/ocpp/{charge_point_id}")
async def ocpp_endpoint(websocket: WebSocket, charge_point_id: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    protocol = _negotiate(websocket)
    if protocol is None:
        # OCPP-J 1.6 §3.1.2: complete the handshake without a subprotocol, then close.
        log.info("%s: no supported subprotocol offered; closing", charge_point_id)
        await websocket.accept()
        await websocket.close(code=1002, reason="unsupported subprotocol")
        return
    if not charge_point_id or len(charge_point_id) > _MAX_IDENTITY:
        await websocket.close(code=1008)
        return

    peer = websocket.client.host if websocket.client else None
    settings = runtime.settings
    now = runtime.clock.now()

    async def admit(session: AsyncSession) -> Connection | ChargerRejected:
        try:
            return await ChargerService(session).admit(
                charge_point_id,
                unknown=settings.ocpp.unknown_chargers,
                default_organization=settings.default_organization,
                client_ip=client_ip(peer, websocket.headers, settings.api.trusted_proxies),
                node_name=settings.node_name,
                protocol=protocol,
                now=now,
            )
        except ChargerRejected as rejected:  # decided before any write: the batch goes on
            return rejected

    connection = await runtime.committer.run(admit)
    if isinstance(connection, ChargerRejected):
        log.info("%s: refused: %s", charge_point_id, connection.detail)
        await websocket.close(code=1008)  # before accept: the handshake is answered 403
        return

    # From here on the charger is recorded Connected: whatever happens next, even a client
    # that left during the handshake (a reconnect storm's timeouts), ends in Disconnected.
    live: Live | None = None
    try:
        await websocket.accept(subprotocol=protocol)
        wire = WebSocketConnection(websocket, charge_point_id, runtime.message_log)
        charge_point = ChargePoint(Context(runtime, connection), wire)
        live = Live(connection, charge_point, websocket)
        previous = runtime.registry.add(live)
        if previous is not None:
            log.info("%s: new connection replaces the previous one", charge_point_id)
            await _close(previous.websocket, code=1001)
        await charge_point.start()
    except Disconnected:
        pass
    finally:
        if live is not None:
            runtime.registry.remove(live)
        await _mark_disconnected(runtime, connection)
        await _close(websocket, code=1000)
        log.info("%s: disconnected", charge_point_id)


async def _mark_disconnected(runtime: Runtime, connection: Connection) -> None:
    now = runtime.clock.now()

    async def apply(session: AsyncSession) -> None:
        await ChargerService(session).disconnected(connection, now=now)

    try:
        await runtime.committer.run(apply)
    except Exception:
        log.exception("%s: could not record the disconnection", connection.ocpp_id)


async def _close(websocket: WebSocket, *, code: int) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code=code)
