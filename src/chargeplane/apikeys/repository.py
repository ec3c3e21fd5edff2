"""Every query on API keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)

    async def by_prefix(self, prefix: str) -> ApiKey | None:
        return (await self.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix))).first()
