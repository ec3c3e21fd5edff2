"""Rules of a charger's EVSEs over the API: numbers are unique per charger; the live OCPP
status is never written here; an EVSE sessions reference is not deleted, nor a charger's last
one. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.schemas import ConnectorRead
from chargeplane.chargers.snapshot import ocpp_status
from chargeplane.db.models import Charger, Evse
from chargeplane.errors import Conflict, NotFound, PreconditionFailed
from chargeplane.evses.repository import EvseRepository
from chargeplane.evses.schemas import EvseCreate, EvseReplace, EvseResource, EvseUpdate


def _read(charger_id: int, evse: Evse) -> EvseResource:
    return EvseResource(
        id=evse.id,
        charger_id=charger_id,
        number=evse.number,
        name=evse.name,
        max_power_kw=evse.max_power_kw,
        ocpp_status=ocpp_status(evse),
        connectors=[ConnectorRead.model_validate(c, from_attributes=True) for c in evse.connectors],
        created_at=evse.created_at,
        updated_at=evse.updated_at,
        etag=evse.etag,
    )


class EvseService:
    def __init__(self, session: AsyncSession) -> None:
        self.evses = EvseRepository(session)

    async def _charger(self, organization_id: int, charger_id: int) -> Charger:
        charger = await self.evses.charger(charger_id, organization_id)
        if charger is None:
            raise NotFound("charger not found")
        return charger

    async def _evse(self, organization_id: int, charger_id: int, number: int) -> Evse:
        charger = await self._charger(organization_id, charger_id)
        for evse in charger.evses:
            if evse.number == number:
                return evse
        raise NotFound("EVSE not found")

    async def list(self, organization_id: int, charger_id: int) -> list[EvseResource]:
        charger = await self._charger(organization_id, charger_id)
        return [_read(charger.id, evse) for evse in charger.evses]

    async def get(self, organization_id: int, charger_id: int, number: int) -> EvseResource:
        return _read(charger_id, await self._evse(organization_id, charger_id, number))

    async def create(
        self, organization_id: int, charger_id: int, body: EvseCreate, *, now: datetime
    ) -> EvseResource:
        await self._charger(organization_id, charger_id)
        evse_id = await self.evses.add(
            charger_id,
            body.number,
            {"name": body.name, "max_power_kw": body.max_power_kw},
            now=now,
        )
        if evse_id is None:
            raise Conflict(f"the charger already has EVSE {body.number}", code="evse_exists")
        await self.evses.replace_connectors(evse_id, body.connectors, now=now)
        return await self.get(organization_id, charger_id, body.number)

    async def replace(
        self,
        organization_id: int,
        charger_id: int,
        number: int,
        body: EvseReplace,
        expected: str,
        *,
        now: datetime,
    ) -> EvseResource:
        evse = await self._evse(organization_id, charger_id, number)
        values = body.model_dump(exclude={"etag", "connectors"})
        if (
            evse.etag != expected
            or await self.evses.change(evse.id, expected, values, now=now) is None
        ):
            raise PreconditionFailed()
        await self.evses.replace_connectors(evse.id, body.connectors, now=now)
        return await self.get(organization_id, charger_id, number)

    async def update(
        self, organization_id: int, charger_id: int, number: int, body: EvseUpdate, *, now: datetime
    ) -> EvseResource:
        evse = await self._evse(organization_id, charger_id, number)
        values = body.given()
        values.pop("connectors", None)
        await self.evses.change(evse.id, None, values, now=now)  # a new etag in any case
        if body.connectors is not None:
            await self.evses.replace_connectors(evse.id, body.connectors, now=now)
        return await self.get(organization_id, charger_id, number)

    async def delete(self, organization_id: int, charger_id: int, number: int) -> None:
        evse = await self._evse(organization_id, charger_id, number)
        if await self.evses.session_count([evse.id]):
            raise Conflict("charging sessions reference this EVSE", code="evse_in_use")
        if len(await self.evses.numbers(charger_id)) <= 1:
            raise Conflict("a charger keeps at least one EVSE", code="last_evse")
        await self.evses.delete([evse.id])
