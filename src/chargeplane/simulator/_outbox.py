"""A charger's outgoing CALLs: sent one at a time, queued while offline, replayed in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from websockets.exceptions import ConnectionClosed

from ._clock import SimClock
from ._stats import Delivery, FleetStats, Observer
from ._types import CallError

__all__ = ["Offline", "Outbox", "Transaction"]

LOGGER = logging.getLogger("chargeplane.simulator")

# What losing the connection (or the answer) looks like from a CALL.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionClosed,
    ConnectionError,
    TimeoutError,
    OSError,
)


class Offline(Exception):
    """The charger is offline and the message is of a kind that is not queued."""


class Skipped(Exception):
    """A queued message that can no longer be sent (e.g. a stop whose start failed)."""


@dataclass
class Transaction:
    """A session as the charger knows it; the CSMS's transaction id arrives with the answer
    to StartTransaction, which may be sent long after (replayed from the offline queue)."""

    id_tag: str
    meter_start: int
    started_at: datetime
    transaction_id: int | None = None
    rejected: bool = False
    """The CSMS answered the start with an idTagInfo other than Accepted."""


Send = Callable[[], Awaitable[dict[str, Any]]]


@dataclass
class _Item:
    action: str
    send: Send
    queueable: bool
    timestamp: datetime | None
    created_at: datetime
    future: asyncio.Future[dict[str, Any]]
    transaction: Transaction | None = None
    queued: bool = False
    attempts: int = field(default=0)


def _consume(future: asyncio.Future[dict[str, Any]]) -> None:
    """Mark an exception as retrieved: most callers never await their message."""
    if not future.cancelled():
        future.exception()


class Outbox:
    """Every CALL of one charger goes through here, in order.

    While the charger is online, a sender task sends the items one at a time. While it is
    offline, queueable items (transaction messages, StatusNotification) wait, keeping the
    timestamps they were made with, and are replayed in order on reconnect; other items
    (Heartbeat, Authorize) fail at once with :class:`Offline`. An item whose connection is
    lost before its answer is retried first after reconnecting (a queueable one) or dropped.
    """

    def __init__(
        self,
        ocpp_id: str,
        clock: SimClock,
        stats: FleetStats,
        *,
        on_lost: Callable[[], Awaitable[None]],
        observer: Observer | None = None,
    ) -> None:
        self.ocpp_id = ocpp_id
        self.clock = clock
        self.stats = stats
        self.online = asyncio.Event()
        self._on_lost = on_lost
        self._observer = observer
        self._items: deque[_Item] = deque()
        self._more = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._settled = asyncio.Event()
        self._settled.set()

    def __len__(self) -> int:
        return len(self._items)

    def submit(
        self,
        action: str,
        send: Send,
        *,
        queueable: bool,
        timestamp: datetime | None = None,
        transaction: Transaction | None = None,
    ) -> asyncio.Future[dict[str, Any]]:
        """Send ``send()`` when its turn comes; the future holds the CALLRESULT payload."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_consume)
        if not self.online.is_set() and not queueable:
            self.stats.dropped += 1
            future.set_exception(Offline(action))
            return future
        created = timestamp or self.clock.now()
        item = _Item(action, send, queueable, timestamp, created, future, transaction)
        if not self.online.is_set():
            item.queued = True
            self.stats.queued += 1
        self._items.append(item)
        self._idle.clear()
        self._more.set()
        return future

    async def drain(self, timeout: float) -> bool:
        """Wait (real seconds) until everything is sent; False if some is left."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def settle(self, timeout: float) -> None:
        """Stop sending and wait (real seconds) for the answer to the CALL in flight, if any:
        before going offline on purpose, so that no answer is lost."""
        self.online.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout)

    def abandon(self) -> int:
        """Give up on every item left (at the end of a run); returns how many."""
        left = len(self._items)
        while self._items:
            item = self._items.popleft()
            if not item.future.done():
                item.future.set_exception(Offline(item.action))
        self.stats.dropped += left
        self._idle.set()
        return left

    async def run(self) -> None:
        """The sender task; runs until cancelled."""
        while True:
            if not self._items:
                self._idle.set()
                self._more.clear()
                await self._more.wait()
                continue
            await self.online.wait()
            if self._items:
                await self._send(self._items[0])

    async def _send(self, item: _Item) -> None:
        stats = self.stats
        stats.messages_sent += 1
        stats.sent_by_action[item.action] += 1
        item.attempts += 1
        self._settled.clear()
        try:
            result = await item.send()
        except CallError as exc:
            stats.call_errors += 1
            stats.errors_by_code[exc.code] += 1
            self._finish(item, error=exc)
        except Skipped as exc:
            stats.dropped += 1
            self._finish(item, error=exc)
        except TRANSPORT_ERRORS as exc:
            stats.transport_errors += 1
            stats.errors_by_code[
                "ConnectionLost" if isinstance(exc, ConnectionClosed) else type(exc).__name__
            ] += 1
            self.online.clear()
            if not item.queueable:
                stats.dropped += 1
                self._finish(item, error=Offline(item.action))
            elif not item.queued:
                item.queued = True
                stats.queued += 1
            await self._on_lost()
        except Exception as exc:  # e.g. the ocpp package refusing a payload locally
            LOGGER.warning("%s: %s not sent: %r", self.ocpp_id, item.action, exc)
            stats.errors_by_code[type(exc).__name__] += 1
            stats.dropped += 1
            self._finish(item, error=exc)
        else:
            stats.answered += 1
            if item.queued:
                stats.replayed += 1
            self._finish(item, result=result)
        finally:
            self._settled.set()

    def _finish(
        self,
        item: _Item,
        *,
        result: dict[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        if self._items and self._items[0] is item:
            self._items.popleft()
        if error is not None:
            item.future.set_exception(error)
        else:
            item.future.set_result(result or {})
        if self._observer is not None and not isinstance(error, Offline | Skipped):
            tx = item.transaction
            self._observer(
                Delivery(
                    ocpp_id=self.ocpp_id,
                    action=item.action,
                    timestamp=item.timestamp,
                    created_at=item.created_at,
                    sent_at=self.clock.now(),
                    replayed=item.queued,
                    transaction_id=None if tx is None else tx.transaction_id,
                    error=error.code if isinstance(error, CallError) else None,
                )
            )
