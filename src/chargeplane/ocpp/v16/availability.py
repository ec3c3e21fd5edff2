"""Availability: StatusNotification."""

from __future__ import annotations

from ocpp.v16 import call, call_result
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.service import ChargerService
from chargeplane.facts import StatusFact
from chargeplane.ocpp.v16._context import Context, connector_id, parse_time


async def status_notification(
    ctx: Context, req: call.StatusNotification
) -> call_result.StatusNotification:
    fact = StatusFact(
        evse_number=connector_id(req.connector_id, minimum=0),
        status=req.status,
        error_code=req.error_code,
        info=req.info,
        vendor_id=req.vendor_id,
        vendor_error_code=req.vendor_error_code,
        timestamp=parse_time(req.timestamp, "timestamp") if req.timestamp else None,
    )
    now = ctx.now()

    async def apply(session: AsyncSession) -> None:
        await ChargerService(session).status_changed(ctx.connection, fact, now=now)

    await ctx.write(apply)
    return call_result.StatusNotification()
