"""A MeterValues brings a session's latest readings up to date in one statement
(``SessionRepository.record_latest``, or ``queue_latest`` for a session the gateway knows is
the charger's, written with the unit of work's appended rows). Its SQL must apply the same
rule as ``_latest``, which StopTransaction applies in Python to the row it reads
(tests/unit/sessions/test_latest.py): checked here on each backend, both ways, for chosen and
for seeded random sessions and samples."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

from chargeplane.db import Database
from chargeplane.db.models import ChargingSession, MeterReading
from chargeplane.facts import (
    Authorization,
    Connection,
    MeterSample,
    MeterValuesFact,
    SampledValue,
    SessionStart,
)
from chargeplane.sessions.readings import LATEST_COLUMNS
from chargeplane.sessions.service import SessionService, _latest
from tests.support import factories
from tests.support.samples import T0, at, current, energy, power, sample, soc, voltage

UPDATED = T0 - timedelta(hours=1)
NOW = T0 + timedelta(hours=1)

_LATEST = [c for pair in LATEST_COLUMNS for c in pair] + ["soc_start_percent", "updated_at"]


async def _session(db: Database, held: dict[str, Any]) -> tuple[Connection, int]:
    """A started session whose latest readings are ``held``."""
    connection = await factories.admitted_charger(db, "LATEST")
    async with db.unit_of_work() as session:
        started = await SessionService(session).start(
            connection,
            SessionStart(evse_number=1, id_tag="TAG", meter_start=0, timestamp=T0),
            Authorization(status="Accepted"),
            now=T0,
        )
        await session.execute(
            update(ChargingSession)
            .where(ChargingSession.id == started.transaction_id)
            .values(updated_at=UPDATED, **held)
        )
    return connection, started.transaction_id


async def _row(db: Database, session_id: int) -> dict[str, Any]:
    async with db.reader() as session:
        row = (
            await session.execute(
                select(*(getattr(ChargingSession, c) for c in _LATEST)).where(
                    ChargingSession.id == session_id
                )
            )
        ).one()
    return dict(row._mapping)


async def _meter_values(
    db: Database,
    connection: Connection,
    transaction_id: int,
    samples: tuple[MeterSample, ...],
    *,
    known: bool = False,
) -> int | None:
    async with db.unit_of_work() as session:
        return await SessionService(session).meter_values(
            connection,
            MeterValuesFact(evse_number=1, samples=samples, transaction_id=transaction_id),
            now=NOW,
            known_session=known,
        )


async def _check(
    db: Database, held: dict[str, Any], samples: tuple[MeterSample, ...], *, known: bool
) -> None:
    """The row after the statement is the row before with ``_latest``'s changes, and
    ``updated_at`` moves exactly when there are some."""
    connection, session_id = await _session(db, held)
    before = await _row(db, session_id)
    row: Any = SimpleNamespace(**before)  # ``_latest`` reads attributes of the row
    changes = _latest(row, samples)
    assert await _meter_values(db, connection, session_id, samples, known=known) == session_id
    expected = {**before, **changes, "updated_at": NOW if changes else UPDATED}
    assert await _row(db, session_id) == expected


CASES = {
    "first readings fill empty columns": ({}, (sample(5, energy("2000"), power("7.4")),)),
    "a newer sample replaces values and times": (
        {"energy_register_wh": 1500.0, "energy_register_at": at(1)},
        (sample(5, energy("2500")),),
    ),
    "an older sample leaves a newer reading": (
        {"energy_register_wh": 2500.0, "energy_register_at": at(10)},
        (sample(5, energy("2000")),),
    ),
    "an older sample still fills an empty column": (
        {"energy_register_wh": 2500.0, "energy_register_at": at(10)},
        (sample(5, energy("2000"), voltage("230")),),
    ),
    "the same time replaces the reading": (
        {"energy_register_wh": 2500.0, "energy_register_at": at(10)},
        (sample(10, energy("2600")),),
    ),
    "samples apply in time order, not in the order sent": (
        {},
        (sample(20, energy("3000")), sample(5, energy("2000")), sample(10, energy("2500"))),
    ),
    "of samples with the same time, the last sent wins": (
        {},
        (sample(10, energy("2500")), sample(10, energy("2600"))),
    ),
    "each column keeps its own newest sample": (
        {"current_a": 10.0, "current_at": at(7)},
        (sample(10, energy("2500")), sample(5, power("11"), current("16"))),
    ),
    "state of charge at the start is the earliest of the batch": (
        {},
        (sample(10, soc("50")), sample(5, soc("42"))),
    ),
    "state of charge at the start is never overwritten": (
        {"soc_percent": 50.0, "soc_at": at(10), "soc_start_percent": 40.0},
        (sample(1, soc("30")), sample(20, soc("60"))),
    ),
    "an older state of charge still sets an empty start": (
        {"soc_percent": 50.0, "soc_at": at(10)},
        (sample(1, soc("30")),),
    ),
    "a sample without readings changes nothing": (
        {"energy_register_wh": 2500.0, "energy_register_at": at(10)},
        (sample(5, SampledValue(raw_value="30", measurand="Temperature", unit="Celsius")),),
    ),
    "no samples change nothing": ({"power_kw": 3.0, "power_at": at(1)}, ()),
}


BOTH_WAYS = pytest.mark.parametrize("known", [False, True], ids=["at-once", "queued"])


@BOTH_WAYS
@pytest.mark.parametrize("name", list(CASES))
async def test_the_statement_applies_the_rule_of_latest(
    db: Database, name: str, known: bool
) -> None:
    held, samples = CASES[name]
    await _check(db, held, samples, known=known)


_MAKERS = (energy, power, current, voltage, soc)


@BOTH_WAYS
async def test_random_sessions_and_samples_match_the_rule(db: Database, known: bool) -> None:
    rng = random.Random(20261122)
    for _ in range(40):
        held: dict[str, Any] = {}
        for column, stamp in LATEST_COLUMNS:
            if rng.random() < 0.6:
                held[column], held[stamp] = float(rng.randint(0, 100)), at(rng.randint(0, 20))
        if rng.random() < 0.3:
            held["soc_start_percent"] = float(rng.randint(0, 100))
        samples = tuple(
            sample(
                rng.randint(0, 20),
                *(make(str(rng.randint(0, 100))) for make in _MAKERS if rng.random() < 0.5),
            )
            for _ in range(rng.randint(0, 4))
        )
        await _check(db, held, samples, known=known)


async def _attached(db: Database, charger_id: int) -> list[tuple[int | None, int | None]]:
    """``(session_id, transaction_id)`` of the charger's stored readings."""
    async with db.reader() as session:
        rows = await session.execute(
            select(MeterReading.session_id, MeterReading.transaction_id).where(
                MeterReading.charger_id == charger_id
            )
        )
        return [(r.session_id, r.transaction_id) for r in rows]


@BOTH_WAYS
async def test_readings_of_the_chargers_own_transaction_are_attached(
    db: Database, known: bool
) -> None:
    connection, session_id = await _session(db, {})
    samples = (sample(5, energy("2000"), power("7")),)
    await _meter_values(db, connection, session_id, samples, known=known)
    assert await _attached(db, connection.charger_id) == [(session_id, session_id)] * 2


async def test_readings_of_another_chargers_transaction_stay_unattached(db: Database) -> None:
    _, session_id = await _session(db, {})
    stranger = await factories.admitted_charger(db, "STRANGER")
    before = await _row(db, session_id)
    assert await _meter_values(db, stranger, session_id, (sample(5, energy("2000")),)) is None
    assert await _row(db, session_id) == before
    assert await _attached(db, stranger.charger_id) == [(None, session_id)]


@pytest.mark.parametrize("transaction_id", [0, -1, 2**31, 2**63 - 1])
async def test_a_transaction_id_we_never_issued_is_kept_unattached(
    db: Database, transaction_id: int
) -> None:
    connection, _ = await _session(db, {})
    await _meter_values(db, connection, transaction_id, (sample(5, energy("2000")),))
    assert await _attached(db, connection.charger_id) == [(None, transaction_id)]
