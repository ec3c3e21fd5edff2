"""Making a charger's EVSEs and connectors match a layout (a hardware template's or one given
by hand). Never commits.

EVSE rows are kept by number: the OCPP side creates them on first sight and keeps their live
status on them, and charging sessions reference them. Only their configuration (name, power,
connectors) is replaced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.db.models import HardwareTemplate
from chargeplane.errors import Conflict, InvalidRequest
from chargeplane.evses.repository import EvseRepository
from chargeplane.layout import EvseSpec


def layout_of_template(template: HardwareTemplate) -> list[EvseSpec]:
    """The EVSEs a charger built from ``template`` gets."""
    return [EvseSpec.model_validate(evse) for evse in template.layout]


async def apply_layout(
    session: AsyncSession, charger_id: int, evses: list[EvseSpec], *, now: datetime
) -> None:
    """Make charger ``charger_id``'s EVSEs exactly ``evses``.

    An EVSE whose number is in ``evses`` keeps its row (id, live OCPP status) and gets the
    spec's name, power and connectors, and a new etag; a new number is created; an EVSE not in
    ``evses`` is deleted, unless a charging session references it: then nothing changes and
    ``Conflict`` (``evse_in_use``) is raised. ``InvalidRequest`` if ``evses`` is empty or
    repeats a number.

    Writes go around the identity map; the charger and its EVSEs, if loaded in ``session``,
    are refreshed before returning.
    """
    numbers = [e.number for e in evses]
    if not numbers:
        raise InvalidRequest("a charger needs at least one EVSE", code="evses_required")
    if len(numbers) != len(set(numbers)):
        raise InvalidRequest("EVSE numbers must be unique", code="duplicate_evse")
    repo = EvseRepository(session)
    existing = await repo.numbers(charger_id)
    gone = {number: id for number, id in existing.items() if number not in set(numbers)}
    if await repo.session_count(gone.values()):
        raise Conflict(
            f"charging sessions reference EVSE(s) {sorted(gone)} the layout leaves out",
            code="evse_in_use",
        )
    await repo.delete(gone.values())
    for spec in evses:
        evse_id = await repo.put(
            charger_id,
            spec.number,
            {"name": spec.name, "max_power_kw": spec.max_power_kw},
            now=now,
        )
        await repo.replace_connectors(evse_id, spec.connectors, now=now)
    await repo.charger(charger_id)
