"""Transactions: StartTransaction, MeterValues, StopTransaction.

Every well-formed transaction message is answered once its data is committed; suspect data
is flagged by the session service, never rejected.
"""

from __future__ import annotations

from ocpp.v16 import call, call_result
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.facts import Authorization, MeterValuesFact, SessionStart, SessionStop
from chargeplane.ocpp.v16._context import (
    Context,
    connector_id,
    int64,
    meter_samples,
    parse_time,
)
from chargeplane.ocpp.v16.authorization import id_tag_info
from chargeplane.sessions.service import SessionService, Started
from chargeplane.tokens.service import TokenService


async def start_transaction(
    ctx: Context, req: call.StartTransaction
) -> call_result.StartTransaction:
    fact = SessionStart(
        evse_number=connector_id(req.connector_id, minimum=1),
        id_tag=req.id_tag,
        meter_start=int64(req.meter_start, "meterStart"),
        timestamp=parse_time(req.timestamp, "timestamp"),
        reservation_id=(
            connector_id(req.reservation_id, minimum=0) if req.reservation_id is not None else None
        ),
    )
    now = ctx.now()
    unknown = ctx.runtime.settings.ocpp.unknown_id_tags

    async def apply(session: AsyncSession) -> tuple[Authorization, Started]:
        tokens = TokenService(session, unknown=unknown)
        auth = await tokens.authorize(ctx.connection.organization_id, req.id_tag, now=now)
        return auth, await SessionService(session).start(ctx.connection, fact, auth, now=now)

    auth, started = await ctx.write(apply)
    ctx.remember_session(started.transaction_id)
    return call_result.StartTransaction(
        transaction_id=started.transaction_id, id_tag_info=id_tag_info(auth)
    )


async def meter_values(ctx: Context, req: call.MeterValues) -> call_result.MeterValues:
    fact = MeterValuesFact(
        evse_number=connector_id(req.connector_id, minimum=0),
        samples=meter_samples(req.meter_value, "meterValue"),
        transaction_id=(
            int64(req.transaction_id, "transactionId") if req.transaction_id is not None else None
        ),
    )
    now = ctx.now()
    known = ctx.knows_session(fact.transaction_id)

    async def apply(session: AsyncSession) -> int | None:
        return await SessionService(session).meter_values(
            ctx.connection, fact, now=now, known_session=known
        )

    session_id = await ctx.write(apply)
    if session_id is not None:
        ctx.remember_session(session_id)
    return call_result.MeterValues()


async def stop_transaction(ctx: Context, req: call.StopTransaction) -> call_result.StopTransaction:
    fact = SessionStop(
        transaction_id=int64(req.transaction_id, "transactionId"),
        meter_stop=int64(req.meter_stop, "meterStop"),
        timestamp=parse_time(req.timestamp, "timestamp"),
        id_tag=req.id_tag,
        reason=req.reason,
        samples=meter_samples(req.transaction_data or [], "transactionData"),
    )
    now = ctx.now()
    unknown = ctx.runtime.settings.ocpp.unknown_id_tags

    async def apply(session: AsyncSession) -> Authorization | None:
        await SessionService(session).stop(ctx.connection, fact, now=now)
        if req.id_tag is None:
            return None
        tokens = TokenService(session, unknown=unknown)
        return await tokens.authorize(ctx.connection.organization_id, req.id_tag, now=now)

    auth = await ctx.write(apply)
    return call_result.StopTransaction(id_tag_info=id_tag_info(auth) if auth else None)
