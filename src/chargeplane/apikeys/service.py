"""API keys: shown once, stored as a SHA-256 of the secret (keys are 256-bit random, so a
fast hash is the right tool; a password hash would only slow every request). Never commits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.apikeys.repository import ApiKeyRepository
from chargeplane.apikeys.schemas import ApiKeyCreate, ApiKeyUpdate, canonical_cidr
from chargeplane.db.models import ApiKey
from chargeplane.errors import Conflict, NotFound, Unauthenticated
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
    thor_rest_api: bool = False

    @property
    def sensitive(self) -> bool:
        """May see sensitive fields (pincodes, payment tokens)."""
        return "sensitive" in self.scopes


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _scopes(scopes: Iterable[str]) -> list[str]:
    """The stored form: known scopes only, ``basic`` always included, sorted."""
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    return sorted({"basic", *scopes})


def _cidrs(cidrs: Iterable[str]) -> list[str]:
    """Networks in canonical form, without repeats; ValueError naming one that is not."""
    return list(dict.fromkeys(canonical_cidr(c) for c in cidrs))


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
        allowed_cidrs: Sequence[str] = (),
        thor_rest_api: bool = False,
    ) -> tuple[ApiKey, str]:
        """A new key of the organization called ``organization`` (created if missing) and its
        plaintext, which is never stored. ValueError on unknown scopes or bad networks."""
        scopes, cidrs = _scopes(scopes), _cidrs(allowed_cidrs)
        org_id = await self.organizations.get_or_create(organization, now=now)
        return await self._issue(
            org_id,
            name,
            scopes,
            cidrs,
            now=now,
            expires_at=expires_at,
            thor_rest_api=thor_rest_api,
        )

    async def issue(
        self, organization_id: int, body: ApiKeyCreate, *, now: datetime
    ) -> tuple[ApiKey, str]:
        """A new key of organization ``organization_id`` and its plaintext (over the API)."""
        return await self._issue(
            organization_id,
            body.name,
            _scopes(body.scopes),
            _cidrs(body.allowed_cidrs),
            now=now,
            expires_at=body.expires_at,
            thor_rest_api=body.thor_rest_api,
        )

    async def _issue(
        self,
        organization_id: int,
        name: str,
        scopes: list[str],
        allowed_cidrs: list[str],
        *,
        now: datetime,
        expires_at: datetime | None,
        thor_rest_api: bool = False,
    ) -> tuple[ApiKey, str]:
        prefix = secrets.token_hex(6)
        plaintext = f"{_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            organization_id=organization_id,
            name=name,
            prefix=prefix,
            secret_hash=_digest(plaintext),
            scopes=scopes,
            allowed_cidrs=allowed_cidrs,
            thor_rest_api=thor_rest_api,
            created_at=now,
            expires_at=expires_at,
        )
        self.keys.add(key)
        await self.keys.flush()
        return key, plaintext

    async def get(self, organization_id: int, key_id: int) -> ApiKey:
        key = await self.keys.get(organization_id, key_id)
        if key is None:
            raise NotFound("API key not found")
        return key

    async def update(self, organization_id: int, key_id: int, body: ApiKeyUpdate) -> ApiKey:
        """Change a key's name, scopes, networks or expiry; a revoked key stays as it was."""
        key = await self.get(organization_id, key_id)
        if key.revoked_at is not None:
            raise Conflict("a revoked API key cannot be changed", code="api_key_revoked")
        values: dict[str, Any] = body.given()
        if "scopes" in values:
            values["scopes"] = _scopes(values["scopes"])
        if "allowed_cidrs" in values:
            values["allowed_cidrs"] = _cidrs(values["allowed_cidrs"])
        for field, value in values.items():
            setattr(key, field, value)
        await self.keys.flush()
        return key

    async def revoke(self, organization_id: int | None, key_id: int, *, now: datetime) -> ApiKey:
        """Revoke key ``key_id`` of organization ``organization_id`` (None: of any, for the
        operator). Revoking a revoked key changes nothing. A key may revoke itself: the
        request that does so still succeeds, every later one gets a 401."""
        if organization_id is None:
            key = await self.keys.any(key_id)
            if key is None:
                raise NotFound(f"no API key with id {key_id}")
        else:
            key = await self.get(organization_id, key_id)
        if key.revoked_at is None:
            key.revoked_at = now
            await self.keys.flush()
        return key

    async def listing(self, organization: str | None = None) -> Sequence[tuple[ApiKey, str]]:
        """Every key with its organization's name; of one organization if named (operator)."""
        org_id = None
        if organization is not None:
            org = await self.organizations.by_name(organization)
            if org is None:
                raise NotFound(f"no organization named {organization!r}")
            org_id = org.id
        return await self.keys.with_organizations(org_id)

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
            key.id,
            key.organization_id,
            frozenset(key.scopes),
            tuple(key.allowed_cidrs),
            key.thor_rest_api,
        )
