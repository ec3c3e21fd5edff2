"""Unit tests for OCPP payload validation and its mapping to OCPP-J error codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ocpp
import pytest
from ocpp.exceptions import (
    FormatViolationError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)
from ocpp.exceptions import NotImplementedError as OcppNotImplementedError

from chargeplane.ocpp import _validation
from chargeplane.ocpp._validation import validate

STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Wallbox 22"}
START = {"connectorId": 1, "idTag": "TAG1", "meterStart": 1000, "timestamp": "2025-01-01T10:00:00Z"}


def meter_values(**sampled_value: Any) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [
            {"timestamp": "2025-01-01T10:00:00Z", "sampledValue": [{"value": "1", **sampled_value}]}
        ],
    }


def violation(action: str, payload: Any) -> OCPPError:
    with pytest.raises(OCPPError) as excinfo:
        validate("1.6", action, payload)
    return excinfo.value


def cause(error: OCPPError) -> str:
    assert isinstance(error.details, dict)
    text = error.details["cause"]
    assert isinstance(text, str)
    return text


# --- valid payloads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("StatusNotification", STATUS),
        (
            "StatusNotification",
            {**STATUS, "info": "x" * 50, "timestamp": "2025-01-01T10:00:00.123+02:00"},
        ),
        ("BootNotification", BOOT),
        ("StartTransaction", START),
        ("MeterValues", meter_values(unit="kWh", measurand="Energy.Active.Import.Register")),
        ("Heartbeat", {}),
    ],
)
def test_valid_payload_passes(action: str, payload: dict[str, Any]) -> None:
    validate("1.6", action, payload)  # raises if invalid


def test_valid_response_passes() -> None:
    payload = {"status": "Accepted", "currentTime": "2025-01-01T10:00:00Z", "interval": 60}
    validate("1.6", "BootNotification", payload, response=True)  # raises if invalid


def test_response_is_validated_against_the_response_schema() -> None:
    payload = {"status": "Maybe", "currentTime": "2025-01-01T10:00:00Z", "interval": 60}
    with pytest.raises(PropertyConstraintViolationError) as excinfo:
        validate("1.6", "BootNotification", payload, response=True)
    assert cause(excinfo.value).startswith("status:")


# --- violations → OCPP-J errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "payload", "error", "field"),
    [
        # required
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError"}, "occurrence", "status"),
        ("BootNotification", {"chargePointVendor": "Acme"}, "occurrence", "chargePointModel"),
        (
            "StartTransaction",
            {k: v for k, v in START.items() if k != "idTag"},
            "occurrence",
            "idTag",
        ),
        # type
        ("StatusNotification", {**STATUS, "connectorId": "1"}, "type", "connectorId"),
        ("StartTransaction", {**START, "meterStart": 1.5}, "type", "meterStart"),
        ("StartTransaction", {**START, "meterStart": True}, "type", "meterStart"),
        ("MeterValues", meter_values(value=5), "type", "meterValue[0].sampledValue[0].value"),
        # maxLength
        ("BootNotification", {**BOOT, "chargePointVendor": "v" * 21}, "type", "chargePointVendor"),
        ("StartTransaction", {**START, "idTag": "t" * 21}, "type", "idTag"),
        ("StatusNotification", {**STATUS, "info": "i" * 51}, "type", "info"),
        # format
        ("StartTransaction", {**START, "timestamp": "yesterday"}, "type", "timestamp"),
        # enum
        ("StatusNotification", {**STATUS, "status": "Sleeping"}, "property", "status"),
        ("StatusNotification", {**STATUS, "errorCode": "Oops"}, "property", "errorCode"),
        ("MeterValues", meter_values(unit="MWh"), "property", "meterValue[0].sampledValue[0].unit"),
        # additionalProperties
        ("StatusNotification", {**STATUS, "colour": "red"}, "format", "colour"),
        ("MeterValues", meter_values(extra=1), "format", "extra"),
    ],
)
def test_violation_maps_to_its_ocpp_error_and_names_the_field(
    action: str, payload: dict[str, Any], error: str, field: str
) -> None:
    expected = {
        "occurrence": OccurrenceConstraintViolationError,
        "type": TypeConstraintViolationError,
        "property": PropertyConstraintViolationError,
        "format": FormatViolationError,
    }[error]
    raised = violation(action, payload)
    assert type(raised) is expected
    assert field in cause(raised)


def test_type_violation_cause_starts_with_the_field_path() -> None:
    raised = violation("MeterValues", meter_values(value=5))
    assert cause(raised) == "meterValue[0].sampledValue[0].value: must be string"


def test_missing_top_level_property_is_reported_on_the_payload() -> None:
    raised = violation("StatusNotification", {"connectorId": 1, "errorCode": "NoError"})
    assert cause(raised) == "payload: must contain ['status'] properties"


def test_missing_nested_property_is_reported_on_its_parent() -> None:
    payload = {"connectorId": 1, "meterValue": [{"sampledValue": [{"value": "1"}]}]}
    raised = violation("MeterValues", payload)
    assert type(raised) is OccurrenceConstraintViolationError
    assert cause(raised).startswith("meterValue[0]: ")
    assert "timestamp" in cause(raised)


def test_empty_meter_value_list_is_an_occurrence_violation() -> None:
    raised = violation("MeterValues", {"connectorId": 1, "meterValue": []})
    assert type(raised) is OccurrenceConstraintViolationError
    assert cause(raised).startswith("meterValue:")


def test_unknown_property_is_named_in_the_cause() -> None:
    raised = violation("Heartbeat", {"surprise": 1})
    assert type(raised) is FormatViolationError
    assert "surprise" in cause(raised)


@pytest.mark.parametrize("payload", [[], None, "{}", 3])
def test_payload_that_is_not_an_object_is_a_type_violation(payload: Any) -> None:
    raised = violation("StatusNotification", payload)
    assert type(raised) is TypeConstraintViolationError
    assert cause(raised) == "payload: must be object"


def test_action_without_schema_is_not_implemented() -> None:
    with pytest.raises(OcppNotImplementedError) as excinfo:
        validate("1.6", "NoSuchAction", {})
    assert cause(excinfo.value) == "no schema for NoSuchAction"


# --- date-time -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        "2025-01-01T10:00:00Z",
        "2025-01-01T10:00:00.123Z",
        "2025-01-01T10:00:00+02:00",
        "2025-01-01T10:00:00",
    ],
)
def test_date_time_is_accepted(timestamp: str) -> None:
    validate("1.6", "StartTransaction", {**START, "timestamp": timestamp})  # raises if invalid


@pytest.mark.parametrize(
    "timestamp", ["yesterday", "", "2025-01-01", "10:00:00", "2025-13-01T10:00:00Z"]
)
def test_invalid_date_time_is_a_type_violation(timestamp: str) -> None:
    raised = violation("StartTransaction", {**START, "timestamp": timestamp})
    assert type(raised) is TypeConstraintViolationError
    assert cause(raised) == "timestamp: must be date-time"


# --- rules the 1.6 request schemas do not use ----------------------------------------------


@pytest.fixture
def probe_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A schema "Probe" of version "9.9" using keywords the 1.6 schemas lack."""
    schema = {
        "type": "object",
        "properties": {
            "count": {"type": "integer", "minimum": 0, "maximum": 10},
            "code": {"type": "string", "pattern": "^[A-Z]+$", "minLength": 2},
            "items": {"type": "array", "maxItems": 1},
        },
    }
    folder = tmp_path / "v99" / "schemas"
    folder.mkdir(parents=True)
    (folder / "Probe.json").write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setattr(_validation, "_SCHEMAS", tmp_path)
    _validation._validator.cache_clear()
    _validation._is_valid.cache_clear()
    yield
    _validation._validator.cache_clear()
    _validation._is_valid.cache_clear()


@pytest.mark.usefixtures("probe_schema")
@pytest.mark.parametrize(
    ("payload", "expected", "field"),
    [
        ({"count": -1}, PropertyConstraintViolationError, "count"),
        ({"count": 11}, PropertyConstraintViolationError, "count"),
        ({"code": "abc"}, PropertyConstraintViolationError, "code"),
        ({"code": "A"}, TypeConstraintViolationError, "code"),
        ({"items": [1, 2]}, OccurrenceConstraintViolationError, "items"),
    ],
)
def test_other_rules_map_to_their_ocpp_error(
    payload: dict[str, Any], expected: type[OCPPError], field: str
) -> None:
    with pytest.raises(OCPPError) as excinfo:
        validate("9.9", "Probe", payload)
    assert type(excinfo.value) is expected
    assert cause(excinfo.value).startswith(f"{field}:")


@pytest.mark.usefixtures("probe_schema")
def test_probe_schema_accepts_a_valid_payload() -> None:
    validate("9.9", "Probe", {"count": 10, "code": "AB", "items": [1]})  # raises if invalid


# --- the two validators ----------------------------------------------------------------------
# jsonschema-rs decides valid payloads alone (``_validation``), so it must never accept one that
# fastjsonschema, whose verdict stands, refuses. Checked on every OCPP 1.6 schema: a payload
# with every property the schema names, and that payload changed in each place in each way.

_SCHEMA_DIR = Path(ocpp.__file__).parent / "v16" / "schemas"
_ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    1.0,
    1.5,
    -1,
    2**70,
    "",
    "x" * 600,
    "2025-01-01T10:00:00Z",
    "Sleeping",
    [],
    [{}],
    {},
    {"surprise": 1},
]


def _sample(schema: dict[str, Any], definitions: dict[str, Any]) -> Any:
    """A payload the schema accepts, with every optional property present."""
    if "$ref" in schema:
        return _sample(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _sample(sub, definitions) for name, sub in props.items()}
    if kind == "array":
        return [_sample(schema.get("items", {}), definitions)]
    if kind == "string":
        return {"date-time": "2025-01-01T10:00:00Z", "uri": "ftp://example.com/a"}.get(
            schema.get("format", ""), "a"
        )
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return "a"


def _variants(payload: Any) -> Iterator[Any]:
    """``payload`` changed at one place: each value replaced by each odd value, each list
    doubled, each object given an unknown property or missing one of its own."""
    yield from _ODD_VALUES
    if isinstance(payload, dict):
        yield {**payload, "surprise": 1}
        for key, value in payload.items():
            yield {k: v for k, v in payload.items() if k != key}
            for variant in _variants(value):
                yield {**payload, key: variant}
    elif isinstance(payload, list) and payload:
        yield payload * 2
        for variant in _variants(payload[0]):
            yield [variant, *payload[1:]]


@pytest.mark.parametrize("name", sorted(p.stem for p in _SCHEMA_DIR.glob("*.json")))
def test_jsonschema_rs_never_accepts_what_fastjsonschema_refuses(name: str) -> None:
    response = name.endswith("Response")
    action = name.removesuffix("Response") if response else name
    schema = json.loads((_SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8-sig"))
    base = _sample(schema, schema.get("definitions", {}))
    fast_is_valid = _validation._is_valid("1.6", action, response)
    reference = _validation._validator("1.6", action, response)
    assert fast_is_valid(base), f"{name}: the sample payload is valid"
    checked = 0
    for payload in _variants(base):
        if fast_is_valid(payload):
            reference(payload)  # raises if fastjsonschema refuses what jsonschema-rs accepted
        checked += 1
    assert checked > len(_ODD_VALUES)
