"""The ocpp-library ChargePoint used by :class:`~chargeplane.simulator.Station`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ocpp.v16 import ChargePoint  # type: ignore[import-untyped, unused-ignore]

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from ._link import StationLink

__all__ = ["LOGGER", "SimChargePoint"]

LOGGER = logging.getLogger("chargeplane.simulator")


class SimChargePoint(ChargePoint):  # type: ignore[misc, unused-ignore]
    """OCPP 1.6 charge point side of the ocpp library.

    Incoming CALLs from the CSMS are routed through ``@on(Action.…)`` handlers
    (``from ocpp.routing import on``) defined on this class; there are none yet,
    so every incoming CALL is answered with the library's NotImplemented CALLERROR.
    Add handlers here (they may reach the owning station via ``self.station``).
    """

    def __init__(
        self, station: StationLink, ocpp_id: str, connection: ClientConnection, timeout: float
    ) -> None:
        super().__init__(ocpp_id, connection, response_timeout=timeout, logger=LOGGER)
        self.station = station
