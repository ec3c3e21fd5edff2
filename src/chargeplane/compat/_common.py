"""What the dialects share: Bearer authentication in their own error format, time formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.deps import authenticate
from chargeplane.apikeys.service import Principal
from chargeplane.errors import Unauthenticated
from chargeplane.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
"""The Bearer key of a dialect that answers a missing key in its own error format."""


async def bearer_principal(
    request: Request,
    runtime: Runtime,
    credentials: HTTPAuthorizationCredentials | None,
    session: AsyncSession | None = None,
) -> Principal:
    """The caller of a Bearer dialect, its key read in ``session`` if given (``authenticate``).
    Raises the ChargeplaneError (Unauthenticated, Forbidden) each dialect renders in its own
    format."""
    if credentials is None:
        raise Unauthenticated()
    return await authenticate(request, runtime, credentials.credentials, session)


def iso_ms(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and ``Z`` ("2025-01-01T12:00:00.000Z")."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)
