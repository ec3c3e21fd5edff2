"""What a fleet run did: counters, and an event per message delivered."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Delivery", "FleetStats", "Observer"]


@dataclass
class FleetStats:
    """Counters of a fleet run (one event loop: plain integers, no locking)."""

    chargers: int = 0
    connected: int = 0
    """Chargers connected right now."""
    connects: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    offline_periods: int = 0
    sessions_started: int = 0
    sessions_stopped: int = 0
    auth_rejected: int = 0
    messages_sent: int = 0
    answered: int = 0
    """CALLs answered with a CALLRESULT."""
    call_errors: int = 0
    """CALLs answered with a CALLERROR."""
    transport_errors: int = 0
    """CALLs lost to a closed connection or a timeout (queued ones are retried)."""
    queued: int = 0
    replayed: int = 0
    dropped: int = 0
    """Messages not sent: heartbeats/authorizations while offline, or still queued at the end."""
    faults: int = 0
    energy_kwh: float = 0.0
    sent_by_action: Counter[str] = field(default_factory=Counter)
    errors_by_code: Counter[str] = field(default_factory=Counter)

    @property
    def active_sessions(self) -> int:
        return self.sessions_started - self.sessions_stopped

    @property
    def errors(self) -> int:
        return self.call_errors + self.transport_errors

    def snapshot(self) -> FleetStats:
        """A copy, for rates and reports."""
        copy = dataclasses.replace(self)
        copy.sent_by_action = Counter(self.sent_by_action)
        copy.errors_by_code = Counter(self.errors_by_code)
        return copy


@dataclass(frozen=True)
class Delivery:
    """One message a simulated charger got an answer to (or gave up on)."""

    ocpp_id: str
    action: str
    timestamp: datetime | None
    """The message's own timestamp, as sent (kept from when it was made)."""
    created_at: datetime
    """Simulated time when the charger made the message."""
    sent_at: datetime
    """Simulated time when it was answered."""
    replayed: bool
    """It waited in the offline queue."""
    transaction_id: int | None
    error: str | None = None
    """The CALLERROR code, if the CSMS answered with one."""


Observer = Callable[[Delivery], None]
