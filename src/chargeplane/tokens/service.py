"""Authorization of id tags against stored tokens. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.facts import Authorization
from chargeplane.tokens.repository import TokenRepository


class TokenService:
    def __init__(self, session: AsyncSession, *, unknown: Literal["accept", "reject"]) -> None:
        self.tokens = TokenRepository(session)
        self.unknown = unknown

    async def authorize(self, organization_id: int, id_tag: str, *, now: datetime) -> Authorization:
        token = await self.tokens.find(organization_id, id_tag)
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
