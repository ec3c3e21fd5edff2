"""All ORM models, one module per aggregate."""

from chargeplane.db.base import Base
from chargeplane.db.models.api_key import ApiKey
from chargeplane.db.models.charger import (
    Charger,
    Connector,
    Evse,
    HardwareTemplate,
    StatusEvent,
)
from chargeplane.db.models.ocpp_message import OcppMessage
from chargeplane.db.models.organization import Organization
from chargeplane.db.models.session import ChargingSession, MeterReading
from chargeplane.db.models.site import Site
from chargeplane.db.models.token import Customer, IdToken, Vehicle

__all__ = [
    "ApiKey",
    "Base",
    "Charger",
    "ChargingSession",
    "Connector",
    "Customer",
    "Evse",
    "HardwareTemplate",
    "IdToken",
    "MeterReading",
    "OcppMessage",
    "Organization",
    "Site",
    "StatusEvent",
    "Vehicle",
]
