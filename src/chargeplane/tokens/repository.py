"""Every query on id tokens; and the customer and vehicle lookups the OCPP side makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.base import Columns, table_of
from chargeplane.db.models import ChargingSession, IdToken, Vehicle
from chargeplane.db.prepared import Prepared
from chargeplane.db.queries import compare_and_set, of_organization, owned, page

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(value: str) -> str:
    """Lower-case as SQL ``lower()`` does on both backends for the ASCII that id tags are
    made of (SQLite's ``lower()`` folds ASCII only; Python's ``str.lower`` folds more)."""
    return value.translate(_ASCII_LOWER)


class TokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, organization_id: int, value: str) -> IdToken | None:
        return (
            await self.session.scalars(
                select(IdToken).where(
                    IdToken.organization_id == organization_id,
                    # OCPP id tags are case-insensitive (CiString20Type).
                    func.lower(IdToken.value) == ascii_lower(value),
                )
            )
        ).first()

    async def authorization_of(self, organization_id: int, value: str) -> Columns | None:
        """What authorizing ``value`` needs (``id``, ``status``, ``expires_at``,
        ``parent_id_tag``, ``customer_id``): one prebuilt statement, run on every Authorize
        and transaction message."""
        result = await _AUTHORIZATION.run(
            self.session, {"p_organization_id": organization_id, "p_value": ascii_lower(value)}
        )
        return result.first()  # type: ignore[no-any-return]

    async def vehicle_for(self, id_token_id: int | None, customer_id: int | None) -> int | None:
        """The vehicle linked to the token, else the customer's only vehicle."""
        if id_token_id is not None:
            vehicle_id = await self.session.scalar(
                select(Vehicle.id).where(Vehicle.id_token_id == id_token_id).order_by(Vehicle.id)
            )
            if vehicle_id is not None:
                return vehicle_id
        if customer_id is not None:
            ids = (
                await self.session.scalars(
                    select(Vehicle.id).where(Vehicle.customer_id == customer_id).limit(2)
                )
            ).all()
            if len(ids) == 1:
                return ids[0]
        return None

    # Management of id tokens (the REST API).

    async def get(self, organization_id: int, id_token_id: int) -> IdToken | None:
        return await owned(self.session, IdToken, organization_id, id_token_id)

    async def list(
        self,
        organization_id: int,
        *,
        after_id: int | None,
        limit: int,
        updated_since: datetime | None = None,
        customer_id: int | None = None,
        status: str | None = None,
        value: str | None = None,
    ) -> tuple[Sequence[IdToken], bool]:
        stmt = of_organization(IdToken, organization_id, updated_since=updated_since)
        if customer_id is not None:
            stmt = stmt.where(IdToken.customer_id == customer_id)
        if status is not None:
            stmt = stmt.where(IdToken.status == status)
        if value is not None:
            stmt = stmt.where(func.lower(IdToken.value) == ascii_lower(value))
        return await page(self.session, stmt, IdToken.id, after_id=after_id, limit=limit)

    async def add(self, token: IdToken) -> IdToken:
        self.session.add(token)
        await self.session.flush()
        return token

    async def change(
        self, id_token_id: int, expected_etag: str | None, values: dict[str, Any], *, now: datetime
    ) -> str | None:
        return await compare_and_set(
            self.session, IdToken, id_token_id, expected_etag, values, now=now
        )

    async def vehicle_count(self, id_token_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Vehicle).where(Vehicle.id_token_id == id_token_id)
        )
        return int(count or 0)

    async def session_count(self, id_token_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ChargingSession)
            .where(ChargingSession.id_token_id == id_token_id)
        )
        return int(count or 0)

    async def delete(self, token: IdToken) -> None:
        """Flushed at once, so a row referencing it meanwhile fails here, not at commit."""
        await self.session.delete(token)
        await self.session.flush()


_tokens = table_of(IdToken)

_AUTHORIZATION = Prepared(
    select(
        _tokens.c.id,
        _tokens.c.status,
        _tokens.c.expires_at,
        _tokens.c.parent_id_tag,
        _tokens.c.customer_id,
    ).where(
        _tokens.c.organization_id == bindparam("p_organization_id"),
        # OCPP id tags are case-insensitive (CiString20Type).
        func.lower(_tokens.c.value) == bindparam("p_value"),
    )
)
