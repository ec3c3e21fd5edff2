"""Rules of charging sessions: start (idempotent), meter samples, stop. Never commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.chargers.repository import ChargerRepository
from chargeplane.facts import (
    Authorization,
    Connection,
    MeterSample,
    MeterValuesFact,
    SessionStart,
    SessionStop,
)
from chargeplane.sessions.readings import LATEST_COLUMNS, newest, numeric
from chargeplane.sessions.repository import SessionRepository, SessionRow
from chargeplane.tokens.repository import TokenRepository

log = logging.getLogger(__name__)

# A charger clock this far ahead of ours is suspect.
_FUTURE_TOLERANCE_S = 300


@dataclass(frozen=True, slots=True)
class Started:
    transaction_id: int
    created: bool


def _reading_rows(
    connection: Connection,
    evse_number: int,
    session_id: int | None,
    transaction_id: int | None,
    samples: tuple[MeterSample, ...],
    source: str,
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "charger_id": connection.charger_id,
            "session_id": session_id,
            "evse_number": evse_number,
            "transaction_id": transaction_id,
            "timestamp": sample.timestamp,
            "measurand": value.measurand,
            "value": numeric(value),
            "raw_value": value.raw_value,
            "unit": value.unit,
            "phase": value.phase,
            "context": value.context,
            "location": value.location,
            "format": value.format,
            "source": source,
            "received_at": now,
        }
        for sample in samples
        for value in sample.values
    ]


def _latest(session: SessionRow, samples: tuple[MeterSample, ...]) -> dict[str, Any]:
    """Column updates that bring the session's latest readings up to ``samples``: the rule
    that ``SessionRepository.record_latest`` applies in SQL, here on a row already read."""
    new = newest(samples)
    changes: dict[str, Any] = {}
    for column, stamp in LATEST_COLUMNS:
        reading = new.readings.get(column)
        if reading is not None:
            held = getattr(session, stamp)
            if held is None or held <= reading[1]:
                changes[column], changes[stamp] = reading
    if new.first_soc is not None and session.soc_start_percent is None:
        changes["soc_start_percent"] = new.first_soc
    return changes


class SessionService:
    def __init__(self, session: AsyncSession) -> None:
        self.sessions = SessionRepository(session)
        self.chargers = ChargerRepository(session)
        self.tokens = TokenRepository(session)

    async def start(
        self, connection: Connection, fact: SessionStart, auth: Authorization, *, now: datetime
    ) -> Started:
        """Record a session start. An identical retried start gets the same transaction id
        (enforced by a unique constraint, so it holds across nodes and restarts)."""
        evse_id = await self.chargers.ensure_evse(connection.charger_id, fact.evse_number, now=now)
        flags = []
        if (fact.timestamp - now).total_seconds() > _FUTURE_TOLERANCE_S:
            flags.append("start_in_future")
        if fact.meter_start < 0:
            flags.append("negative_meter_start")
        vehicle_id = await self.tokens.vehicle_for(auth.id_token_id, auth.customer_id)
        transaction_id = await self.sessions.insert_if_new(
            organization_id=connection.organization_id,
            charger_id=connection.charger_id,
            evse_id=evse_id,
            evse_number=fact.evse_number,
            state="active",
            id_tag=fact.id_tag,
            auth_status=auth.status,
            id_token_id=auth.id_token_id,
            customer_id=auth.customer_id,
            vehicle_id=vehicle_id,
            reservation_id=fact.reservation_id,
            started_at=fact.timestamp,
            meter_start=fact.meter_start,
            received_at=now,
            flags=flags,
            updated_at=now,
        )
        if transaction_id is None:
            existing = await self.sessions.find_identical_start(
                charger_id=connection.charger_id,
                evse_number=fact.evse_number,
                started_at=fact.timestamp,
                meter_start=fact.meter_start,
                id_tag=fact.id_tag,
            )
            assert existing is not None
            return Started(existing, created=False)
        # A charger that starts anew on an EVSE has lost the earlier stop.
        for other in await self.sessions.active_on_evse(connection.charger_id, fact.evse_number):
            if other.id != transaction_id:
                await self.sessions.update(
                    other.id,
                    state="superseded",
                    flags=[*other.flags, "superseded_by_new_transaction"],
                    updated_at=now,
                )
        return Started(transaction_id, created=True)

    async def meter_values(
        self,
        connection: Connection,
        fact: MeterValuesFact,
        *,
        now: datetime,
        known_session: bool = False,
    ) -> int | None:
        """Store every sampled value; bring the session's latest readings up to date (in one
        statement, which also tells whether the transaction is the charger's). Returns the
        session's id, None when the transaction is not the charger's.

        ``known_session``: the caller knows the transaction is a session of this charger
        (the gateway saw it committed, on this connection); the update is then queued with
        the appended rows instead of run at once."""
        session_id = None
        if fact.transaction_id is not None and known_session:
            session_id = fact.transaction_id
            self.sessions.queue_latest(
                session_id, connection.charger_id, newest(fact.samples), now=now
            )
        elif fact.transaction_id is not None:
            session_id = await self.sessions.record_latest(
                fact.transaction_id, connection.charger_id, newest(fact.samples), now=now
            )
            if session_id is None:
                log.warning(
                    "%s: MeterValues for unknown transaction %s kept unattached",
                    connection.ocpp_id,
                    fact.transaction_id,
                )
        self.sessions.add_readings(
            _reading_rows(
                connection,
                fact.evse_number,
                session_id,
                fact.transaction_id,
                fact.samples,
                "meter_values",
                now,
            )
        )
        return session_id

    async def stop(self, connection: Connection, fact: SessionStop, *, now: datetime) -> bool:
        """Record a stop; False if the transaction is unknown (the data is kept regardless)."""
        session = await self.sessions.get_for_charger(fact.transaction_id, connection.charger_id)
        evse_number = session.evse_number if session else 0
        self.sessions.add_readings(
            _reading_rows(
                connection,
                evse_number,
                session.id if session else None,
                fact.transaction_id,
                fact.samples,
                "stop_transaction",
                now,
            )
        )
        if session is None:
            log.warning(
                "%s: StopTransaction for unknown transaction %s",
                connection.ocpp_id,
                fact.transaction_id,
            )
            return False
        if session.state == "completed":
            if session.meter_stop != fact.meter_stop or session.stopped_at != fact.timestamp:
                await self.sessions.update(
                    session.id, flags=[*session.flags, "stopped_twice"], updated_at=now
                )
            return True
        flags = list(session.flags)
        if fact.meter_stop < session.meter_start:
            flags.append("meter_stop_below_start")
        if fact.timestamp < session.started_at:
            flags.append("stop_before_start")
        changes = _latest(session, fact.samples)
        await self.sessions.update(
            session.id,
            **changes,
            state="completed",
            stopped_at=fact.timestamp,
            meter_stop=fact.meter_stop,
            stop_reason=fact.reason or "Local",
            stop_id_tag=fact.id_tag,
            stop_received_at=now,
            flags=flags,
            updated_at=now,
        )
        return True
