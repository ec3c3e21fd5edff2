"""The OCPP gateway: WebSocket server, connection registry, message log, per-version handlers."""

from chargeplane.ocpp._messagelog import MessageLog
from chargeplane.ocpp._registry import ConnectionRegistry, Live
from chargeplane.ocpp._server import SUBPROTOCOLS, ChargerSocket

__all__ = ["SUBPROTOCOLS", "ChargerSocket", "ConnectionRegistry", "Live", "MessageLog"]
