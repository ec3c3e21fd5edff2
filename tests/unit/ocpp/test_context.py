"""Unit tests for the OCPP 1.6 time and meter-value conversions, and the sessions a
connection remembers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from ocpp.exceptions import TypeConstraintViolationError

from chargeplane.facts import Connection, MeterSample, SampledValue
from chargeplane.ocpp.v16._context import (
    _KNOWN_SESSIONS,
    Context,
    format_time,
    meter_samples,
    parse_time,
)

# --- parse_time ----------------------------------------------------------------------------


def test_parse_time_reads_z_as_utc() -> None:
    parsed = parse_time("2025-01-01T10:00:00Z", "timestamp")
    assert parsed == datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert parsed.tzinfo is UTC


def test_parse_time_converts_an_offset_to_utc() -> None:
    parsed = parse_time("2025-01-01T10:00:00+02:00", "timestamp")
    assert (parsed.hour, parsed.tzinfo) == (8, UTC)


def test_parse_time_takes_a_naive_value_as_utc() -> None:
    parsed = parse_time("2025-01-01T10:00:00", "timestamp")
    assert (parsed.hour, parsed.tzinfo) == (10, UTC)


def test_parse_time_keeps_fractions_of_seconds() -> None:
    parsed = parse_time("2025-01-01T10:00:00.250Z", "timestamp")
    assert parsed.microsecond == 250_000


def test_parse_time_crosses_the_date_line_when_converting() -> None:
    parsed = parse_time("2025-01-01T01:30:00+05:00", "timestamp")
    assert parsed == datetime(2024, 12, 31, 20, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "", "2025-13-01T10:00:00Z", "10:00"])
def test_parse_time_rejects_garbage_naming_the_field(value: str) -> None:
    with pytest.raises(TypeConstraintViolationError) as excinfo:
        parse_time(value, "meterValue.timestamp")
    assert excinfo.value.details == {"cause": f"meterValue.timestamp: {value!r} is not a date-time"}


def test_parse_time_rejects_a_non_string() -> None:
    with pytest.raises(TypeConstraintViolationError):
        parse_time(None, "timestamp")  # type: ignore[arg-type]


# --- format_time ---------------------------------------------------------------------------


def test_format_time_has_milliseconds_and_z() -> None:
    value = datetime(2025, 1, 1, 10, 0, 5, 123456, tzinfo=UTC)
    assert format_time(value) == "2025-01-01T10:00:05.123Z"


def test_format_time_truncates_to_the_millisecond() -> None:
    value = datetime(2025, 1, 1, 10, 0, 5, 999_999, tzinfo=UTC)
    assert format_time(value) == "2025-01-01T10:00:05.999Z"


def test_format_time_pads_whole_seconds() -> None:
    assert format_time(datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01T00:00:00.000Z"


def test_format_time_converts_to_utc() -> None:
    value = datetime(2025, 6, 1, 12, 30, 0, 7000, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(value) == "2025-06-01T10:30:00.007Z"


def test_formatted_time_parses_back() -> None:
    value = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    assert parse_time(format_time(value), "currentTime") == value


# --- meter_samples -------------------------------------------------------------------------


def test_meter_samples_apply_ocpp_defaults() -> None:
    samples = meter_samples(
        [{"timestamp": "2025-01-01T10:00:00Z", "sampledValue": [{"value": "1500"}]}],
        "meter_value",
    )
    assert samples == (
        MeterSample(
            timestamp=datetime(2025, 1, 1, 10, 0, tzinfo=UTC),
            values=(
                SampledValue(
                    raw_value="1500",
                    measurand="Energy.Active.Import.Register",
                    unit=None,
                    phase=None,
                    context=None,
                    location=None,
                    format=None,
                ),
            ),
        ),
    )


def test_meter_samples_carry_every_attribute() -> None:
    entry: dict[str, Any] = {
        "timestamp": "2025-01-01T12:00:00+02:00",
        "sampledValue": [
            {
                "value": "16.2",
                "measurand": "Current.Import",
                "unit": "A",
                "phase": "L2",
                "context": "Sample.Periodic",
                "location": "Outlet",
                "format": "Raw",
            }
        ],
    }
    (sample,) = meter_samples([entry], "meter_value")
    assert sample.timestamp == datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert sample.values == (
        SampledValue(
            raw_value="16.2",
            measurand="Current.Import",
            unit="A",
            phase="L2",
            context="Sample.Periodic",
            location="Outlet",
            format="Raw",
        ),
    )


def test_meter_samples_keep_entry_and_value_order() -> None:
    samples = meter_samples(
        [
            {
                "timestamp": "2025-01-01T10:05:00Z",
                "sampledValue": [{"value": "2"}, {"value": "3", "measurand": "SoC"}],
            },
            {"timestamp": "2025-01-01T10:00:00Z", "sampledValue": [{"value": "1"}]},
        ],
        "meter_value",
    )
    assert [s.timestamp.minute for s in samples] == [5, 0]
    assert [[v.raw_value for v in s.values] for s in samples] == [["2", "3"], ["1"]]
    assert samples[0].values[1].measurand == "SoC"


def test_meter_samples_of_nothing_is_empty() -> None:
    assert meter_samples([], "meter_value") == ()


def test_meter_samples_name_the_field_of_a_bad_timestamp() -> None:
    with pytest.raises(TypeConstraintViolationError) as excinfo:
        meter_samples([{"timestamp": "soon", "sampledValue": [{"value": "1"}]}], "transaction_data")
    assert excinfo.value.details == {
        "cause": "transaction_data.timestamp: 'soon' is not a date-time"
    }


# --- remembered sessions -------------------------------------------------------------------


def _context() -> Context:
    return Context(runtime=None, connection=Connection(1, 1, "CP", 1))  # type: ignore[arg-type]


def test_a_context_knows_only_the_sessions_it_was_told() -> None:
    ctx = _context()
    assert not ctx.knows_session(7)
    assert not ctx.knows_session(None)
    ctx.remember_session(7)
    assert ctx.knows_session(7)
    assert not ctx.knows_session(8)
    assert not _context().knows_session(7)  # each connection its own


def test_a_context_forgets_the_least_recently_seen_session_first() -> None:
    ctx = _context()
    for transaction_id in range(_KNOWN_SESSIONS):
        ctx.remember_session(transaction_id)
    ctx.remember_session(0)  # seen again: now the most recent
    ctx.remember_session(100)
    assert ctx.knows_session(0)
    assert ctx.knows_session(100)
    assert not ctx.knows_session(1)
    assert sum(ctx.knows_session(t) for t in range(1000)) == _KNOWN_SESSIONS
