"""Wire-format helpers: timestamps, sampled values and OCPP-J frame inspection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ocpp.v16 import datatypes  # type: ignore[import-untyped, unused-ignore]

from ._types import Sample

__all__ = [
    "CALL",
    "CALLERROR",
    "CALLRESULT",
    "decode_frame",
    "format_datetime",
    "format_value",
    "meter_value",
]

CALL = 2
CALLRESULT = 3
CALLERROR = 4


def format_datetime(moment: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and ``Z``; naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def format_value(value: float | str) -> str:
    """OCPP 1.6 sampled values are strings; integral floats drop the ``.0``."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _sampled_value(sample: Sample) -> Any:
    return datatypes.SampledValue(
        value=format_value(sample.value),
        context=sample.context,
        measurand=sample.measurand,
        phase=sample.phase,
        location=sample.location,
        unit=sample.unit,
    )


def meter_value(timestamp: datetime, samples: Sequence[Sample]) -> Any:
    """One ``MeterValue`` (ocpp datatype) holding all ``samples``."""
    return datatypes.MeterValue(
        timestamp=format_datetime(timestamp),
        sampled_value=[_sampled_value(sample) for sample in samples],
    )


def decode_frame(frame: str | bytes) -> list[Any] | None:
    """The decoded frame if it looks like an OCPP-J message, else ``None``."""
    try:
        decoded = json.loads(frame)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(decoded, list) or len(decoded) < 2:
        return None
    if decoded[0] not in (CALL, CALLRESULT, CALLERROR):
        return None
    return decoded
