"""``/api/v1/api-keys``: the caller's organization's keys. Every route needs scope ``full``.
The plaintext of a key is in the answer to its POST only; DELETE revokes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from chargeplane.api.deps import ReadSession, RuntimeDep, Writer, WriteSession
from chargeplane.api.etag import set_etag
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.api.params import DbId
from chargeplane.apikeys.repository import ApiKeyRepository
from chargeplane.apikeys.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    ApiKeyRead,
    ApiKeyUpdate,
)
from chargeplane.apikeys.service import ApiKeyService
from chargeplane.db.models import ApiKey

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


def _read(key: ApiKey, response: Response) -> ApiKeyRead:
    read = ApiKeyRead.of(key)
    set_etag(response, read.etag)
    return read


@router.get("", response_model=ApiKeyPage)
async def list_api_keys(
    session: ReadSession,
    principal: Writer,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ApiKeyPage:
    """The organization's keys, revoked ones included (with ``revoked_at``)."""
    rows, more = await ApiKeyRepository(session).list(
        principal.organization_id, after_id=decode_cursor(cursor), limit=limit
    )
    return ApiKeyPage(
        data=[ApiKeyRead.of(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    body: ApiKeyCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> ApiKeyCreated:
    """A new key of the caller's organization; ``key`` (the plaintext) is shown only here."""
    key, plaintext = await ApiKeyService(session).issue(
        principal.organization_id, body, now=runtime.clock.now()
    )
    created = ApiKeyCreated.issued(key, plaintext)
    response.headers["Location"] = f"/api/v1/api-keys/{key.id}"
    set_etag(response, created.etag)
    return created


@router.get("/{key_id}", response_model=ApiKeyRead)
async def get_api_key(
    key_id: DbId, session: ReadSession, principal: Writer, response: Response
) -> ApiKeyRead:
    return _read(await ApiKeyService(session).get(principal.organization_id, key_id), response)


@router.patch("/{key_id}", response_model=ApiKeyRead)
async def update_api_key(
    key_id: DbId,
    body: ApiKeyUpdate,
    session: WriteSession,
    principal: Writer,
    response: Response,
) -> ApiKeyRead:
    """Rename a key, change its scopes, networks or expiry; 409 if it is revoked."""
    key = await ApiKeyService(session).update(principal.organization_id, key_id, body)
    return _read(key, response)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(
    key_id: DbId, session: WriteSession, principal: Writer, runtime: RuntimeDep
) -> None:
    """Revoke a key: every later request with it gets a 401. Idempotent. A key may revoke
    itself (this request still succeeds)."""
    await ApiKeyService(session).revoke(principal.organization_id, key_id, now=runtime.clock.now())
