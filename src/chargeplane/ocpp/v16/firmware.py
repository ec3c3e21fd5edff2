"""Firmware management and diagnostics notifications: the latest status of each is kept on
the charger (the full history is in the raw message log)."""

from __future__ import annotations

from ocpp.v16 import call, call_result
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.service import ChargerService
from chargeplane.ocpp.v16._context import Context


async def firmware_status_notification(
    ctx: Context, req: call.FirmwareStatusNotification
) -> call_result.FirmwareStatusNotification:
    now = ctx.now()

    async def apply(session: AsyncSession) -> None:
        await ChargerService(session).firmware_status(ctx.connection, req.status, now=now)

    await ctx.write(apply)
    return call_result.FirmwareStatusNotification()


async def diagnostics_status_notification(
    ctx: Context, req: call.DiagnosticsStatusNotification
) -> call_result.DiagnosticsStatusNotification:
    now = ctx.now()

    async def apply(session: AsyncSession) -> None:
        await ChargerService(session).diagnostics_status(ctx.connection, req.status, now=now)

    await ctx.write(apply)
    return call_result.DiagnosticsStatusNotification()
