"""The simulated clock: real time scaled by a speed factor."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

__all__ = ["SimClock"]


class SimClock:
    """``speed`` simulated seconds pass per real second, from ``origin`` (default: the time
    :meth:`start` is called). Sleeps and timestamps are in simulated time."""

    def __init__(self, speed: float = 1.0, origin: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = origin
        self._t0: float | None = None

    def start(self) -> None:
        """Start (or restart) the clock now."""
        self._t0 = time.monotonic()
        if self._origin is None:
            self._origin = datetime.now(UTC)

    def _started(self) -> float:
        if self._t0 is None:
            self.start()
        assert self._t0 is not None
        return self._t0

    def elapsed(self) -> float:
        """Simulated seconds since the start."""
        return (time.monotonic() - self._started()) * self.speed

    @property
    def origin(self) -> datetime:
        self._started()
        assert self._origin is not None
        return self._origin

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=self.elapsed())

    def real(self, seconds: float) -> float:
        """Real seconds that ``seconds`` simulated seconds take."""
        return seconds / self.speed

    async def sleep(self, seconds: float, wake: asyncio.Event | None = None) -> bool:
        """Sleep ``seconds`` of simulated time; True if ``wake`` was set first."""
        real = max(self.real(seconds), 0.0)
        if wake is None:
            await asyncio.sleep(real)
            return False
        if wake.is_set():
            return True
        try:
            await asyncio.wait_for(wake.wait(), None if math.isinf(real) else real)
        except TimeoutError:
            return False
        return True
