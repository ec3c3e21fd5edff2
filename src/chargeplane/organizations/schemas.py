"""Organization API models: Read, Replace (PUT, with etag), Update (PATCH). No Create:
organizations are created by an operator (``chargeplane org create``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from chargeplane.api.input import StrictInput

Name = Annotated[str, Field(min_length=1, max_length=200)]


class OrganizationRead(BaseModel):
    id: int
    name: str
    created_at: datetime
    updated_at: datetime | None
    etag: str


_READ_ONLY = frozenset({"id", "created_at", "updated_at"})


class OrganizationReplace(StrictInput):
    READ_ONLY = _READ_ONLY

    name: Name
    etag: str | None = None
    """The etag being replaced (or the If-Match header)."""


class OrganizationUpdate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}

    name: Name | None = None

    @field_validator("name")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only on given values (defaults are not validated): null is refused by name.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class OrganizationPage(BaseModel):
    data: list[OrganizationRead]
    next_cursor: str | None
