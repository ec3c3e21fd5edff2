"""The connections this node holds, by charge point identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chargeplane.facts import Connection


@dataclass(eq=False)
class Live:
    """One live connection: the domain's view plus the protocol object that talks on it."""

    connection: Connection
    charge_point: Any
    websocket: Any


class ConnectionRegistry:
    def __init__(self) -> None:
        self._live: dict[str, Live] = {}

    def add(self, live: Live) -> Live | None:
        """Register ``live``; returns the connection it replaces, if any."""
        previous = self._live.get(live.connection.ocpp_id)
        self._live[live.connection.ocpp_id] = live
        return previous

    def remove(self, live: Live) -> None:
        if self._live.get(live.connection.ocpp_id) is live:
            del self._live[live.connection.ocpp_id]

    def get(self, ocpp_id: str) -> Live | None:
        return self._live.get(ocpp_id)

    def __len__(self) -> int:
        return len(self._live)

    def all(self) -> list[Live]:
        return list(self._live.values())
