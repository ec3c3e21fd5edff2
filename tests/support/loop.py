"""Counting turns of the event loop: what a request waits under load is largely how many
turns it takes, since each lasts as long as everything else that is ready."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class Turns:
    count: int = 0


@asynccontextmanager
async def counting_turns() -> AsyncIterator[Turns]:
    """A task that adds one to ``count`` each turn of the loop, for the block's length."""
    turns = Turns()

    async def tick() -> None:
        while True:
            turns.count += 1
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0)
    try:
        yield turns
    finally:
        ticker.cancel()
