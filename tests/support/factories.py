"""Typed factories that seed the store directly (for what the API cannot create yet)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from chargeplane.apikeys.service import ApiKeyService
from chargeplane.chargers.service import ChargerService
from chargeplane.db import Database
from chargeplane.db.models import Customer, IdToken, Vehicle
from chargeplane.facts import Connection
from chargeplane.organizations.repository import OrganizationRepository


def now() -> datetime:
    return datetime.now(UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def admitted_charger(db: Database, prefix: str) -> Connection:
    """A charger admitted as the OCPP gateway admits an unknown one, in an organization of
    its own."""
    async with db.unit_of_work() as session:
        return await ChargerService(session).admit(
            unique(prefix),
            unknown="accept",
            default_organization=unique("org"),
            client_ip=None,
            node_name="n",
            protocol="ocpp1.6",
            now=now(),
        )


async def organization(db: Database, name: str | None = None) -> int:
    async with db.unit_of_work() as session:
        return await OrganizationRepository(session).get_or_create(name or unique("org"), now=now())


async def api_key(
    db: Database,
    *,
    organization: str,
    scopes: tuple[str, ...] = ("basic",),
    expires_at: datetime | None = None,
) -> str:
    async with db.unit_of_work() as session:
        _key, plaintext = await ApiKeyService(session).create(
            organization=organization,
            name=unique("key"),
            scopes=list(scopes),
            now=now(),
            expires_at=expires_at,
        )
    return plaintext


async def customer(db: Database, *, organization_id: int, name: str = "Test Customer") -> int:
    async with db.unit_of_work() as session:
        row = Customer(
            organization_id=organization_id, name=name, created_at=now(), updated_at=now()
        )
        session.add(row)
        await session.flush()
        return row.id


async def id_token(
    db: Database,
    *,
    organization_id: int,
    value: str,
    name: str = "Employee Card",
    status: str = "Accepted",
    expires_at: datetime | None = None,
    customer_id: int | None = None,
    parent_id_tag: str | None = None,
) -> int:
    async with db.unit_of_work() as session:
        row = IdToken(
            organization_id=organization_id,
            value=value,
            name=name,
            status=status,
            expires_at=expires_at,
            customer_id=customer_id,
            parent_id_tag=parent_id_tag,
            created_at=now(),
            updated_at=now(),
        )
        session.add(row)
        await session.flush()
        return row.id


async def vehicle(
    db: Database,
    *,
    organization_id: int,
    make: str | None = "Tesla",
    model: str | None = "Model 3",
    name: str | None = "9876",
    vin: str | None = "demo-vin-0",
    customer_id: int | None = None,
    id_token_id: int | None = None,
) -> int:
    async with db.unit_of_work() as session:
        row = Vehicle(
            organization_id=organization_id,
            make=make,
            model=model,
            name=name,
            vin=vin,
            customer_id=customer_id,
            id_token_id=id_token_id,
            created_at=now(),
            updated_at=now(),
        )
        session.add(row)
        await session.flush()
        return row.id
