"""Rules of managing chargers over the API: ownership of the site and template, unique
identities, at least one EVSE, sensitive fields sealed at rest. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.layout import apply_layout, layout_of_template
from chargeplane.chargers.repository import ChargerRepository
from chargeplane.chargers.schemas import ChargerCreate, ChargerReplace, ChargerUpdate
from chargeplane.crypto import Sealer
from chargeplane.db.models import Charger, HardwareTemplate, Site
from chargeplane.db.queries import owned
from chargeplane.errors import Conflict, NotFound, PreconditionFailed, UnknownReference
from chargeplane.layout import EvseSpec

# Body fields stored as they are; the rest are mapped by ``_columns``.
_MAPPED = frozenset({"contactless_token", "pincode", "licenses", "evses"})
_DIRECT = frozenset(ChargerUpdate.model_fields) - _MAPPED


class ChargerManagement:
    def __init__(self, session: AsyncSession, sealer: Sealer) -> None:
        self.session = session
        self.chargers = ChargerRepository(session)
        self.sealer = sealer

    def _columns(self, data: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in data.items() if k in _DIRECT}
        if "contactless_token" in data:
            out["contactless_token_sealed"] = self.sealer.seal(data["contactless_token"])
        if "pincode" in data:
            out["pincode_sealed"] = self.sealer.seal(data["pincode"])
        if "licenses" in data:
            out["license_smart"] = data["licenses"]["smart"]
            out["license_pro"] = data["licenses"]["pro"]
        return out

    async def _check(
        self, organization_id: int, data: dict[str, Any], *, charger_id: int | None = None
    ) -> HardwareTemplate | None:
        """Refuse references to another organization's objects and taken identities; the
        template the data names, if any."""
        if (
            data.get("site_id") is not None
            and await owned(self.session, Site, organization_id, data["site_id"]) is None
        ):
            raise UnknownReference("site_id", "site")
        template = None
        if data.get("hardware_template_id") is not None:
            template = await owned(
                self.session, HardwareTemplate, organization_id, data["hardware_template_id"]
            )
            if template is None:
                raise UnknownReference("hardware_template_id", "hardware template")
        if "ocpp_id" in data and await self.chargers.ocpp_id_taken(
            data["ocpp_id"], other_than=charger_id
        ):
            raise Conflict(
                "a charger with this OCPP identity exists",
                code="ocpp_id_taken",
                fields=[{"field": "body.ocpp_id", "code": "taken", "message": "already in use"}],
            )
        if data.get("external_id") is not None and await self.chargers.external_id_taken(
            organization_id, data["external_id"], other_than=charger_id
        ):
            raise Conflict(
                "a charger with this external id exists",
                code="external_id_taken",
                fields=[
                    {"field": "body.external_id", "code": "taken", "message": "already in use"}
                ],
            )
        return template

    async def create(self, organization_id: int, body: ChargerCreate, *, now: datetime) -> int:
        data = body.model_dump()
        template = await self._check(organization_id, data)
        charger = await self.chargers.add(
            Charger(
                uuid=str(uuid.uuid4()),
                organization_id=organization_id,
                connection_seq=0,
                created_at=now,
                updated_at=now,
                **self._columns(data),
            )
        )
        layout = body.evses if body.evses is not None else _template_layout(template)
        await apply_layout(self.session, charger.id, layout, now=now)
        return charger.id

    async def _change(
        self,
        organization_id: int,
        charger_id: int,
        expected: str | None,
        data: dict[str, Any],
        evses: list[EvseSpec] | None,
        *,
        now: datetime,
    ) -> None:
        charger = await self.chargers.owned(organization_id, charger_id)
        if charger is None:
            raise NotFound("charger not found")
        if expected is not None and charger.etag != expected:
            raise PreconditionFailed()
        template = await self._check(organization_id, data, charger_id=charger_id)
        if evses is None and template is not None and template.id != charger.hardware_template_id:
            evses = _template_layout(template)
        if evses is not None:
            await apply_layout(self.session, charger_id, evses, now=now)
        values = self._columns(data)
        if values or evses is not None:
            changed = await self.chargers.change(
                charger_id, expected or charger.etag, values, now=now
            )
            if changed is None:
                raise PreconditionFailed()

    async def replace(
        self,
        organization_id: int,
        charger_id: int,
        body: ChargerReplace,
        expected: str,
        *,
        now: datetime,
    ) -> None:
        data = body.model_dump(exclude={"etag", "evses"})
        await self._change(organization_id, charger_id, expected, data, body.evses, now=now)

    async def update(
        self,
        organization_id: int,
        charger_id: int,
        body: ChargerUpdate,
        *,
        now: datetime,
        expected: str | None = None,
    ) -> None:
        """Change the given fields; with ``expected``, only if the etag still matches."""
        data = body.given()
        data.pop("evses", None)
        await self._change(organization_id, charger_id, expected, data, body.evses, now=now)

    async def delete(self, organization_id: int, charger_id: int) -> None:
        charger = await self.chargers.owned(organization_id, charger_id)
        if charger is None:
            raise NotFound("charger not found")
        if charger.connection_status == "Connected":
            raise Conflict("the charger is connected", code="charger_connected")
        if await self.chargers.has_sessions(charger_id):
            raise Conflict(
                "the charger has charging sessions; set deploy_state to Deprecated instead",
                code="charger_has_sessions",
            )
        await self.chargers.delete(charger)


def _template_layout(template: HardwareTemplate | None) -> list[EvseSpec]:
    assert template is not None  # ChargerCreate requires evses or a template
    return layout_of_template(template)
