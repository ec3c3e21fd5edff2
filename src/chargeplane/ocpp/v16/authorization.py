"""Authorization: Authorize, and the idTagInfo every transaction message answers with."""

from __future__ import annotations

from ocpp.v16 import call, call_result
from ocpp.v16.datatypes import IdTagInfo
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.facts import Authorization
from chargeplane.ocpp.v16._context import Context, format_time
from chargeplane.tokens.service import TokenService


def id_tag_info(auth: Authorization) -> IdTagInfo:
    return IdTagInfo(
        status=auth.status,
        expiry_date=format_time(auth.expires_at) if auth.expires_at else None,
        parent_id_tag=auth.parent_id_tag,
    )


async def authorize(ctx: Context, req: call.Authorize) -> call_result.Authorize:
    unknown = ctx.runtime.settings.ocpp.unknown_id_tags
    now = ctx.now()

    async def look_up(session: AsyncSession) -> Authorization:
        return await TokenService(session, unknown=unknown).authorize(
            ctx.connection.organization_id, req.id_tag, now=now
        )

    # A read, but through the committer: it shares the batch's transaction instead of paying
    # for a session, a connection checkout and a transaction of its own (measured: 380 µs
    # per Authorize that way, most of it not the query).
    auth = await ctx.write(look_up)
    return call_result.Authorize(id_tag_info=id_tag_info(auth))
