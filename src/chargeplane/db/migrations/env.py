"""Alembic environment: runs on a connection handed over by ``chargeplane.db.migrate``,
or on its own async engine when Alembic's CLI is used."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from chargeplane.db.engine import create_engine
from chargeplane.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
