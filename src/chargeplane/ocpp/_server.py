"""The gateway: takes a charger's WebSocket, admits it, and runs its protocol loop.

uvicorn serves the REST API and hands every WebSocket upgrade on the same port to
``ChargerSocket`` (``server.py`` names it as uvicorn's ``ws`` protocol class): chargers
connect to ``/ocpp/{charge_point_id}``; any other WebSocket path is refused.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncSession
from websockets.http11 import Request

from chargeplane.api.client import client_ip
from chargeplane.chargers.service import ChargerService
from chargeplane.errors import ChargerRejected
from chargeplane.facts import Connection
from chargeplane.ocpp._registry import Live
from chargeplane.ocpp._websocket import Disconnected, WebSocket
from chargeplane.ocpp.v16 import ChargePoint, Context

if TYPE_CHECKING:
    from chargeplane.runtime import Runtime

log = logging.getLogger(__name__)

SUBPROTOCOLS = ("ocpp1.6",)
_MAX_IDENTITY = 255
_PREFIX = "/ocpp/"


class ChargerSocket(WebSocket):
    """A charger's WebSocket: uvicorn's WebSocket protocol class (``ws=``), built per
    upgrade request with uvicorn's config, its server state and the lifespan's state, where
    the app keeps the ``runtime``. The ``ocpp`` package's ``ChargePoint`` talks through it,
    and every frame, both ways, goes to the message log."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.runtime: Runtime = app_state["runtime"]
        settings = self.runtime.settings.ocpp
        super().__init__(
            subprotocols=SUBPROTOCOLS,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            max_size=config.ws_max_size,
            per_message_deflate=config.ws_per_message_deflate,
        )
        self.ocpp_id = ""
        self._server_state = server_state

    # -- uvicorn's side: its server tracks connections, and asks each to shut down --------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._server_state.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._server_state.connections.discard(self)

    def shutdown(self) -> None:
        """The server is stopping: close with 1012 (service restart), as uvicorn does."""
        if self.open:
            self.close(1012)
        elif self.transport is not None:
            self.transport.close()

    # -- the charger's side ------------------------------------------------------------------

    def on_request(self, request: Request) -> None:
        path = unquote(request.path.partition("?")[0])
        identity = path[len(_PREFIX) :]
        if (
            not path.startswith(_PREFIX)
            or not identity
            or "/" in identity
            or "\x00" in identity
            or len(identity) > _MAX_IDENTITY
        ):
            self.refuse(403)
            return
        self.ocpp_id = identity
        if self.subprotocol is None:
            # OCPP-J 1.6 §3.1.2: complete the handshake without a subprotocol, then close.
            log.info("%s: no supported subprotocol offered; closing", identity)
            self.accept()
            self.close(1002, "unsupported subprotocol")
            return
        task = self.loop.create_task(_serve(self, request), name=f"ocpp-{identity}")
        tasks = self._server_state.tasks
        tasks.add(task)  # uvicorn waits for these on a graceful shutdown
        task.add_done_callback(tasks.discard)

    async def recv(self) -> str:
        text = await super().recv()
        self.runtime.message_log.record(self.ocpp_id, "in", text)
        return text

    async def send(self, text: str) -> None:
        self.runtime.message_log.record(self.ocpp_id, "out", text)
        await super().send(text)


async def _serve(ws: ChargerSocket, request: Request) -> None:
    """Admit the charger, answer the handshake, and run its ChargePoint until it leaves."""
    runtime, charge_point_id = ws.runtime, ws.ocpp_id
    settings = runtime.settings
    now = runtime.clock.now()
    forwarded = {"x-forwarded-for": ", ".join(request.headers.get_all("X-Forwarded-For"))}

    async def admit(session: AsyncSession) -> Connection | ChargerRejected:
        try:
            return await ChargerService(session).admit(
                charge_point_id,
                unknown=settings.ocpp.unknown_chargers,
                default_organization=settings.default_organization,
                client_ip=client_ip(ws.peer, forwarded, settings.api.trusted_proxies),
                node_name=settings.node_name,
                protocol=ws.subprotocol or "",
                now=now,
            )
        except ChargerRejected as rejected:  # decided before any write: the batch goes on
            return rejected

    connection = await runtime.committer.run(admit)
    if isinstance(connection, ChargerRejected):
        log.info("%s: refused: %s", charge_point_id, connection.detail)
        ws.refuse(403)
        return

    # From here on the charger is recorded Connected: whatever happens next, even a client
    # that left during the handshake (a reconnect storm's timeouts), ends in Disconnected.
    live: Live | None = None
    try:
        ws.accept()
        log.info('%s - "WebSocket /ocpp/%s" [accepted]', ws.peer, charge_point_id)
        charge_point = ChargePoint(Context(runtime, connection), ws)
        live = Live(connection, charge_point, ws)
        previous = runtime.registry.add(live)
        if previous is not None:
            log.info("%s: new connection replaces the previous one", charge_point_id)
            previous.websocket.close(1001)
        await charge_point.start()
    except Disconnected:
        pass
    finally:
        if live is not None:
            runtime.registry.remove(live)
        await _mark_disconnected(runtime, connection)
        ws.close(1000)
        log.info("%s: disconnected", charge_point_id)


async def _mark_disconnected(runtime: Runtime, connection: Connection) -> None:
    now = runtime.clock.now()

    async def apply(session: AsyncSession) -> None:
        await ChargerService(session).disconnected(connection, now=now)

    try:
        await runtime.committer.run(apply)
    except Exception:
        log.exception("%s: could not record the disconnection", connection.ocpp_id)
