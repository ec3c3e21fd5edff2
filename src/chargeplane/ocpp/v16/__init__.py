"""OCPP 1.6J: the routing table and its handlers, grouped by functional block."""

from chargeplane.ocpp.v16._chargepoint import ChargePoint
from chargeplane.ocpp.v16._context import Context

__all__ = ["ChargePoint", "Context"]
