"""Firmware management and diagnostics notifications: the latest status of each is kept on
the charger (the full history is in the raw message log)."""

from __future__ import annotations

from ocpp.v16 import call, call_result

from chargeplane.chargers.service import ChargerService
from chargeplane.ocpp.v16._context import Context


async def firmware_status_notification(
    ctx: Context, req: call.FirmwareStatusNotification
) -> call_result.FirmwareStatusNotification:
    async with ctx.runtime.db.unit_of_work() as session:
        await ChargerService(session).firmware_status(ctx.connection, req.status, now=ctx.now())
    return call_result.FirmwareStatusNotification()


async def diagnostics_status_notification(
    ctx: Context, req: call.DiagnosticsStatusNotification
) -> call_result.DiagnosticsStatusNotification:
    async with ctx.runtime.db.unit_of_work() as session:
        await ChargerService(session).diagnostics_status(ctx.connection, req.status, now=ctx.now())
    return call_result.DiagnosticsStatusNotification()
