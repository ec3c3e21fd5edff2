"""Unit tests for CALLERROR frames and OCPP 1.6's spelling of error codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ocpp.exceptions import (
    FormatViolationError,
    InternalError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.exceptions import NotImplementedError as OcppNotImplementedError

from chargeplane.errors import Conflict
from chargeplane.ocpp._errors import call_error_frame, invalid_value, to_call_error, unique_id_of


def frame(exc: BaseException, *, version: str = "1.6", unique_id: Any = "42") -> list[Any]:
    decoded = json.loads(call_error_frame(unique_id, exc, version=version))
    assert isinstance(decoded, list)
    return decoded


# --- error codes ---------------------------------------------------------------------------


def test_v16_spells_format_violation_as_formation_violation() -> None:
    assert frame(FormatViolationError())[2] == "FormationViolation"


def test_v16_spells_occurrence_violation_with_one_r() -> None:
    assert frame(OccurrenceConstraintViolationError())[2] == "OccurenceConstraintViolation"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (FormatViolationError(), "FormatViolation"),
        (OccurrenceConstraintViolationError(), "OccurrenceConstraintViolation"),
    ],
)
def test_other_versions_keep_the_2_0_1_spelling(exc: OCPPError, code: str) -> None:
    assert frame(exc, version="2.0.1")[2] == code


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (TypeConstraintViolationError(), "TypeConstraintViolation"),
        (PropertyConstraintViolationError(), "PropertyConstraintViolation"),
        (ProtocolError(), "ProtocolError"),
        (OcppNotImplementedError(), "NotImplemented"),
        (InternalError(), "InternalError"),
    ],
)
def test_v16_keeps_other_codes(exc: OCPPError, code: str) -> None:
    assert frame(exc)[2] == code


# --- frame ---------------------------------------------------------------------------------


def test_frame_is_a_compact_callerror_with_the_unique_id() -> None:
    error = TypeConstraintViolationError(description="bad", details={"cause": "idTag: too long"})
    raw = call_error_frame("abc-1", error, version="1.6")
    assert raw == '[4,"abc-1","TypeConstraintViolation","bad",{"cause":"idTag: too long"}]'


def test_frame_keeps_the_error_description() -> None:
    assert frame(PropertyConstraintViolationError())[3] == (
        PropertyConstraintViolationError.default_description
    )


def test_frame_keeps_a_non_string_unique_id_as_given() -> None:
    assert frame(ProtocolError(), unique_id=-1)[1] == -1


def test_details_keep_only_the_cause() -> None:
    error = FormatViolationError(
        details={"cause": "Message is not valid JSON", "ocpp_message": "{not json"}
    )
    assert frame(error)[4] == {"cause": "Message is not valid JSON"}


@pytest.mark.parametrize(
    "details",
    [None, {}, {"cause": 5}, {"cause": None}, {"other": "x"}, "just a string", ["cause"]],
)
def test_details_without_a_string_cause_are_empty(details: Any) -> None:
    assert frame(ProtocolError(details=details))[4] == {}


# --- non-OCPP exceptions -------------------------------------------------------------------


def test_unexpected_exception_becomes_internal_error_without_its_message() -> None:
    decoded = frame(RuntimeError("password=hunter2"))
    assert decoded[2:] == ["InternalError", "An unexpected error occurred.", {}]


def test_chargeplane_error_becomes_internal_error_with_its_detail() -> None:
    decoded = frame(Conflict("evse is busy"))
    assert decoded[2:] == ["InternalError", "evse is busy", {}]


def test_to_call_error_returns_an_ocpp_error_unchanged() -> None:
    error = PropertyConstraintViolationError(details={"cause": "x"})
    assert to_call_error(error) is error


def test_to_call_error_wraps_other_exceptions_in_internal_error() -> None:
    assert type(to_call_error(ValueError("x"))) is InternalError


def test_invalid_value_is_a_type_constraint_violation_with_the_cause() -> None:
    error = invalid_value("timestamp: 'x' is not a date-time")
    assert type(error) is TypeConstraintViolationError
    assert error.details == {"cause": "timestamp: 'x' is not a date-time"}


# --- unique_id_of --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('[2,"abc","Heartbeat",{}]', "abc"),
        ('[2,"abc","Heartbeat"', "-1"),
        ('[9,"x"]', "x"),
        ("not json at all", "-1"),
        ("", "-1"),
        ('{"uniqueId":"abc"}', "-1"),
        ('"abc"', "-1"),
        ("[2]", "-1"),
        ("[]", "-1"),
        ('[2,17,"Heartbeat",{}]', "-1"),
        ('[2,null,"Heartbeat",{}]', "-1"),
    ],
)
def test_unique_id_of(raw: str, expected: str) -> None:
    assert unique_id_of(raw) == expected
