"""EVSE API models: Read (as in the charger read model, with its etag), Create (POST),
Replace (PUT, with etag), Update (PATCH). The live OCPP status is read-only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from chargeplane.api.input import StrictInput, read_only
from chargeplane.chargers.schemas import ConnectorRead, OcppStatus
from chargeplane.db.models.charger import OcppStatusColumns
from chargeplane.layout import ConnectorSpec, EvseSpec


class EvseResource(BaseModel):
    id: int
    charger_id: int
    number: int
    """OCPP 2.0.1 evseId; the OCPP 1.6 connectorId."""
    name: str | None
    max_power_kw: float | None
    ocpp_status: OcppStatus | None
    """None until the EVSE reports a status; set by the charger only."""
    connectors: list[ConnectorRead]
    created_at: datetime
    updated_at: datetime
    etag: str


class EvseList(BaseModel):
    data: list[EvseResource]
    """Every EVSE of the charger, by number."""


def _unique_numbers(connectors: list[ConnectorSpec]) -> list[ConnectorSpec]:
    numbers = [c.number for c in connectors]
    if len(numbers) != len(set(numbers)):
        raise ValueError("connector numbers must be unique within an EVSE")
    return connectors


Connectors = Annotated[list[ConnectorSpec], Field(min_length=1), AfterValidator(_unique_numbers)]
"""At least one connector, numbers unique."""

_WRITABLE = frozenset({"number", "name", "max_power_kw", "connectors"})
_READ_ONLY = (
    read_only(EvseResource, extra=(*OcppStatusColumns.__annotations__, "current_session"))
    - _WRITABLE
)
"""Ids, timestamps, the etag, and every live OCPP status column."""


class EvseCreate(EvseSpec):
    READ_ONLY = _READ_ONLY


class EvseReplace(StrictInput):
    READ_ONLY = (_READ_ONLY | {"number"}) - {"etag"}

    name: str | None = Field(default=None, max_length=100)
    max_power_kw: float | None = Field(default=None, ge=0)
    connectors: Connectors
    etag: str | None = None
    """The etag being replaced (or the If-Match header)."""


class EvseUpdate(StrictInput):
    READ_ONLY = _READ_ONLY | {"number"}
    NOT_NULL = frozenset({"connectors"})

    name: str | None = Field(default=None, max_length=100)
    max_power_kw: float | None = Field(default=None, ge=0)
    connectors: Connectors | None = None
