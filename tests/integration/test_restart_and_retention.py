"""What a node does at start and in the background: stale connections, log retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from chargeplane.db import Database
from chargeplane.db.group_commit import GroupCommit
from chargeplane.db.models import Charger, OcppMessage
from chargeplane.ocpp import MessageLog
from tests.conftest import make_settings
from tests.support import factories
from tests.support.server import running_server


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.value = now

    def now(self) -> datetime:
        return self.value


async def test_a_restarted_node_marks_the_chargers_it_held_disconnected(
    database_url: str, db: Database
) -> None:
    org_id = await factories.organization(db)
    now = factories.now()
    mine, other = factories.unique("CP"), factories.unique("CP")
    async with db.unit_of_work() as session:
        for ocpp_id, node in ((mine, "crashed-node"), (other, "another-node")):
            session.add(
                Charger(
                    uuid=factories.unique("u"),
                    organization_id=org_id,
                    ocpp_id=ocpp_id,
                    connection_seq=1,
                    connection_status="Connected",
                    node_name=node,
                    created_at=now,
                    updated_at=now,
                )
            )
    settings = make_settings(database_url).model_copy(update={"node_name": "crashed-node"})
    with running_server(settings):
        pass
    async with db.reader() as session:
        result = await session.execute(
            select(Charger.ocpp_id, Charger.connection_status).where(
                Charger.ocpp_id.in_([mine, other])
            )
        )
        rows = {ocpp_id: status for ocpp_id, status in result}
    assert rows == {mine: "Disconnected", other: "Connected"}


@pytest.fixture
async def committer(db: Database) -> AsyncIterator[GroupCommit]:
    group = GroupCommit(db)
    group.start()
    yield group
    await group.stop()


async def test_the_message_log_keeps_frames_for_the_retention_period_only(
    db: Database, committer: GroupCommit
) -> None:
    clock = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    ocpp_id = factories.unique("LOG")
    log = MessageLog(committer, clock, node_name="n", enabled=True, retention=timedelta(days=7))
    log.record(ocpp_id, "in", '[2,"a","Heartbeat",{}]')
    clock.value += timedelta(days=6)
    log.record(ocpp_id, "out", '[3,"a",{"currentTime":"x"}]')
    assert await log.flush() == 2

    clock.value += timedelta(days=2)  # the first frame is now 8 days old
    await log.purge()
    async with db.reader() as session:
        left = (
            await session.scalars(
                select(OcppMessage.direction).where(OcppMessage.ocpp_id == ocpp_id)
            )
        ).all()
    assert left == ["out"]


async def test_a_disabled_message_log_records_nothing(db: Database, committer: GroupCommit) -> None:
    ocpp_id = factories.unique("OFF")
    log = MessageLog(
        committer,
        FixedClock(datetime.now(UTC)),
        node_name="n",
        enabled=False,
        retention=timedelta(days=1),
    )
    log.record(ocpp_id, "in", "[]")
    assert await log.flush() == 0
    async with db.reader() as session:
        count = await session.scalar(
            select(func.count()).select_from(OcppMessage).where(OcppMessage.ocpp_id == ocpp_id)
        )
    assert count == 0
