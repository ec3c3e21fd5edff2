"""One WebSocket connection, from the upgrade request to the closed socket, as an asyncio
protocol that uvicorn hands the connection to (its ``ws=`` protocol class).

The WebSocket protocol itself is the ``websockets`` library's sans-I/O ``ServerProtocol``:
parsing the handshake and building its response, framing, UTF-8 and size checks, answering
pings, the closing handshake, permessage-deflate. This module moves bytes between it and
the socket, assembles fragmented messages, sends keepalive pings, and offers what the ``ocpp``
package's ``ChargePoint`` asks of a connection: ``recv()`` and ``send()``.

uvicorn's own WebSocket protocol does the same moving of bytes, then speaks ASGI: each
message becomes a dict in an ``asyncio.Queue``, read back through Starlette's ``WebSocket``,
and the socket stops reading until the application has taken it (two ``epoll_ctl`` a
message). That was ~30 µs of CPU a message against a plain protocol, both answering at once
with nothing stored, at 2,000 msg/s (echo servers, measured), besides the layers above it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
from collections import deque
from typing import Any, cast

from websockets.exceptions import InvalidState
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol
from websockets.typing import BytesLike, Subprotocol

log = logging.getLogger(__name__)

# Messages read ahead of the application before the socket stops reading. A charger has one
# CALL outstanding at a time; a deeper queue is a charger that does not wait for answers.
_READ_AHEAD = 16
_CLOSE_TIMEOUT = 10.0  # seconds a closing handshake may take before the socket is dropped


class Disconnected(Exception):
    """The WebSocket closed."""


class WebSocket(asyncio.Protocol):
    """A server-side WebSocket. A subclass decides what an upgrade request gets: it
    implements ``on_request`` and answers with ``accept`` or ``refuse``, now or later."""

    def __init__(
        self,
        *,
        subprotocols: tuple[str, ...],
        ping_interval: float | None,
        ping_timeout: float | None,
        max_size: int,
        per_message_deflate: bool,
    ) -> None:
        extensions = (
            [  # as uvicorn configures it
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=12,
                    client_max_window_bits=12,
                    compress_settings={"memLevel": 5},
                )
            ]
            if per_message_deflate
            else None
        )
        offered = subprotocols

        def select(_protocol: ServerProtocol, client: Any) -> Subprotocol | None:
            # The first of ours the client offers, or none: the handshake completes without
            # one, and the subclass decides what follows (OCPP-J 1.6 §3.1.2).
            return next((Subprotocol(p) for p in offered if p in client), None)

        self.protocol = ServerProtocol(
            extensions=extensions,
            select_subprotocol=select,
            max_size=max_size,
            logger=logging.getLogger("chargeplane.ocpp.wire"),
        )
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.loop = asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None
        self.peer: str | None = None
        self.request: Request | None = None
        self.subprotocol: str | None = None
        self.open = False  # the handshake completed and no close was sent or received
        self.close_code: int | None = None
        self._pending: Response | None = None  # accept()'s answer, sent by accept()
        self._fragments: list[BytesLike] = []
        self._fragment_opcode: Opcode | None = None
        self._inbox: deque[str] = deque()
        self._waiter: asyncio.Future[str] | None = None
        self._gone = False
        self._reading_paused = False
        self._writable: asyncio.Event | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._ping_payload: bytes | None = None
        self._close_timer: asyncio.TimerHandle | None = None

    # -- the handshake ---------------------------------------------------------------------

    def on_request(self, request: Request) -> None:
        """An upgrade request arrived: answer it with ``accept`` or ``refuse``."""
        raise NotImplementedError

    def accept(self) -> None:
        """Complete the handshake (101, with the negotiated subprotocol, if any)."""
        response = self._pending
        if self._gone or response is None:
            raise Disconnected("the client left during the handshake")
        self._pending = None
        self.protocol.send_response(response)
        self.open = True
        self._flush()
        if self.ping_interval:
            self._ping_timer = self.loop.call_later(self.ping_interval, self._ping)

    def refuse(self, status: int) -> None:
        """Refuse the handshake with an HTTP error, and close the socket."""
        self._pending = None
        if self._gone:
            return
        self.protocol.send_response(self.protocol.reject(status, ""))
        self._flush()

    # -- messages ----------------------------------------------------------------------------

    async def recv(self) -> str:
        """The next message; raises ``Disconnected`` once the connection has closed."""
        if self._inbox:
            text = self._inbox.popleft()
            if self._reading_paused and len(self._inbox) < _READ_AHEAD // 2:
                self._reading_paused = False
                if self.transport is not None and not self._gone:
                    self.transport.resume_reading()
            return text
        if self._gone or not self.open:
            raise Disconnected(self.close_code)
        self._waiter = self.loop.create_future()
        try:
            return await self._waiter
        finally:
            self._waiter = None

    async def send(self, text: str) -> None:
        """Send a text message. A message for a connection that has closed is dropped: the
        next ``recv`` says so."""
        if not self.open:
            return
        self.protocol.send_text(text.encode())
        self._flush()
        if self._writable is not None:  # the socket's buffer is full: wait for it to drain
            await self._writable.wait()

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake; the socket is dropped if the client does not finish
        it in time. ``recv`` raises ``Disconnected`` from now on."""
        if not self.open:
            return
        self.open = False
        self.close_code = code
        try:
            self.protocol.send_close(code, reason)
        except InvalidState:
            pass
        self._flush()
        self._close_timer = self.loop.call_later(_CLOSE_TIMEOUT, self._drop)
        self._wake(Disconnected(code))

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else None

    def data_received(self, data: bytes) -> None:
        protocol = self.protocol
        protocol.receive_data(data)
        for event in protocol.events_received():
            if not isinstance(event, Frame):
                if isinstance(event, Request):
                    self._on_upgrade(event)
                continue
            opcode = event.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                if event.fin:
                    self._deliver(event.data, opcode)
                else:
                    self._fragments, self._fragment_opcode = [event.data], opcode
            elif opcode is Opcode.CONT:
                self._fragments.append(event.data)
                if event.fin and self._fragment_opcode is not None:
                    self._deliver(b"".join(self._fragments), self._fragment_opcode)
                    self._fragments, self._fragment_opcode = [], None
            elif opcode is Opcode.PONG:
                self._pong(event.data)
            elif opcode is Opcode.CLOSE:
                self._closed_by_peer()
        self._flush()  # pongs, close replies, protocol errors' close frames

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush()
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone = True
        self.open = False
        for timer in (self._ping_timer, self._pong_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        if self._writable is not None:
            self._writable.set()
        self._wake(Disconnected(self.close_code))

    def pause_writing(self) -> None:
        self._writable = asyncio.Event()

    def resume_writing(self) -> None:
        if self._writable is not None:
            self._writable.set()
            self._writable = None

    # -- inside ------------------------------------------------------------------------------

    def _on_upgrade(self, request: Request) -> None:
        response = self.protocol.accept(request)
        if response.status_code != 101:  # not a valid WebSocket handshake
            self.protocol.send_response(response)
            return
        self.request = request
        self.subprotocol = response.headers.get("Sec-WebSocket-Protocol")
        self._pending = response
        self.on_request(request)

    def _deliver(self, data: BytesLike, opcode: Opcode) -> None:
        if not self.open:
            return  # after a close: discarded, as RFC 6455 §1.4 says
        # OCPP-J uses text frames (the protocol has checked their UTF-8); a binary one is
        # decoded rather than dropped.
        text = str(data, "utf-8") if opcode is Opcode.TEXT else str(data, "utf-8", "replace")
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(text)
            return
        self._inbox.append(text)
        if len(self._inbox) >= _READ_AHEAD and not self._reading_paused:
            self._reading_paused = True
            assert self.transport is not None
            self.transport.pause_reading()

    def _wake(self, error: Disconnected) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _closed_by_peer(self) -> None:
        if self.open:
            self.open = False
            close = self.protocol.close_rcvd
            self.close_code = close.code if close is not None else 1005
            self._wake(Disconnected(self.close_code))

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            else:  # the protocol is done with the connection (SEND_EOF)
                transport.close()
                return
        if self.protocol.close_expected() and self._close_timer is None:
            self._close_timer = self.loop.call_later(_CLOSE_TIMEOUT, self._drop)

    def _drop(self) -> None:
        self._close_timer = None
        if self.transport is not None:
            self.transport.abort()

    def _ping(self) -> None:
        self._ping_timer = None
        if not self.open:
            return
        # A random payload names this ping: a late pong of an earlier one does not count.
        self._ping_payload = struct.pack("!I", random.getrandbits(32))
        self.protocol.send_ping(self._ping_payload)
        self._flush()
        if self.ping_timeout:
            self._pong_timer = self.loop.call_later(self.ping_timeout, self._no_pong)

    def _pong(self, data: BytesLike) -> None:
        if self._ping_payload is None or bytes(data) != self._ping_payload:
            return  # unsolicited, or stale
        self._ping_payload = None
        if self._pong_timer is not None:
            self._pong_timer.cancel()
            self._pong_timer = None
        if self.ping_interval and self.open:
            self._ping_timer = self.loop.call_later(self.ping_interval, self._ping)

    def _no_pong(self) -> None:
        """The peer did not answer a ping in time: the socket is dead."""
        self._pong_timer = None
        if not self.open:
            return
        self.open = False
        self.close_code = 1011
        self.protocol.fail(1011, "keepalive ping timeout")
        self._flush()
        self._wake(Disconnected(1011))
        self._drop()
