"""``Annotated`` dependency aliases for endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.client import client_ip, in_networks
from chargeplane.apikeys.service import ApiKeyService, Principal
from chargeplane.errors import Forbidden, Unauthenticated
from chargeplane.runtime import Runtime


# Dependencies are ``async def`` even where they do not await: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop on every request (measured: ~5% of a GET's CPU).
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_reader(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.reader() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(get_reader)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


async def get_write_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed once the endpoint returns, rolled back on error."""
    async with runtime.db.unit_of_work() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# a success for data that is not yet (or never) committed.
WriteSession = Annotated[AsyncSession, Depends(get_write_session, scope="function")]


def request_ip(request: Request, runtime: Runtime) -> str | None:
    peer = request.client.host if request.client else None
    return client_ip(peer, request.headers, runtime.settings.api.trusted_proxies)


async def authenticate(
    request: Request, runtime: Runtime, plaintext: str, session: AsyncSession | None = None
) -> Principal:
    """The principal of an API key presented on ``request``: Unauthenticated for a missing,
    unknown, revoked or expired key; Forbidden (``ip_not_allowed``) outside its networks.
    Dialects with their own header and error format call this too.

    The key is read in ``session``, the request's read session, when it has one; otherwise
    in a session of its own, released at once, so that a request that writes keeps no
    reader's connection for this."""
    if session is None:
        async with runtime.db.reader() as own:
            return await authenticate(request, runtime, plaintext, own)
    principal = await ApiKeyService(session).verify(plaintext, now=runtime.clock.now())
    if principal.allowed_cidrs and not in_networks(
        request_ip(request, runtime), principal.allowed_cidrs
    ):
        raise Forbidden("this API key may not be used from this address", code="ip_not_allowed")
    return principal


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _bearer_key(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated()
    return credentials.credentials


async def get_principal(
    request: Request, runtime: RuntimeDep, credentials: Credentials
) -> Principal:
    return await authenticate(request, runtime, _bearer_key(credentials))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_reading_principal(
    request: Request, runtime: RuntimeDep, credentials: Credentials, session: ReadSession
) -> Principal:
    return await authenticate(request, runtime, _bearer_key(credentials), session)


ReadingPrincipal = Annotated[Principal, Depends(get_reading_principal)]
"""``PrincipalDep`` for an endpoint that only reads: its key is read in the request's
``ReadSession`` (the same session: FastAPI resolves a dependency once per request). A REST
GET then opens one session, not two: on SQLite a session's first read costs ~300 µs of CPU
(its BEGIN, and its ROLLBACK when the connection returns to the pool), measured."""


def require(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def _check(principal: PrincipalDep) -> Principal:
        if scope not in principal.scopes:
            raise Forbidden(f"this API key lacks the {scope!r} scope", code="insufficient_scope")
        return principal

    return _check


Writer = Annotated[Principal, Depends(require("full"))]
"""A caller allowed to write (scope ``full``)."""
