"""Customer API models: Read, Create (POST), Replace (PUT, with etag), Update (PATCH)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from chargeplane.api.input import StrictInput


def _email(value: str | None) -> str | None:
    """Loosely an address: one ``@`` with something on either side."""
    if value is not None:
        local, at, domain = value.partition("@")
        if not at or not local or not domain or "@" in domain:
            raise ValueError("not an email address")
    return value


Email = Annotated[str | None, Field(max_length=320), AfterValidator(_email)]


class CustomerRead(BaseModel):
    id: int
    organization_id: int
    name: str
    email: str | None
    created_at: datetime
    updated_at: datetime
    etag: str


_READ_ONLY = frozenset({"id", "organization_id", "created_at", "updated_at"})


class CustomerCreate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}

    name: str = Field(min_length=1, max_length=200)
    email: Email = None


class CustomerReplace(CustomerCreate):
    READ_ONLY = _READ_ONLY
    etag: str | None = None
    """The etag being replaced (or the If-Match header)."""


class CustomerUpdate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}
    NOT_NULL = frozenset({"name"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email = None


class CustomerPage(BaseModel):
    data: list[CustomerRead]
    next_cursor: str | None
