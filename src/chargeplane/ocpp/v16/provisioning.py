"""Provisioning: BootNotification, Heartbeat."""

from __future__ import annotations

from ocpp.v16 import call, call_result
from ocpp.v16.enums import RegistrationStatus
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.service import ChargerService
from chargeplane.facts import BootFacts
from chargeplane.ocpp.v16._context import Context, format_time


async def boot_notification(
    ctx: Context, req: call.BootNotification
) -> call_result.BootNotification:
    facts = BootFacts(
        vendor=req.charge_point_vendor,
        model=req.charge_point_model,
        serial_number=req.charge_point_serial_number,
        charge_box_serial_number=req.charge_box_serial_number,
        firmware_version=req.firmware_version,
        iccid=req.iccid,
        imsi=req.imsi,
        meter_type=req.meter_type,
        meter_serial_number=req.meter_serial_number,
    )
    interval = ctx.runtime.settings.ocpp.heartbeat_interval
    now = ctx.now()

    async def apply(session: AsyncSession) -> None:
        await ChargerService(session).booted(
            ctx.connection, facts, heartbeat_interval=interval, now=now
        )

    await ctx.write(apply)
    return call_result.BootNotification(
        current_time=format_time(now), interval=interval, status=RegistrationStatus.accepted
    )


async def heartbeat(ctx: Context, _req: call.Heartbeat) -> call_result.Heartbeat:
    now = ctx.now()

    async def apply(session: AsyncSession) -> None:
        await ChargerService(session).heartbeat(ctx.connection, now=now)

    await ctx.write(apply)
    return call_result.Heartbeat(current_time=format_time(now))
