"""What an OCPP 1.6 handler gets: the node's runtime and the charger's connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ocpp.exceptions import PropertyConstraintViolationError
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.api.params import INT32_MAX
from chargeplane.facts import Connection, MeterSample, SampledValue
from chargeplane.ocpp._errors import invalid_value

if TYPE_CHECKING:
    from chargeplane.runtime import Runtime


T = TypeVar("T")


# Transaction ids a connection remembers as its charger's sessions: a charger runs one
# session per EVSE at a time, so a few cover its current ones and the last stopped.
_KNOWN_SESSIONS = 16


@dataclass(frozen=True, slots=True)
class Context:
    runtime: Runtime
    connection: Connection
    # Sessions of this charger that the gateway has seen committed on this connection (its
    # StartTransaction answered, or a MeterValues found it), oldest first: a MeterValues of
    # one of them needs no statement to learn whose it is.
    _sessions: dict[int, None] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def knows_session(self, transaction_id: int | None) -> bool:
        return transaction_id in self._sessions

    def remember_session(self, transaction_id: int) -> None:
        """Call only once the unit of work that found or made the session has committed."""
        sessions = self._sessions
        sessions.pop(transaction_id, None)
        sessions[transaction_id] = None
        if len(sessions) > _KNOWN_SESSIONS:
            del sessions[next(iter(sessions))]

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Apply ``work`` in a unit of work; returns once it is committed (group commit)."""
        return await self.runtime.committer.run(work)


def connector_id(value: int, *, minimum: int) -> int:
    """An OCPP 1.6 connectorId (0 is the charger itself, EVSEs count from 1), or another
    32-bit id the charger sends (a reservationId)."""
    if not minimum <= value <= INT32_MAX:
        raise PropertyConstraintViolationError(
            details={"cause": f"connectorId: must be between {minimum} and {INT32_MAX}"}
        )
    return value


def int64(value: int, field: str) -> int:
    """An integer the store can keep (meter registers are 64-bit)."""
    if not -(2**63) <= value < 2**63:
        raise PropertyConstraintViolationError(details={"cause": f"{field}: out of range"})
    return value


def parse_time(value: str, field: str) -> datetime:
    """An OCPP dateTime (RFC 3339); a value without offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid_value(f"{field}: {value!r} is not a date-time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def meter_samples(meter_value: list[dict[str, Any]], field: str) -> tuple[MeterSample, ...]:
    """OCPP 1.6 ``meterValue`` entries, with their keys as the charger sent them (camelCase:
    ``_chargepoint`` converts only a payload's own keys), as facts."""
    return tuple(
        MeterSample(
            timestamp=parse_time(entry["timestamp"], f"{field}.timestamp"),
            values=tuple(
                SampledValue(
                    raw_value=v["value"],
                    measurand=v.get("measurand", "Energy.Active.Import.Register"),
                    unit=v.get("unit"),
                    phase=v.get("phase"),
                    context=v.get("context"),
                    location=v.get("location"),
                    format=v.get("format"),
                )
                for v in entry["sampledValue"]
            ),
        )
        for entry in meter_value
    )
