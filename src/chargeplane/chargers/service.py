"""Rules of a charger's life on the OCPP side: admission, connection, boot, heartbeat, status.
Never commits; the unit of work at the edge does."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.repository import ChargerRepository
from chargeplane.errors import ChargerRejected
from chargeplane.facts import BootFacts, Connection, StatusFact
from chargeplane.organizations.repository import OrganizationRepository


class ChargerService:
    def __init__(self, session: AsyncSession) -> None:
        self.chargers = ChargerRepository(session)
        self.organizations = OrganizationRepository(session)

    async def admit(
        self,
        ocpp_id: str,
        *,
        unknown: Literal["accept", "reject"],
        default_organization: str,
        client_ip: str | None,
        node_name: str,
        protocol: str,
        now: datetime,
    ) -> Connection:
        """Admit a connecting charge point, registering it when unknown and allowed."""

        async def connect() -> tuple[int, int, int] | None:
            return await self.chargers.mark_connected(
                ocpp_id, now=now, client_ip=client_ip, node_name=node_name, protocol=protocol
            )

        admitted = await connect()  # one statement for a known charger
        if admitted is None:
            if unknown == "reject":
                raise ChargerRejected(f"unknown charge point identity {ocpp_id!r}")
            org_id = await self.organizations.get_or_create(default_organization, now=now)
            await self.chargers.register(ocpp_id, org_id, now=now)
            admitted = await connect()
            assert admitted is not None
        charger_id, organization_id, seq = admitted
        return Connection(charger_id, organization_id, ocpp_id, seq)

    async def disconnected(self, connection: Connection, *, now: datetime) -> bool:
        return await self.chargers.mark_disconnected(
            connection.charger_id, connection.connection_seq, now=now
        )

    async def booted(
        self, connection: Connection, facts: BootFacts, *, heartbeat_interval: int, now: datetime
    ) -> None:
        await self.chargers.record_boot(
            connection.charger_id, facts, now=now, heartbeat_interval=heartbeat_interval
        )

    async def heartbeat(self, connection: Connection, *, now: datetime) -> None:
        self.chargers.record_heartbeat(connection.charger_id, now=now)

    async def firmware_status(self, connection: Connection, status: str, *, now: datetime) -> None:
        await self.chargers.record_notification(connection.charger_id, "firmware", status, now=now)

    async def diagnostics_status(
        self, connection: Connection, status: str, *, now: datetime
    ) -> None:
        await self.chargers.record_notification(
            connection.charger_id, "diagnostics", status, now=now
        )

    async def status_changed(
        self, connection: Connection, fact: StatusFact, *, now: datetime
    ) -> None:
        """Current status (charger itself for EVSE 0) plus one row of history."""
        if fact.evse_number == 0:
            self.chargers.record_charger_status(connection.charger_id, fact, now=now)
        else:
            self.chargers.record_evse_status(connection.charger_id, fact, now=now)
        self.chargers.add_status_event(connection.charger_id, fact, now=now)
