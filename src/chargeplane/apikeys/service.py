"""API keys: shown once, stored as a SHA-256 of the secret (keys are 256-bit random, so a
fast hash is the right tool; a password hash would only slow every request)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.apikeys.repository import ApiKeyRepository
from chargeplane.db.models import ApiKey
from chargeplane.errors import Unauthenticated
from chargeplane.organizations.repository import OrganizationRepository

SCOPES = ("basic", "sensitive", "full")
_PREFIX = "cp"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key of one organization with its scopes."""

    api_key_id: int
    organization_id: int
    scopes: frozenset[str]
    allowed_cidrs: tuple[str, ...] = ()

    @property
    def sensitive(self) -> bool:
        """May see sensitive fields (pincodes, payment tokens)."""
        return "sensitive" in self.scopes


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyService:
    def __init__(self, session: AsyncSession) -> None:
        self.keys = ApiKeyRepository(session)
        self.organizations = OrganizationRepository(session)

    async def create(
        self,
        *,
        organization: str,
        name: str,
        scopes: list[str],
        now: datetime,
        expires_at: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key and its plaintext, which is never stored."""
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        org_id = await self.organizations.get_or_create(organization, now=now)
        prefix = secrets.token_hex(6)
        plaintext = f"{_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            organization_id=org_id,
            name=name,
            prefix=prefix,
            secret_hash=_digest(plaintext),
            scopes=sorted({"basic", *scopes}),
            allowed_cidrs=[],
            created_at=now,
            expires_at=expires_at,
        )
        self.keys.add(key)
        return key, plaintext

    async def verify(self, plaintext: str, *, now: datetime) -> Principal:
        parts = plaintext.split("_", 2)
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise Unauthenticated()
        key = await self.keys.by_prefix(parts[1])
        if key is None or not hmac.compare_digest(key.secret_hash, _digest(plaintext)):
            raise Unauthenticated()
        if key.revoked_at is not None:
            raise Unauthenticated("API key revoked")
        if key.expires_at is not None and key.expires_at <= now:
            raise Unauthenticated("API key expired")
        return Principal(
            key.id, key.organization_id, frozenset(key.scopes), tuple(key.allowed_cidrs)
        )
