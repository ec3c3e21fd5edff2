"""Websocket link of a simulated station: receive loop, CALL plumbing, raw frames."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from ocpp.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    OCPPError,
    UnknownCallErrorCodeError,
)
from ocpp.v16.enums import Action  # type: ignore[import-untyped, unused-ignore]
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from ._charge_point import LOGGER, SimChargePoint
from ._types import CallError, StationConfig
from ._wire import CALLERROR, CALLRESULT, decode_frame

__all__ = ["StationLink"]

_T = TypeVar("_T")


class StationLink:
    """Connection half of :class:`~chargeplane.simulator.Station`.

    Owns the websocket and the ocpp ChargePoint; a background task reads every
    frame, captures the raw reply of the in-flight CALL (so results are returned
    exactly as on the wire) and hands frames to the library. One CALL at a time.
    """

    def __init__(
        self,
        config: StationConfig,
        url: str,
        *,
        subprotocols: Sequence[str] = ("ocpp1.6",),
        response_timeout: float = 10.0,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.url = f"{url.rstrip('/')}/{config.ocpp_id}"
        self._subprotocols = [Subprotocol(p) for p in subprotocols]
        self._response_timeout = response_timeout
        self._extra_headers = dict(extra_headers) if extra_headers else None
        self._ws: ClientConnection | None = None
        self._cp: SimChargePoint | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._closed_exc: BaseException | None = None
        self._lock = asyncio.Lock()
        # unique id of each in-flight library CALL -> its decoded reply frame
        self._replies: dict[str, list[Any] | None] = {}
        self._raw_waiter: asyncio.Future[str] | None = None
        # unique ids of library CALLs given up on (timeout), so late replies aren't
        # mistaken for the answer to a later send_raw()
        self._abandoned: set[str] = set()

    # -- connection -----------------------------------------------------------------

    async def connect(self) -> None:
        """Open the websocket and start the receive loop (handshake errors propagate)."""
        if self._loop_task is not None and not self._loop_task.done():
            raise RuntimeError("station is already connected")
        ws = await connect(
            self.url,
            subprotocols=self._subprotocols or None,
            additional_headers=self._extra_headers,
            proxy=None,
            ping_interval=None,
            open_timeout=self._response_timeout,
        )
        self._ws = ws
        self._closed_exc = None
        self._cp = SimChargePoint(self, self.config.ocpp_id, ws, self._response_timeout)
        self._loop_task = asyncio.create_task(
            self._receive_loop(ws), name=f"ocpp-sim-{self.config.ocpp_id}"
        )

    async def close(self) -> None:
        """Close the websocket cleanly and stop the receive loop; idempotent.

        Reading is resumed first, so a test that paused the transport (to fake a
        dead socket) does not wait for the close timeout.
        """
        ws, task = self._ws, self._loop_task
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.transport.resume_reading()
            with contextlib.suppress(Exception):
                await ws.close()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        """The websocket is open and its receive loop running."""
        return self._loop_task is not None and not self._loop_task.done()

    async def wait_closed(self) -> None:
        """Return once the connection is lost or closed (at once when not connected)."""
        task = self._loop_task
        if task is not None and not task.done():
            await asyncio.wait({task})  # never cancels the receive loop itself

    @property
    def negotiated_subprotocol(self) -> str | None:
        """The subprotocol the CSMS accepted, or ``None``."""
        return None if self._ws is None else self._ws.subprotocol

    @property
    def websocket(self) -> ClientConnection:
        """The underlying websockets connection (raises if never connected)."""
        if self._ws is None:
            raise RuntimeError("station is not connected")
        return self._ws

    # -- receive loop ---------------------------------------------------------------

    async def _receive_loop(self, ws: ClientConnection) -> None:
        cp = self._cp
        assert cp is not None
        try:
            while True:
                frame = await ws.recv()
                decoded = decode_frame(frame)
                if decoded is not None and decoded[0] in (CALLRESULT, CALLERROR):
                    unique_id = decoded[1] if isinstance(decoded[1], str) else None
                    if unique_id in self._replies:
                        self._replies[unique_id] = decoded
                    elif unique_id in self._abandoned:
                        self._abandoned.discard(unique_id)  # late reply: library drops it
                    elif self._raw_waiter is not None and isinstance(frame, str):
                        waiter, self._raw_waiter = self._raw_waiter, None
                        if not waiter.done():
                            waiter.set_result(frame)
                        continue
                await cp.route_message(frame)
        except ConnectionClosed as exc:
            self._closed_exc = exc
        except Exception as exc:
            LOGGER.exception("%s: receive loop failed", self.config.ocpp_id)
            self._closed_exc = exc
        finally:
            if self._closed_exc is None:
                self._closed_exc = ConnectionError("receive loop stopped")
            pending = self._raw_waiter
            if pending is not None and not pending.done():
                pending.set_exception(self._closed_exc)

    async def _guarded(
        self, start: Callable[[], Awaitable[_T]], answered: Callable[[], bool]
    ) -> _T:
        """Await ``start()``, failing fast if the connection is lost before ``answered()``."""
        loop_task = self._loop_task
        if loop_task is None:
            raise RuntimeError("station is not connected")
        task = asyncio.ensure_future(start())
        try:
            await asyncio.wait({task, loop_task}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done() and answered():
                await asyncio.wait({task})  # the reply is already queued
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled():
            raise self._disconnected()
        return task.result()

    def _abandon(self, unique_id: str) -> None:
        if len(self._abandoned) >= 64:
            self._abandoned.clear()
        self._abandoned.add(unique_id)

    def _disconnected(self) -> BaseException:
        return self._closed_exc or ConnectionError("connection closed")

    # -- CALL plumbing --------------------------------------------------------------

    async def _call(self, payload: Any) -> dict[str, Any]:
        """Send one ocpp ``call`` dataclass; return the CALLRESULT payload from the wire."""
        cp = self._cp
        if cp is None:
            raise RuntimeError("station is not connected")
        action = str(Action(type(payload).__name__))
        unique_id = str(uuid.uuid4())
        async with self._lock:
            self._replies[unique_id] = None
            try:
                try:
                    await self._guarded(
                        lambda: cp.call(payload, suppress=False, unique_id=unique_id),
                        lambda: self._replies.get(unique_id) is not None,
                    )
                except (OCPPError, UnknownCallErrorCodeError) as exc:
                    reply = self._replies.get(unique_id)
                    if reply is not None and reply[0] == CALLERROR:
                        raise CallError.from_frame(reply, action=action) from exc
                    raise  # e.g. local schema validation of the request or response
                reply = self._replies.get(unique_id)
            finally:
                if self._replies.pop(unique_id, None) is None:
                    self._abandon(unique_id)
        if reply is None or reply[0] != CALLRESULT or len(reply) < 3:
            raise RuntimeError(f"{action}: CALLRESULT was not captured")
        result = reply[2]
        if not isinstance(result, dict):
            raise TypeError(f"{action}: CALLRESULT payload is not an object: {result!r}")
        return result

    async def send_raw(self, frame: str) -> str:
        """Send ``frame`` verbatim; return the next CALLRESULT/CALLERROR frame text.

        Raises :class:`TimeoutError` if none arrives within ``response_timeout``.
        """
        ws = self.websocket
        async with self._lock:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._raw_waiter = waiter
            try:
                await ws.send(frame)
                return await self._guarded(
                    lambda: asyncio.wait_for(waiter, self._response_timeout), waiter.done
                )
            finally:
                if self._raw_waiter is waiter:
                    self._raw_waiter = None
