"""Vehicle API models: Read, Create (POST), Replace (PUT, with etag), Update (PATCH)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from chargeplane.api.input import StrictInput
from chargeplane.api.params import DbId

Label = Annotated[str | None, Field(max_length=100)]
Vin = Annotated[str | None, Field(min_length=1, max_length=17)]
"""A vehicle identification number; leniently any 1..17 characters (not all are standard)."""


class VehicleRead(BaseModel):
    id: int
    organization_id: int
    make: str | None
    model: str | None
    name: str | None
    vin: str | None
    customer_id: int | None
    id_token_id: int | None
    created_at: datetime
    updated_at: datetime
    etag: str


_READ_ONLY = frozenset({"id", "organization_id", "created_at", "updated_at"})


class VehicleCreate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}

    make: Label = None
    model: Label = None
    name: Label = None
    vin: Vin = None
    customer_id: DbId | None = None
    id_token_id: DbId | None = None


class VehicleReplace(VehicleCreate):
    READ_ONLY = _READ_ONLY
    etag: str | None = None
    """The etag being replaced (or the If-Match header)."""


class VehicleUpdate(VehicleCreate):
    """Every field optional and nullable, as in Create; only the given ones change."""


class VehiclePage(BaseModel):
    data: list[VehicleRead]
    next_cursor: str | None
