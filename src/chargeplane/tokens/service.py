"""Authorization of id tags against stored tokens; the rules of managing them: a value is
unique in its organization, a customer is the organization's own, a token in use is not
deleted. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.customers.service import CustomerService, in_use
from chargeplane.db.models import IdToken
from chargeplane.errors import Conflict, NotFound, PreconditionFailed, UnknownReference
from chargeplane.facts import Authorization
from chargeplane.tokens.repository import TokenRepository
from chargeplane.tokens.schemas import IdTokenCreate, IdTokenReplace, IdTokenUpdate


class TokenService:
    def __init__(self, session: AsyncSession, *, unknown: Literal["accept", "reject"]) -> None:
        self.tokens = TokenRepository(session)
        self.unknown = unknown

    async def authorize(self, organization_id: int, id_tag: str, *, now: datetime) -> Authorization:
        token = await self.tokens.authorization_of(organization_id, id_tag)
        if token is None:
            return Authorization(status="Accepted" if self.unknown == "accept" else "Invalid")
        status = token.status
        if status == "Accepted" and token.expires_at is not None and token.expires_at <= now:
            status = "Expired"
        return Authorization(
            status=status,
            expires_at=token.expires_at,
            parent_id_tag=token.parent_id_tag,
            id_token_id=token.id,
            customer_id=token.customer_id,
        )


def _value_exists(value: str) -> Conflict:
    message = f"an id token with value {value!r} exists"
    return Conflict(
        message,
        code="id_token_exists",
        fields=[{"field": "body.value", "code": "id_token_exists", "message": message}],
    )


def _is_duplicate_value(exc: IntegrityError) -> bool:
    """The unique (organization, value) constraint, as PostgreSQL and SQLite word it."""
    text = str(exc.orig)
    return any(
        name in text
        for name in (
            "uq_id_tokens_organization_id_value",
            "uq_id_tokens_organization_id_lower_value",
            "id_tokens.value",
            "id_tokens.organization_id, lower(value)",
        )
    )


class IdTokenService:
    def __init__(self, session: AsyncSession) -> None:
        self.tokens = TokenRepository(session)
        self.customers = CustomerService(session)

    async def get(self, organization_id: int, id_token_id: int) -> IdToken:
        token = await self.tokens.get(organization_id, id_token_id)
        if token is None:
            raise NotFound("id token not found")
        return token

    async def check(self, organization_id: int, id_token_id: int | None, field: str) -> None:
        """A 422 naming ``field`` unless the organization has the token (or none is given)."""
        if id_token_id is not None and await self.tokens.get(organization_id, id_token_id) is None:
            raise UnknownReference(field, "id token")

    async def _check_value(
        self, organization_id: int, value: str, *, own: IdToken | None = None
    ) -> None:
        found = await self.tokens.find(organization_id, value)
        if found is not None and (own is None or found.id != own.id):
            raise _value_exists(value)

    async def create(self, organization_id: int, body: IdTokenCreate, *, now: datetime) -> IdToken:
        await self._check_value(organization_id, body.value)
        await self.customers.check(organization_id, body.customer_id, "customer_id")
        try:
            return await self.tokens.add(
                IdToken(
                    organization_id=organization_id,
                    created_at=now,
                    updated_at=now,
                    **body.model_dump(),
                )
            )
        except IntegrityError as exc:
            if _is_duplicate_value(exc):
                raise _value_exists(body.value) from exc
            raise

    async def _change(
        self,
        organization_id: int,
        id_token_id: int,
        expected: str | None,
        values: dict[str, Any],
        *,
        now: datetime,
    ) -> IdToken:
        token = await self.get(organization_id, id_token_id)
        if expected is not None and token.etag != expected:
            raise PreconditionFailed()
        if values:
            if "value" in values:
                await self._check_value(organization_id, values["value"], own=token)
            if "customer_id" in values:
                await self.customers.check(organization_id, values["customer_id"], "customer_id")
            try:
                etag = await self.tokens.change(
                    id_token_id, expected or token.etag, values, now=now
                )
            except IntegrityError as exc:
                if _is_duplicate_value(exc):
                    raise _value_exists(values["value"]) from exc
                raise
            if etag is None:
                raise PreconditionFailed()
            await self.tokens.session.refresh(token)
        return token

    async def replace(
        self,
        organization_id: int,
        id_token_id: int,
        body: IdTokenReplace,
        expected: str,
        *,
        now: datetime,
    ) -> IdToken:
        values = body.model_dump(exclude={"etag"})
        return await self._change(organization_id, id_token_id, expected, values, now=now)

    async def update(
        self, organization_id: int, id_token_id: int, body: IdTokenUpdate, *, now: datetime
    ) -> IdToken:
        return await self._change(organization_id, id_token_id, None, body.given(), now=now)

    async def delete(self, organization_id: int, id_token_id: int) -> None:
        token = await self.get(organization_id, id_token_id)
        if await self.tokens.vehicle_count(id_token_id):
            raise Conflict("vehicles still use the id token", code="id_token_in_use")
        if await self.tokens.session_count(id_token_id):
            raise in_use("id token")
        try:
            await self.tokens.delete(token)
        except IntegrityError as exc:
            raise in_use("id token") from exc
