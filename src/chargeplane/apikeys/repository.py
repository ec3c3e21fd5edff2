"""Every query on API keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.base import Columns, table_of
from chargeplane.db.models import ApiKey, Organization
from chargeplane.db.prepared import Prepared
from chargeplane.db.queries import owned, page


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)

    async def by_prefix(self, prefix: str) -> Columns | None:
        """What verifying a key needs, as a row: one prebuilt statement, run on every request."""
        row: Columns | None = (await _BY_PREFIX.run(self.session, {"p_prefix": prefix})).first()
        return row

    async def get(self, organization_id: int, key_id: int) -> ApiKey | None:
        return await owned(self.session, ApiKey, organization_id, key_id)

    async def any(self, key_id: int) -> ApiKey | None:
        """The key ``key_id`` whatever its organization (operator tools only)."""
        return await self.session.get(ApiKey, key_id)

    async def list(
        self, organization_id: int, *, after_id: int | None, limit: int
    ) -> tuple[Sequence[ApiKey], bool]:
        stmt = select(ApiKey).where(ApiKey.organization_id == organization_id)
        return await page(self.session, stmt, ApiKey.id, after_id=after_id, limit=limit)

    async def with_organizations(
        self, organization_id: int | None = None
    ) -> Sequence[tuple[ApiKey, str]]:
        """Every key with its organization's name, of one organization or of all (operator
        tools only)."""
        stmt = select(ApiKey, Organization.name).join(
            Organization, Organization.id == ApiKey.organization_id
        )
        if organization_id is not None:
            stmt = stmt.where(ApiKey.organization_id == organization_id)
        rows = await self.session.execute(stmt.order_by(ApiKey.id))
        return [(key, name) for key, name in rows.tuples()]

    async def flush(self) -> None:
        await self.session.flush()


_keys = table_of(ApiKey)

_BY_PREFIX = Prepared(
    select(
        _keys.c.id,
        _keys.c.organization_id,
        _keys.c.secret_hash,
        _keys.c.revoked_at,
        _keys.c.expires_at,
        _keys.c.scopes,
        _keys.c.allowed_cidrs,
        _keys.c.thor_rest_api,
    ).where(_keys.c.prefix == bindparam("p_prefix"))
)
