"""Parameter types shared by the API's routes and bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator

INT32_MAX = 2_147_483_647

DbId = Annotated[int, Ge(1), Le(INT32_MAX)]
"""A database id: a positive 32-bit integer (larger values cannot name a row; refusing them
with a 422 keeps them from reaching the database as an overflow)."""


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A point in time; one written without an offset is taken as UTC."""
