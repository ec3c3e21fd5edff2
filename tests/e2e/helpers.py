"""Small helpers for end-to-end tests: REST reads and time arithmetic."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx


def iso(value: datetime) -> str:
    """How the API renders a UTC datetime."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def charger_by_ocpp_id(api: httpx.AsyncClient, key: str, ocpp_id: str) -> dict[str, Any]:
    response = await api.get(
        f"/api/v1/chargers/by-ocpp-id/{ocpp_id}", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def evse(charger: dict[str, Any], number: int) -> dict[str, Any]:
    found: dict[str, Any]
    (found,) = [e for e in charger["evses"] if e["number"] == number]
    return found


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float, interval: float = 0.05
) -> float:
    """Wait until ``check()`` holds; returns the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not await check():
        if loop.time() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
    return loop.time() - start
