"""``Annotated`` dependency aliases for endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.apikeys.service import ApiKeyService, Principal
from chargeplane.errors import Unauthenticated
from chargeplane.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_reader(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.reader() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(get_reader)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


async def get_principal(
    runtime: RuntimeDep,
    session: ReadSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated()
    return await ApiKeyService(session).verify(credentials.credentials, now=runtime.clock.now())


PrincipalDep = Annotated[Principal, Depends(get_principal)]
