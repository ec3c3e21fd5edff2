"""``/api/v1/id-tokens``: RFID cards and the like."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from chargeplane.api.deps import ReadingPrincipal, ReadSession, RuntimeDep, Writer, WriteSession
from chargeplane.api.etag import expected_etag, set_etag
from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.api.params import DbId, UtcDatetime
from chargeplane.db.models import IdToken
from chargeplane.tokens.repository import TokenRepository
from chargeplane.tokens.schemas import (
    IdTokenCreate,
    IdTokenPage,
    IdTokenRead,
    IdTokenReplace,
    IdTokenUpdate,
)
from chargeplane.tokens.service import IdTokenService
from chargeplane.vocab import TokenStatus

router = APIRouter(prefix="/api/v1/id-tokens", tags=["id-tokens"])


def _read(token: IdToken, response: Response) -> IdTokenRead:
    set_etag(response, token.etag)
    return IdTokenRead.model_validate(token, from_attributes=True)


@router.get("", response_model=IdTokenPage)
async def list_id_tokens(
    session: ReadSession,
    principal: ReadingPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    updated_since: Annotated[
        UtcDatetime | None, Query(description="Only id tokens changed at or after this time.")
    ] = None,
    customer_id: Annotated[DbId | None, Query(description="Only this customer's tokens.")] = None,
    status: Annotated[TokenStatus | None, Query(description="Only tokens in this status.")] = None,
    value: Annotated[str | None, Query(description="The token with this idTag.")] = None,
) -> IdTokenPage:
    rows, more = await TokenRepository(session).list(
        principal.organization_id,
        after_id=decode_cursor(cursor),
        limit=limit,
        updated_since=updated_since,
        customer_id=customer_id,
        status=status,
        value=value,
    )
    return IdTokenPage(
        data=[IdTokenRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@router.post("", response_model=IdTokenRead, status_code=status.HTTP_201_CREATED)
async def create_id_token(
    body: IdTokenCreate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> IdTokenRead:
    token = await IdTokenService(session).create(
        principal.organization_id, body, now=runtime.clock.now()
    )
    response.headers["Location"] = f"/api/v1/id-tokens/{token.id}"
    return _read(token, response)


@router.get("/{id_token_id}", response_model=IdTokenRead)
async def get_id_token(
    id_token_id: DbId, session: ReadSession, principal: ReadingPrincipal, response: Response
) -> IdTokenRead:
    return _read(
        await IdTokenService(session).get(principal.organization_id, id_token_id), response
    )


@router.put("/{id_token_id}", response_model=IdTokenRead)
async def replace_id_token(
    id_token_id: DbId,
    body: IdTokenReplace,
    request: Request,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> IdTokenRead:
    token = await IdTokenService(session).replace(
        principal.organization_id,
        id_token_id,
        body,
        expected_etag(request, body.etag),
        now=runtime.clock.now(),
    )
    return _read(token, response)


@router.patch("/{id_token_id}", response_model=IdTokenRead)
async def update_id_token(
    id_token_id: DbId,
    body: IdTokenUpdate,
    session: WriteSession,
    principal: Writer,
    runtime: RuntimeDep,
    response: Response,
) -> IdTokenRead:
    token = await IdTokenService(session).update(
        principal.organization_id, id_token_id, body, now=runtime.clock.now()
    )
    return _read(token, response)


@router.delete("/{id_token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_id_token(id_token_id: DbId, session: WriteSession, principal: Writer) -> None:
    await IdTokenService(session).delete(principal.organization_id, id_token_id)
