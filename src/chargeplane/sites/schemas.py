"""Site API models: Read, Create (POST), Replace (PUT, with etag), Update (PATCH)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, Field, model_validator

from chargeplane.api.input import StrictInput


def _iana(value: str | None) -> str | None:
    if value is not None and value not in _zones():
        raise ValueError("not an IANA time zone name")
    return value


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
TimeZone = Annotated[str | None, AfterValidator(_iana)]


class SiteRead(BaseModel):
    id: int
    organization_id: int
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    timezone: str
    """IANA; derived from the coordinates when not given."""
    created_at: datetime
    updated_at: datetime
    etag: str


_READ_ONLY = frozenset({"id", "organization_id", "created_at", "updated_at"})


class SiteCreate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}

    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    timezone: TimeZone = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class SiteReplace(SiteCreate):
    READ_ONLY = _READ_ONLY
    etag: str | None = None
    """The etag being replaced (or the If-Match header)."""


class SiteUpdate(StrictInput):
    READ_ONLY = _READ_ONLY | {"etag"}
    NOT_NULL = frozenset({"name"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    timezone: TimeZone = None


class SitePage(BaseModel):
    data: list[SiteRead]
    next_cursor: str | None
