"""Transactions: StartTransaction, MeterValues, StopTransaction.

Every well-formed transaction message is answered once its data is committed; suspect data
is flagged by the session service, never rejected.
"""

from __future__ import annotations

from ocpp.v16 import call, call_result

from chargeplane.facts import MeterValuesFact, SessionStart, SessionStop
from chargeplane.ocpp.v16._context import Context, connector_id, meter_samples, parse_time
from chargeplane.ocpp.v16.authorization import id_tag_info
from chargeplane.sessions.service import SessionService
from chargeplane.tokens.service import TokenService


async def start_transaction(
    ctx: Context, req: call.StartTransaction
) -> call_result.StartTransaction:
    fact = SessionStart(
        evse_number=connector_id(req.connector_id, minimum=1),
        id_tag=req.id_tag,
        meter_start=req.meter_start,
        timestamp=parse_time(req.timestamp, "timestamp"),
        reservation_id=req.reservation_id,
    )
    now = ctx.now()
    async with ctx.runtime.db.unit_of_work() as session:
        tokens = TokenService(session, unknown=ctx.runtime.settings.ocpp.unknown_id_tags)
        auth = await tokens.authorize(ctx.connection.organization_id, req.id_tag, now=now)
        started = await SessionService(session).start(ctx.connection, fact, auth, now=now)
    return call_result.StartTransaction(
        transaction_id=started.transaction_id, id_tag_info=id_tag_info(auth)
    )


async def meter_values(ctx: Context, req: call.MeterValues) -> call_result.MeterValues:
    fact = MeterValuesFact(
        evse_number=connector_id(req.connector_id, minimum=0),
        samples=meter_samples(req.meter_value, "meterValue"),
        transaction_id=req.transaction_id,
    )
    async with ctx.runtime.db.unit_of_work() as session:
        await SessionService(session).meter_values(ctx.connection, fact, now=ctx.now())
    return call_result.MeterValues()


async def stop_transaction(ctx: Context, req: call.StopTransaction) -> call_result.StopTransaction:
    fact = SessionStop(
        transaction_id=req.transaction_id,
        meter_stop=req.meter_stop,
        timestamp=parse_time(req.timestamp, "timestamp"),
        id_tag=req.id_tag,
        reason=req.reason,
        samples=meter_samples(req.transaction_data or [], "transactionData"),
    )
    now = ctx.now()
    async with ctx.runtime.db.unit_of_work() as session:
        await SessionService(session).stop(ctx.connection, fact, now=now)
        auth = None
        if req.id_tag is not None:
            tokens = TokenService(session, unknown=ctx.runtime.settings.ocpp.unknown_id_tags)
            auth = await tokens.authorize(ctx.connection.organization_id, req.id_tag, now=now)
    return call_result.StopTransaction(id_tag_info=id_tag_info(auth) if auth else None)
