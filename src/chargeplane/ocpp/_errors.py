"""The one table from errors to OCPP CALLERRORs, and OCPP 1.6's spelling of error codes."""

from __future__ import annotations

import json
from typing import Any

from ocpp.exceptions import InternalError, OCPPError, TypeConstraintViolationError

from chargeplane.errors import ChargeplaneError

# OCPP 1.6 (ocpp-j-1.6, §4.2.3, kept by its errata as "known issues that will not be fixed")
# spells two codes differently from 2.0.1; the ocpp package raises the 2.0.1 spelling.
_V16_SPELLING = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}


def to_call_error(exc: BaseException) -> OCPPError:
    """The OCPPError that answers ``exc``."""
    if isinstance(exc, OCPPError):
        return exc
    if isinstance(exc, ChargeplaneError):
        return InternalError(description=exc.detail)
    return InternalError(description="An unexpected error occurred.")


def call_error_frame(unique_id: Any, exc: BaseException, *, version: str) -> str:
    """A CALLERROR frame for ``exc``; details keep only the human-readable cause."""
    error = to_call_error(exc)
    code = _V16_SPELLING.get(error.code, error.code) if version == "1.6" else error.code
    details = {}
    if isinstance(error.details, dict) and isinstance(error.details.get("cause"), str):
        details = {"cause": error.details["cause"]}
    return json.dumps([4, unique_id, code, error.description, details], separators=(",", ":"))


def unique_id_of(raw: str) -> Any:
    """The unique id of a frame that failed to unpack, or "-1" where none can be read
    (the convention OCPP 2.0.1 §4.2.3 writes down for 1.6's silence)."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return "-1"
    if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
        return frame[1]
    return "-1"


def invalid_value(cause: str) -> TypeConstraintViolationError:
    return TypeConstraintViolationError(details={"cause": cause})
