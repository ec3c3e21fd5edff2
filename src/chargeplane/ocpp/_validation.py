"""Payload validation against the OCA JSON schemas shipped with the ``ocpp`` package,
compiled once per action, with errors mapped to the CALLERROR codes the OCPP-J specification
names for each kind of violation.

Two compiled validators of the same schema, each doing what it does best. jsonschema-rs (Rust)
decides whether a payload is valid: ~4 µs for the benchmark's MeterValues, measured, against
~24-31 µs for fastjsonschema's generated Python (and ~400 µs for the ``ocpp`` package's
interpreted validator run in a thread). A payload it refuses is validated again by
fastjsonschema, whose verdict stands and whose first error names the rule and the field that
pick the CALLERROR, as before. So answers are fastjsonschema's: a payload jsonschema-rs
refuses but fastjsonschema accepts (draft 4's stricter ``integer``: ``1.0``) is accepted, and
a test holds that jsonschema-rs never accepts what fastjsonschema refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema_rs
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


def _schema(version: str, action: str, response: bool) -> dict[str, Any]:
    name = f"{action}{'Response' if response else ''}.json"
    path = _SCHEMAS / f"v{version.replace('.', '')}" / "schemas" / name
    try:
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError:
        raise NotImplementedError(details={"cause": f"no schema for {action}"}) from None
    # Without "$schema" both validators read the schema as draft 7, as fastjsonschema always
    # has here: an integer may be written 1.0.
    schema.pop("$schema", None)
    schema.pop("id", None)
    return schema


@cache
def _validator(version: str, action: str, response: bool) -> Callable[[Any], Any]:
    """fastjsonschema's validator: the verdict, and the error of an invalid payload."""
    compiled: Callable[[Any], Any] = fastjsonschema.compile(
        _schema(version, action, response), formats={"date-time": _is_datetime}
    )
    return compiled


@cache
def _is_valid(version: str, action: str, response: bool) -> Callable[[Any], bool]:
    """jsonschema-rs's test: True only for a payload fastjsonschema accepts too."""
    validator = jsonschema_rs.Draft7Validator(
        _schema(version, action, response),
        formats={"date-time": _is_datetime},
        validate_formats=True,
    )
    is_valid: Callable[[Any], bool] = validator.is_valid
    return is_valid


def validate(version: str, action: str, payload: Any, *, response: bool = False) -> None:
    """Raise the OCPPError that answers an invalid ``payload`` of ``action``."""
    if _is_valid(version, action, response)(payload):
        return
    try:
        _validator(version, action, response)(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        error = _BY_RULE.get(exc.rule or "", FormatViolationError)
        field = (exc.name or "data").removeprefix("data").lstrip(".") or "payload"
        message = exc.message.removeprefix(exc.name or "").strip()
        raise error(details={"cause": f"{field}: {message}"}) from None
