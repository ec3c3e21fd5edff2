"""API key API models: Read, Created (Read + the plaintext, once), Create (POST), Update
(PATCH). There is no PUT: a key's secret and prefix never change; revoking is DELETE."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, field_validator

from chargeplane.api.input import StrictInput
from chargeplane.db.models import ApiKey

Scope = Literal["basic", "sensitive", "full"]


def canonical_cidr(value: str) -> str:
    """A network in canonical form (``10.1.2.3/8`` → ``10.0.0.0/8``; a bare address is /32
    or /128); ValueError if ``value`` is not one."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError(f"not an IPv4 or IPv6 network in CIDR notation: {value!r}") from None


Cidr = Annotated[str, AfterValidator(canonical_cidr)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


def etag_of(key: ApiKey) -> str:
    """A key's entity tag: a digest of what can change (keys have no stored etag)."""
    state = [
        key.name,
        sorted(key.scopes),
        list(key.allowed_cidrs),
        key.expires_at.isoformat() if key.expires_at else None,
        key.revoked_at.isoformat() if key.revoked_at else None,
        key.thor_rest_api,
    ]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:32]


class ApiKeyRead(BaseModel):
    """A key as listed: never its secret nor its hash."""

    id: int
    name: str
    prefix: str
    """The public part of the key (``cp_<prefix>_…``), to recognise it by."""
    scopes: list[str]
    allowed_cidrs: list[str]
    """Networks the key may be used from; empty means anywhere."""
    thor_rest_api: bool
    """May use the Thor dialect (/compat/thor), like Thor's "REST API integration" switch."""
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    etag: str

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyRead:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=list(key.scopes),
            allowed_cidrs=list(key.allowed_cidrs),
            thor_rest_api=key.thor_rest_api,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            etag=etag_of(key),
        )


class ApiKeyCreated(ApiKeyRead):
    key: str
    """The plaintext key. Shown in this response only; only a hash of it is kept."""

    @classmethod
    def issued(cls, key: ApiKey, plaintext: str) -> ApiKeyCreated:
        return cls(**ApiKeyRead.of(key).model_dump(), key=plaintext)


def _basic() -> list[Scope]:
    return ["basic"]


_READ_ONLY = frozenset({"id", "prefix", "created_at", "revoked_at", "etag", "key"})


class ApiKeyCreate(StrictInput):
    READ_ONLY = _READ_ONLY

    name: Name
    scopes: list[Scope] = Field(default_factory=_basic)
    """``basic`` is always included."""
    allowed_cidrs: list[Cidr] = Field(default_factory=list)
    thor_rest_api: bool = False
    expires_at: AwareDatetime | None = None


class ApiKeyUpdate(StrictInput):
    """Omitted fields stay as they are; ``expires_at: null`` removes the expiry."""

    READ_ONLY = _READ_ONLY

    name: Name | None = None
    scopes: list[Scope] | None = None
    allowed_cidrs: list[Cidr] | None = None
    thor_rest_api: bool | None = None
    expires_at: AwareDatetime | None = None

    @field_validator("name", "scopes", "allowed_cidrs", "thor_rest_api")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only on given values (defaults are not validated): null is refused by name.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class ApiKeyPage(BaseModel):
    data: list[ApiKeyRead]
    next_cursor: str | None
