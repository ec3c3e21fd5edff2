"""Malformed frames get the CALLERROR OCPP 1.6 prescribes, and the connection keeps working;
an answer is only ever sent for committed data."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select

from chargeplane.db import Database
from chargeplane.db.models import Charger, OcppMessage, StatusEvent
from chargeplane.simulator import CallError, Station, StationConfig
from tests.e2e.helpers import eventually
from tests.support import factories
from tests.support.server import RunningServer

STATUS = '"status":"Available","errorCode":"NoError"'

MALFORMED = [
    ("not json", "-1", "FormationViolation"),
    ('[2,"m1","Heartbeat"]', "m1", "ProtocolError"),
    ('[7,"m2","Heartbeat",{}]', "m2", "PropertyConstraintViolation"),
    ('[2,"m3","StatusNotification",{"connectorId":1}]', "m3", "OccurenceConstraintViolation"),
    (
        f'[2,"m4","StatusNotification",{{"connectorId":"1",{STATUS}}}]',
        "m4",
        "TypeConstraintViolation",
    ),
    (
        '[2,"m5","StatusNotification",{"connectorId":1,"status":"Nope","errorCode":"NoError"}]',
        "m5",
        "PropertyConstraintViolation",
    ),
    ('[2,"m6","Heartbeat",{"extra":1}]', "m6", "FormationViolation"),
    ('[2,"m7","FooBar",{}]', "m7", "NotSupported"),
    ('[2,"m8","RemoteStartTransaction",{"idTag":"x"}]', "m8", "NotImplemented"),
    (
        '[2,"m9","StartTransaction",{"connectorId":1,"idTag":"x","meterStart":0,'
        '"timestamp":"soon"}]',
        "m9",
        "TypeConstraintViolation",
    ),
    ('[2,"m10","Authorize",{"idTag":"123456789012345678901"}]', "m10", "TypeConstraintViolation"),
    (
        '[2,"m11","MeterValues",{"connectorId":-1,"meterValue":[{"timestamp":'
        '"2025-01-01T00:00:00Z","sampledValue":[{"value":"1"}]}]}]',
        "m11",
        "PropertyConstraintViolation",
    ),
    (
        '[2,"m12","MeterValues",{"connectorId":1,"meterValue":[]}]',
        "m12",
        "OccurenceConstraintViolation",
    ),
    (
        '[2,"m13","StartTransaction",{"connectorId":0,"idTag":"x","meterStart":0,'
        '"timestamp":"2025-01-01T00:00:00Z"}]',
        "m13",
        "PropertyConstraintViolation",
    ),
    (
        '[2,"m14","StatusNotification",{"connectorId":-2,' + STATUS + "}]",
        "m14",
        "PropertyConstraintViolation",
    ),
]


@pytest.mark.parametrize(("frame", "unique_id", "code"), MALFORMED)
async def test_malformed_frame_gets_its_callerror_and_the_next_call_is_answered(
    server: RunningServer, frame: str, unique_id: str, code: str
) -> None:
    async with Station(StationConfig(ocpp_id=factories.unique("CP")), server.ocpp) as cp:
        reply = json.loads(await cp.send_raw(frame))
        assert reply[:3] == [4, unique_id, code]
        assert isinstance(reply[3], str)
        assert isinstance(reply[4], dict)
        assert "currentTime" in await cp.heartbeat()


async def test_no_callresult_when_the_write_fails_and_nothing_is_half_written(
    server: RunningServer, db: Database
) -> None:
    async with Station(StationConfig(ocpp_id=factories.unique("CP")), server.ocpp) as cp:
        await cp.boot()
        async with db.unit_of_work() as session:
            charger_id = await session.scalar(
                select(Charger.id).where(Charger.ocpp_id == cp.config.ocpp_id)
            )
            await session.execute(delete(Charger).where(Charger.id == charger_id))
        # The EVSE row cannot be written any more (its charger is gone): the charger must
        # get an error, not an answer that would make it delete its queued message.
        with pytest.raises(CallError) as failed:
            await cp.status(1, "Available")
        assert failed.value.code == "InternalError"
        assert "currentTime" in await cp.heartbeat()
    async with db.reader() as session:
        events = await session.scalar(
            select(func.count())
            .select_from(StatusEvent)
            .where(StatusEvent.charger_id == charger_id)
        )
    assert events == 0


async def test_every_frame_lands_in_the_message_log(server: RunningServer, db: Database) -> None:
    async with Station(StationConfig(ocpp_id=factories.unique("CP")), server.ocpp) as cp:
        await cp.boot()
        await cp.heartbeat()
        await cp.send_raw("garbage")

    async def logged() -> bool:
        async with db.reader() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OcppMessage)
                .where(OcppMessage.ocpp_id == cp.config.ocpp_id)
            )
        return count == 6

    await eventually(logged, timeout=5)
    async with db.reader() as session:
        rows = (
            await session.scalars(
                select(OcppMessage)
                .where(OcppMessage.ocpp_id == cp.config.ocpp_id)
                .order_by(OcppMessage.id)
            )
        ).all()
    assert [(r.direction, r.message_type, r.action) for r in rows] == [
        ("in", 2, "BootNotification"),
        ("out", 3, None),
        ("in", 2, "Heartbeat"),
        ("out", 3, None),
        ("in", None, None),
        ("out", 4, None),
    ]
    assert rows[0].unique_id == rows[1].unique_id
    assert rows[4].frame == "garbage"
    assert all(r.node_name == "test-node" for r in rows)
