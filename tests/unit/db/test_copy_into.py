"""Which prepared statements' rows may go by COPY on PostgreSQL (``db/prepared.py``): plain
INSERTs of values only. An upsert, an UPDATE, or an INSERT whose RETURNING is read must run
as statements, or their conflicts and results would be lost."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql

from chargeplane.chargers.repository import _ADD_STATUS_EVENT, _EVSE_STATUS, _HEARTBEAT
from chargeplane.db.base import table_of
from chargeplane.db.models import MeterReading
from chargeplane.db.prepared import Prepared
from chargeplane.messages.repository import _ADD as _ADD_MESSAGE
from chargeplane.sessions.repository import _ADD_READINGS, _INSERT_IF_NEW

PG = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]


def copy_into(statement: Prepared, *keys: str) -> object:
    return statement._form(PG, keys, many=True).copy_into


def test_plain_inserts_may_go_by_copy_to_the_columns_given() -> None:
    assert copy_into(_ADD_READINGS, "charger_id", "timestamp", "value") == (
        None,
        "meter_readings",
        ("charger_id", "timestamp", "value"),
    )
    for statement in (_ADD_STATUS_EVENT, _ADD_MESSAGE):
        assert copy_into(statement) is not None


def test_upserts_updates_and_inserts_returning_do_not() -> None:
    status = ("charger_id", "number", "created_at", "updated_at", "status")
    assert copy_into(_EVSE_STATUS, *status) is None  # ON CONFLICT … DO UPDATE
    assert copy_into(_HEARTBEAT, "p_id", "p_now") is None
    assert copy_into(_INSERT_IF_NEW, "charger_id", "evse_number", "id_tag") is None
    readings = table_of(MeterReading)
    returning = Prepared(insert(readings).returning(readings.c.id))
    assert copy_into(returning, "charger_id", "timestamp") is None
