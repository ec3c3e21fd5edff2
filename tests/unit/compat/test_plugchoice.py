"""The Plugchoice dialect as a pure function of hand-built snapshots and scopes: every field
of the document, the permission-dependent ``pincode``, firmware version parsing; and its
error bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from chargeplane.chargers.schemas import Licenses, Sensitive, TemplateRef
from chargeplane.compat import plugchoice
from chargeplane.errors import Forbidden, NotFound, Unauthenticated
from tests.unit.compat.test_flipturn import (
    BOOT,
    CONNECTED,
    NEVER_CONNECTED,
    NO_BOOT,
    T_NOW,
    T_READ,
    T_START,
    connector,
    evse,
    snapshot,
    status,
)

ALL = ("basic", "sensitive", "full")
DOCUMENTED_KEYS = [
    "uuid",
    "id",
    "identity",
    "pincode",
    "reference",
    "connection_status",
    "status",
    "error",
    "error_info",
    "vendor_id",
    "vendor_error_code",
    "firmware_version",
    "parsed_firmware_version",
    "server",
    "last_connection_at",
    "last_disconnection_at",
    "last_heartbeat_at",
    "setup_pending",
    "setup_completed",
    "blocked",
    "max_current",
    "created_at",
    "updated_at",
    "licenses",
    "model_id",
    "model",
    "connectors",
    "permissions",
]
CONNECTOR_KEYS = [
    "id",
    "charger_id",
    "connector_id",
    "status",
    "error",
    "error_info",
    "vendor_id",
    "vendor_error_code",
    "max_amperage",
    "max_voltage",
    "standard",
    "format",
    "power_type",
    "phase_rotation",
    "created_at",
    "updated_at",
]


def managed(**overrides: Any) -> Any:
    """The example charger with management fields set."""
    fields: dict[str, Any] = {
        "reference": "ref-1",
        "sensitive": Sensitive(pincode="1234", contactless_token="tok"),
        "max_current": 200.0,
        "setup_pending": True,
        "setup_completed": False,
        "blocked": True,
        "licenses": Licenses(smart=True, pro=False),
        "updated_at": T_READ,
    }
    return snapshot(**(fields | overrides))


def test_every_documented_field_from_its_source() -> None:
    body = plugchoice.charger(managed(), ALL)
    assert list(body) == DOCUMENTED_KEYS
    assert body == {
        "uuid": "4f1c2d3e-0000-4000-8000-000000000123",
        "id": 123,
        "identity": "CHARGER-001",
        "pincode": "1234",
        "reference": "ref-1",
        "connection_status": "Connected",
        "status": "Available",
        "error": None,
        "error_info": None,
        "vendor_id": None,
        "vendor_error_code": None,
        "firmware_version": "1.5.4.4",
        "parsed_firmware_version": "1.5.4.4",
        "server": "node-1",
        "last_connection_at": "2025-01-01T12:00:00.000000Z",
        "last_disconnection_at": None,
        "last_heartbeat_at": "2025-01-01T12:00:00.000000Z",
        "setup_pending": True,
        "setup_completed": False,
        "blocked": True,
        "max_current": 200.0,
        "created_at": "2025-01-01T11:30:00.000000Z",
        "updated_at": "2025-01-01T11:45:00.000000Z",
        "licenses": {"smart": True, "pro": False},
        "model_id": None,
        "model": {"vendor": "ABB", "name": "Terra 184", "is_dc": True},
        "connectors": [
            {
                "id": 1,
                "charger_id": 123,
                "connector_id": 1,
                "status": "Available",
                "error": None,
                "error_info": None,
                "vendor_id": None,
                "vendor_error_code": None,
                "max_amperage": 200,
                "max_voltage": 920,
                "standard": "IEC_62196_T1_COMBO",
                "format": "CABLE",
                "power_type": "DC",
                "phase_rotation": None,
                "created_at": "2025-01-01T11:30:00.000000Z",
                "updated_at": "2025-01-01T11:30:00.000000Z",
            },
            {
                "id": 2,
                "charger_id": 123,
                "connector_id": 2,
                "status": "Charging",
                "error": None,
                "error_info": None,
                "vendor_id": None,
                "vendor_error_code": None,
                "max_amperage": 200,
                "max_voltage": 920,
                "standard": "IEC_62196_T1_COMBO",
                "format": "CABLE",
                "power_type": "DC",
                "phase_rotation": None,
                "created_at": "2025-01-01T11:30:00.000000Z",
                "updated_at": "2025-01-01T11:30:00.000000Z",
            },
        ],
        "permissions": {"basic": True, "sensitive": True, "full": True},
    }
    assert json.loads(json.dumps(body)) == body


# --- permissions and the pincode ------------------------------------------------------------


@pytest.mark.parametrize(
    "scopes",
    [("basic",), ("basic", "sensitive"), ("basic", "full"), ALL],
    ids=lambda s: "+".join(s),
)
def test_permissions_reflect_the_callers_scopes(scopes: tuple[str, ...]) -> None:
    redacted = "sensitive" not in scopes
    seen = managed(sensitive=None) if redacted else managed()
    body = plugchoice.charger(seen, frozenset(scopes))
    assert body["permissions"] == {s: s in scopes for s in ALL}
    assert ("pincode" in body) is not redacted
    assert ("1234" in json.dumps(body)) is not redacted


def test_pincode_is_null_for_a_sensitive_caller_when_none_is_set() -> None:
    body = plugchoice.charger(
        managed(sensitive=Sensitive(pincode=None, contactless_token=None)), ALL
    )
    assert body["pincode"] is None
    assert list(body) == DOCUMENTED_KEYS


def test_other_sensitive_fields_are_never_shown() -> None:
    secret = Sensitive(pincode="1234", contactless_token="ctok-secret-9")
    assert "ctok-secret-9" not in json.dumps(plugchoice.charger(managed(sensitive=secret), ALL))


# --- status and connection ------------------------------------------------------------------


def test_the_chargers_own_status_with_an_error() -> None:
    faulted = status(
        "Faulted",
        error_code="GroundFailure",
        vendor_id="ABB",
        vendor_error_code="E42",
        info="leak",
    )
    body = plugchoice.charger(managed(ocpp_status=faulted), ALL)
    assert {k: body[k] for k in DOCUMENTED_KEYS[6:11]} == {
        "status": "Faulted",
        "error": "GroundFailure",
        "error_info": "leak",
        "vendor_id": "ABB",
        "vendor_error_code": "E42",
    }


@pytest.mark.parametrize(
    ("code", "error"), [("NoError", None), (None, None), ("OtherError", "OtherError")]
)
def test_error_is_null_for_no_error(code: str | None, error: str | None) -> None:
    body = plugchoice.charger(managed(ocpp_status=status(error_code=code)), ALL)
    assert body["error"] == error


def test_status_fields_are_null_until_the_charger_reports_one() -> None:
    body = plugchoice.charger(managed(ocpp_status=None), ALL)
    assert [body[k] for k in DOCUMENTED_KEYS[6:11]] == [None] * 5


def test_a_disconnected_charger_has_no_server() -> None:
    gone = T_NOW + timedelta(minutes=5)
    connection = CONNECTED.model_copy(
        update={"status": "Disconnected", "status_at": gone, "last_disconnected_at": gone}
    )
    body = plugchoice.charger(managed(connection=connection), ALL)
    assert (body["connection_status"], body["server"]) == ("Disconnected", None)
    assert body["last_connection_at"] == "2025-01-01T12:00:00.000000Z"
    assert body["last_disconnection_at"] == "2025-01-01T12:05:00.000000Z"


def test_a_charger_that_never_connected() -> None:
    body = plugchoice.charger(
        managed(connection=NEVER_CONNECTED, boot=NO_BOOT, ocpp_status=None, evses=[]), ALL
    )
    assert body["connection_status"] == "Disconnected"
    for key in (
        "server",
        "last_connection_at",
        "last_disconnection_at",
        "last_heartbeat_at",
        "firmware_version",
        "parsed_firmware_version",
    ):
        assert body[key] is None, key
    assert body["connectors"] == []
    assert body["model"] == {"vendor": None, "name": None, "is_dc": False}


def test_max_current_may_be_null() -> None:
    assert plugchoice.charger(managed(max_current=None), ALL)["max_current"] is None


# --- model ------------------------------------------------------------------------------------


def test_model_is_the_hardware_template() -> None:
    template = TemplateRef(id=42, vendor="Alfen", name="Eve Double", is_dc=False)
    body = plugchoice.charger(managed(hardware_template=template, hardware_template_id=42), ALL)
    assert body["model_id"] == 42
    assert body["model"] == {"vendor": "Alfen", "name": "Eve Double", "is_dc": False}


def test_model_falls_back_to_the_boot_facts_and_the_connectors() -> None:
    ac = connector(standard="IEC_62196_T2", power_type="AC_3_PHASE")
    body = plugchoice.charger(
        managed(
            boot=BOOT.model_copy(update={"vendor": "Zaptec", "model": "Go"}),
            evses=[evse(1, connectors=[ac])],
        ),
        ALL,
    )
    assert body["model_id"] is None
    assert body["model"] == {"vendor": "Zaptec", "name": "Go", "is_dc": False}


# --- connectors -------------------------------------------------------------------------------


def test_a_connector_is_an_evse_with_its_first_connectors_facts() -> None:
    made = datetime(2024, 6, 1, 8, 0, 0, 123456, tzinfo=UTC)
    port = evse(
        2,
        id=77,
        ocpp_status=status(
            "Faulted", error_code="ConnectorLockFailure", vendor_error_code="L1", info="x"
        ),
        connectors=[
            connector(2, standard="CHADEMO", max_amperage=125, max_voltage=500, power_type="DC"),
            connector(
                1,
                standard="IEC_62196_T2",
                format="SOCKET",
                power_type="AC_3_PHASE",
                max_amperage=32,
                max_voltage=400,
                phase_rotation="RST",
            ),
        ],
        created_at=made,
        updated_at=made + timedelta(days=1),
    )
    (body,) = plugchoice.charger(managed(evses=[port]), ALL)["connectors"]
    assert list(body) == CONNECTOR_KEYS
    assert body == {
        "id": 77,
        "charger_id": 123,
        "connector_id": 2,
        "status": "Faulted",
        "error": "ConnectorLockFailure",
        "error_info": "x",
        "vendor_id": None,
        "vendor_error_code": "L1",
        "max_amperage": 32,
        "max_voltage": 400,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "phase_rotation": "RST",
        "created_at": "2024-06-01T08:00:00.123456Z",
        "updated_at": "2024-06-02T08:00:00.123456Z",
    }


def test_an_evse_without_connectors_or_status() -> None:
    (body,) = plugchoice.charger(managed(evses=[evse(1, connectors=[], ocpp_status=None)]), ALL)[
        "connectors"
    ]
    assert {k: v for k, v in body.items() if v is not None} == {
        "id": 1,
        "charger_id": 123,
        "connector_id": 1,
        "created_at": "2025-01-01T11:30:00.000000Z",
        "updated_at": "2025-01-01T11:30:00.000000Z",
    }


def test_connectors_are_listed_by_connector_id() -> None:
    body = plugchoice.charger(managed(evses=[evse(2), evse(3), evse(1)]), ALL)
    assert [c["connector_id"] for c in body["connectors"]] == [1, 2, 3]


# --- formats ----------------------------------------------------------------------------------


def test_timestamps_are_utc_with_microseconds() -> None:
    amsterdam = timezone(timedelta(hours=1))
    moment = datetime(2025, 1, 1, 13, 0, 0, 7, tzinfo=amsterdam)
    assert plugchoice.iso_us(moment) == "2025-01-01T12:00:00.000007Z"
    assert plugchoice.iso_us(None) is None
    assert plugchoice.iso_us(T_START) == "2025-01-01T11:30:00.000000Z"


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("1.5.4.4", "1.5.4.4"),  # ABB Terra, as in the Flipturn example
        ("v1.5.4.4-rc1", "1.5.4.4"),
        ("4.14.0-3398", "4.14.0"),  # Alfen: version-build
        ("P30 v 3.10.57 (200930-061123)", "3.10.57"),  # KEBA P30: product, version, build
        ("DCWB_V01.03.08", "1.3.8"),  # zero-padded parts
        ("V1.02.21", "1.2.21"),
        ("5.17.11", "5.17.11"),
        ("2.1.0.0 build 20231102", "2.1.0.0"),
        ("0.9.7.3b", "0.9.7.3"),
        ("EVC04_SW3.2.1", "3.2.1"),  # a number glued to the product name is not a version
        ("326", "326"),  # Easee: a bare build number
        ("v326", "326"),
        ("1.0", "1.0"),
        ("beta", None),
        ("", None),
        ("1..2", None),
        (None, None),
    ],
)
def test_parsed_firmware_version(raw: str | None, parsed: str | None) -> None:
    assert plugchoice.parse_firmware_version(raw) == parsed


def test_parsed_firmware_version_is_served() -> None:
    boot = BOOT.model_copy(update={"firmware_version": "P30 v 3.10.57 (200930-061123)"})
    body = plugchoice.charger(managed(boot=boot), ALL)
    assert body["firmware_version"] == "P30 v 3.10.57 (200930-061123)"
    assert body["parsed_firmware_version"] == "3.10.57"


# --- errors -----------------------------------------------------------------------------------


def test_errors_are_plugchoice_bodies_with_a_stable_code() -> None:
    unauthenticated = plugchoice.error(Unauthenticated("API key revoked"))
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    assert unauthenticated.headers["content-type"] == "application/json"
    assert json.loads(bytes(unauthenticated.body)) == {
        "message": "Unauthenticated.",
        "code": "unauthenticated",
    }
    missing = plugchoice.error(NotFound("charger not found"))
    assert missing.status_code == 404
    assert json.loads(bytes(missing.body)) == {"message": "Charger not found.", "code": "not_found"}
    forbidden = plugchoice.error(Forbidden("not from here", code="ip_not_allowed"))
    assert forbidden.status_code == 403
    assert json.loads(bytes(forbidden.body)) == {
        "message": "This action is unauthorized.",
        "code": "ip_not_allowed",
    }
