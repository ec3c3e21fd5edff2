"""The app factory: one ASGI app serving OCPP WebSockets and the REST API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI

from chargeplane import __version__
from chargeplane.api import problems
from chargeplane.chargers.endpoints import router as chargers_router
from chargeplane.chargers.repository import ChargerRepository
from chargeplane.clock import Clock, SystemClock
from chargeplane.config import Settings
from chargeplane.db import Database, upgrade
from chargeplane.ocpp import MessageLog
from chargeplane.ocpp import router as ocpp_router
from chargeplane.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await upgrade(settings.database_url)
        db = Database(settings.database_url)
        async with db.unit_of_work() as session:
            stale = await ChargerRepository(session).mark_node_disconnected(
                settings.node_name, now=clock.now()
            )
        if stale:
            log.info(
                "marked %d chargers of node %s disconnected after restart",
                stale,
                settings.node_name,
            )
        message_log = MessageLog(
            db,
            clock,
            node_name=settings.node_name,
            enabled=settings.ocpp.message_log,
            retention=timedelta(days=settings.ocpp.message_log_retention_days),
        )
        runtime = Runtime(settings=settings, db=db, clock=clock, message_log=message_log)
        app.state.runtime = runtime
        flusher = asyncio.create_task(message_log.run(), name="message-log")
        try:
            yield
        finally:
            for live in runtime.registry.all():
                with contextlib.suppress(Exception):
                    await live.websocket.close(code=1001)
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            with contextlib.suppress(Exception):
                await message_log.flush()
            await db.dispose()

    app = FastAPI(
        title="chargeplane",
        version=__version__,
        summary="Charging Station Management System: live OCPP state over a REST API.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(ocpp_router)
    app.include_router(chargers_router)
    return app
