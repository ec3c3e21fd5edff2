"""Id token API models: Read, Create (POST), Replace (PUT, with etag), Update (PATCH)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from chargeplane.api.input import StrictInput
from chargeplane.api.params import DbId
from chargeplane.vocab import TokenStatus

IdTag = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[\x20-\x7e]+$")]
"""An OCPP 1.6 idTag (CiString20Type: printable ASCII, compared case-insensitively)."""


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


Expiry = Annotated[AwareDatetime | None, AfterValidator(_utc)]
"""An aware time (a naive one is refused), kept in UTC."""


class IdTokenRead(BaseModel):
    id: int
    organization_id: int
    value: str
    """The OCPP idTag."""
    name: str
    status: TokenStatus
    expires_at: datetime | None
    parent_id_tag: str | None
    customer_id: int | None
    created_at: datetime
    updated_at: datetime
    etag: str


_READ_ONLY = frozenset({"id", "organization_id", "created_at", "updated_at"})


class IdTokenCreate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}

    value: IdTag
    name: str = Field(min_length=1, max_length=200)
    status: TokenStatus = "Accepted"
    expires_at: Expiry = None
    parent_id_tag: IdTag | None = None
    customer_id: DbId | None = None


class IdTokenReplace(IdTokenCreate):
    READ_ONLY = _READ_ONLY
    etag: str | None = None
    """The etag being replaced (or the If-Match header)."""


class IdTokenUpdate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}
    NOT_NULL = frozenset({"value", "name", "status"})

    value: IdTag | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: TokenStatus | None = None
    expires_at: Expiry = None
    parent_id_tag: IdTag | None = None
    customer_id: DbId | None = None


class IdTokenPage(BaseModel):
    data: list[IdTokenRead]
    next_cursor: str | None
