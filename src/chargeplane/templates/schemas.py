"""Hardware template API models: Read, Create (POST), Replace (PUT, with etag), Update (PATCH)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from chargeplane.api.input import StrictInput
from chargeplane.layout import EvseSpec, check_unique_evses

Evses = Annotated[list[EvseSpec], Field(min_length=1), AfterValidator(check_unique_evses)]
"""At least one EVSE, numbers unique; each EVSE has at least one connector."""


class HardwareTemplateRead(BaseModel):
    id: int
    organization_id: int
    vendor: str
    name: str
    is_dc: bool
    evses: list[EvseSpec]
    """The EVSE/connector layout a charger created from this template gets."""
    created_at: datetime
    updated_at: datetime
    etag: str


_READ_ONLY = frozenset({"id", "organization_id", "created_at", "updated_at"})


class HardwareTemplateCreate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}

    vendor: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=100)
    is_dc: bool
    evses: Evses


class HardwareTemplateReplace(HardwareTemplateCreate):
    READ_ONLY = _READ_ONLY
    etag: str | None = None
    """The etag being replaced (or the If-Match header)."""


class HardwareTemplateUpdate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}
    NOT_NULL = frozenset({"vendor", "name", "is_dc", "evses"})

    vendor: str | None = Field(default=None, min_length=1, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    is_dc: bool | None = None
    evses: Evses | None = None


class HardwareTemplatePage(BaseModel):
    data: list[HardwareTemplateRead]
    next_cursor: str | None
