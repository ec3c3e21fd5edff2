"""Payload validation against the OCA JSON schemas shipped with the ``ocpp`` package,
compiled once per action (fastjsonschema: ~25 µs for a MeterValues, against ~400 µs for the
package's interpreted validator run in a thread), with errors mapped to the CALLERROR codes the
OCPP-J specification names for each kind of violation."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp
from ocpp.exceptions import (
    FormatViolationError,
    NotImplementedError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)

_SCHEMAS = Path(ocpp.__file__).parent

# JSON-schema keyword that failed → the OCPP-J error (§4.2.3 of the 1.6 JSON specification).
_BY_RULE: dict[str, type[OCPPError]] = {
    "type": TypeConstraintViolationError,
    "maxLength": TypeConstraintViolationError,
    "minLength": TypeConstraintViolationError,
    "format": TypeConstraintViolationError,
    "multipleOf": TypeConstraintViolationError,
    "enum": PropertyConstraintViolationError,
    "minimum": PropertyConstraintViolationError,
    "maximum": PropertyConstraintViolationError,
    "pattern": PropertyConstraintViolationError,
    "required": OccurrenceConstraintViolationError,
    "minItems": OccurrenceConstraintViolationError,
    "maxItems": OccurrenceConstraintViolationError,
    "additionalProperties": FormatViolationError,
}


def _is_datetime(value: str) -> bool:
    """RFC 3339 date-time; an offset-less value (common in the field) is accepted as UTC."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value or "t" in value or " " in value


@cache
def _validator(version: str, action: str, response: bool) -> Callable[[Any], Any]:
    name = f"{action}{'Response' if response else ''}.json"
    path = _SCHEMAS / f"v{version.replace('.', '')}" / "schemas" / name
    try:
        schema = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError:
        raise NotImplementedError(details={"cause": f"no schema for {action}"}) from None
    schema.pop("$schema", None)
    schema.pop("id", None)
    compiled: Callable[[Any], Any] = fastjsonschema.compile(
        schema, formats={"date-time": _is_datetime}
    )
    return compiled


def validate(version: str, action: str, payload: Any, *, response: bool = False) -> None:
    """Raise the OCPPError that answers an invalid ``payload`` of ``action``."""
    try:
        _validator(version, action, response)(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        error = _BY_RULE.get(exc.rule or "", FormatViolationError)
        field = (exc.name or "data").removeprefix("data").lstrip(".") or "payload"
        message = exc.message.removeprefix(exc.name or "").strip()
        raise error(details={"cause": f"{field}: {message}"}) from None
