"""Every query on charging sessions and meter readings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.params import INT32_MAX
from chargeplane.db.appends import append
from chargeplane.db.base import Columns, table_of
from chargeplane.db.models import ChargingSession, Customer, IdToken, MeterReading, Vehicle
from chargeplane.db.prepared import Prepared
from chargeplane.db.queries import any_of, prefixed
from chargeplane.db.upsert import per_dialect
from chargeplane.sessions.readings import LATEST_COLUMNS, Newest

# A row of ``charging_sessions`` read as plain columns (``row.state``, ``row.flags`` …), not
# an ORM object: the OCPP side only reads it within the unit of work that updates it.
SessionRow = Columns


class SessionRepository:
    """The OCPP side's queries are built once, as Core statements with bound parameters (as
    in ``ChargerRepository``): they run on every transaction message."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_if_new(self, **values: Any) -> int | None:
        """Insert a session; None when an identical start is already stored."""
        transaction_id: int | None = (await _INSERT_IF_NEW.run(self.session, values)).scalar()
        return transaction_id

    async def find_identical_start(
        self,
        *,
        charger_id: int,
        evse_number: int,
        started_at: datetime,
        meter_start: int,
        id_tag: str,
    ) -> int | None:
        return await self.session.scalar(
            select(ChargingSession.id).where(
                ChargingSession.charger_id == charger_id,
                ChargingSession.evse_number == evse_number,
                ChargingSession.started_at == started_at,
                ChargingSession.meter_start == meter_start,
                ChargingSession.id_tag == id_tag,
            )
        )

    async def active_on_evse(self, charger_id: int, evse_number: int) -> Sequence[SessionRow]:
        """``(id, flags)`` of the EVSE's active sessions."""
        result = await _ACTIVE_ON_EVSE.run(
            self.session, {"p_charger_id": charger_id, "p_evse_number": evse_number}
        )
        return result.rows

    async def get_for_charger(self, transaction_id: int, charger_id: int) -> SessionRow | None:
        """The session with this transaction id, if it belongs to the charger (a row with the
        columns of ``ChargingSession``)."""
        if not _may_be_ours(transaction_id):
            return None
        result = await _FOR_CHARGER.run(
            self.session, {"p_id": transaction_id, "p_charger_id": charger_id}
        )
        return result.first()  # type: ignore[no-any-return]

    async def record_latest(
        self, transaction_id: int, charger_id: int, new: Newest, *, now: datetime
    ) -> int | None:
        """Bring the session's latest readings up to ``new`` where they are no newer, in one
        statement (the rule of ``sessions.service._latest``, in SQL: it holds whatever order
        concurrent units of work run in). The session's id, or None if the transaction is
        not the charger's."""
        if not _may_be_ours(transaction_id):
            return None
        params = _latest_params(transaction_id, charger_id, new, now)
        session_id: int | None = (await _RECORD_LATEST.run(self.session, params)).scalar()
        return session_id

    def queue_latest(
        self, transaction_id: int, charger_id: int, new: Newest, *, now: datetime
    ) -> None:
        """``record_latest`` for a session known to be the charger's: queued, and written
        with the unit of work's other appended rows (db/appends.py), in one executemany
        with those of the whole batch instead of a statement (a round trip on PostgreSQL)
        per message. The rule is the same statement's, so the order the updates run in
        does not matter."""
        append(
            self.session,
            _QUEUE_LATEST,
            [_latest_params(transaction_id, charger_id, new, now)],
        )

    async def update(self, session_id: int, **values: Any) -> None:
        await _UPDATE.run(self.session, {"p_id": session_id, **values})

    def add_readings(self, rows: list[dict[str, Any]]) -> None:
        """Queued: written with the unit of work's other appended rows (db/appends.py)."""
        append(self.session, _ADD_READINGS, rows)

    async def active_for_chargers(self, charger_ids: Sequence[int]) -> Sequence[SessionRow]:
        """The chargers' active sessions, in start order, each with its id token's, customer's
        and vehicle's columns (``token_name``, ``customer_name``, ``vehicle_vin`` …; None
        without one), read in one statement."""
        if not charger_ids:
            return []
        result = await _ACTIVE_FOR_CHARGERS.run(self.session, {"p_ids": list(charger_ids)})
        return result.rows


def _may_be_ours(transaction_id: int) -> bool:
    """Transaction ids are session ids: a charger's id outside them is none we issued (and
    one beyond 32 bits would not even bind to the column on PostgreSQL)."""
    return 0 < transaction_id <= INT32_MAX


_sessions = table_of(ChargingSession)

_INSERT_IF_NEW = Prepared(
    per_dialect(
        lambda insert: (
            insert(_sessions)
            .on_conflict_do_nothing(
                index_elements=["charger_id", "evse_number", "started_at", "meter_start", "id_tag"]
            )
            .returning(_sessions.c.id)
        )
    )
)

_ACTIVE_ON_EVSE = Prepared(
    select(_sessions.c.id, _sessions.c.flags).where(
        _sessions.c.charger_id == bindparam("p_charger_id"),
        _sessions.c.evse_number == bindparam("p_evse_number"),
        _sessions.c.state == "active",
    )
)

_FOR_CHARGER = Prepared(
    select(_sessions).where(
        _sessions.c.id == bindparam("p_id"), _sessions.c.charger_id == bindparam("p_charger_id")
    )
)

_tokens, _customers, _vehicles = table_of(IdToken), table_of(Customer), table_of(Vehicle)

_ACTIVE_FOR_CHARGERS = Prepared(
    {
        dialect: select(
            _sessions,
            *prefixed(_tokens, "token", "name", "value"),
            *prefixed(_customers, "customer", "name"),
            *prefixed(_vehicles, "vehicle", "make", "model", "name", "vin"),
        )
        .select_from(
            _sessions.outerjoin(_tokens, _tokens.c.id == _sessions.c.id_token_id)
            .outerjoin(_customers, _customers.c.id == _sessions.c.customer_id)
            .outerjoin(_vehicles, _vehicles.c.id == _sessions.c.vehicle_id)
        )
        .where(of_chargers, _sessions.c.state == "active")
        .order_by(_sessions.c.id)
        for dialect, of_chargers in any_of(_sessions.c.charger_id, "p_ids").items()
    }
)


def _latest_params(
    transaction_id: int, charger_id: int, new: Newest, now: datetime
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "p_id": transaction_id,
        "p_charger_id": charger_id,
        "p_first_soc": new.first_soc,
        "p_now": now,
    }
    for column, stamp in LATEST_COLUMNS:
        params[f"p_{column}"], params[f"p_{stamp}"] = new.readings.get(column, (None, None))
    return params


def _record_latest() -> Any:
    c = _sessions.c
    values: dict[str, Any] = {}
    changed = []
    for column, stamp in LATEST_COLUMNS:
        value = bindparam(f"p_{column}", type_=c[column].type)
        at = bindparam(f"p_{stamp}", type_=c[stamp].type)
        newer = and_(value.is_not(None), or_(c[stamp].is_(None), c[stamp] <= at))
        values[column] = case((newer, value), else_=c[column])
        values[stamp] = case((newer, at), else_=c[stamp])
        changed.append(newer)
    first_soc = bindparam("p_first_soc", type_=c.soc_start_percent.type)
    values["soc_start_percent"] = func.coalesce(c.soc_start_percent, first_soc)
    changed.append(and_(first_soc.is_not(None), c.soc_start_percent.is_(None)))
    now = bindparam("p_now", type_=c.updated_at.type)
    values["updated_at"] = case((or_(*changed), now), else_=c.updated_at)
    return (
        update(_sessions)
        .where(c.id == bindparam("p_id"), c.charger_id == bindparam("p_charger_id"))
        .values(values)
    )


_RECORD_LATEST = Prepared(_record_latest().returning(_sessions.c.id))
_QUEUE_LATEST = Prepared(_record_latest())

# The columns to set come from the parameters given.
_UPDATE = Prepared(update(_sessions).where(_sessions.c.id == bindparam("p_id")))

_ADD_READINGS = Prepared(insert(table_of(MeterReading)))
