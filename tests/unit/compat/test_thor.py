"""The Thor dialect as a pure function of hand-built snapshots (every mapping rule), and its
error rendering: Thor's ``{"message": ...}`` bodies, never the app's problem+json."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args

import pytest

from chargeplane.apikeys.service import Principal
from chargeplane.chargers.schemas import (
    BootInfo,
    ChargerRead,
    ConnectionInfo,
    ConnectorRead,
    Contactless,
    EvseRead,
    LatestReadings,
    Licenses,
    OcppStatus,
    Sensitive,
    SessionRead,
    SiteRef,
)
from chargeplane.compat import thor
from chargeplane.errors import Conflict, Forbidden, Unauthenticated
from chargeplane.vocab import ConnectorStandard, PowerType

T0 = datetime(2025, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
T0_MS = 1735732800123

THOR_FIELDS = {
    "active",
    "alias",
    "connected",
    "public",
    "reservable",
    "connectors",
    "coordinates",
    "id",
    "last_heartbeat",
    "timezone",
    "type",
    "occupied_connectors",
    "reserved_connectors",
}
THOR_CONNECTOR_FIELDS = {
    "power",
    "type",
    "format",
    "max_amperage",
    "power_type",
    "terminal_id",
    "token",
}


def connector(number: int = 1, **overrides: Any) -> ConnectorRead:
    fields: dict[str, Any] = {
        "id": number,
        "number": number,
        "standard": "IEC_62196_T2_COMBO",
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": 920,
        "max_amperage": 125,
        "max_power_kw": 50.0,
        "phase_rotation": None,
    }
    return ConnectorRead(**(fields | overrides))


def status(value: str) -> OcppStatus:
    return OcppStatus(
        status=value,
        error_code="NoError",
        vendor_id=None,
        vendor_error_code=None,
        info=None,
        timestamp=T0,
        received_at=T0,
    )


def session(evse_number: int) -> SessionRead:
    return SessionRead(
        id=7,
        transaction_id=7,
        state="active",
        evse_number=evse_number,
        id_tag="TAG",
        auth_status="Accepted",
        started_at=T0,
        meter_start_wh=0,
        soc_start_percent=None,
        energy_delivered_kwh=0.0,
        latest_readings=LatestReadings(
            power_kw=None, current_a=None, voltage_v=None, soc_percent=None, energy_register_wh=None
        ),
        rfid=None,
        customer=None,
        vehicle=None,
        flags=[],
    )


def evse(number: int, *connectors: ConnectorRead, **overrides: Any) -> EvseRead:
    fields: dict[str, Any] = {
        "id": 100 + number,
        "number": number,
        "name": f"Port {number}",
        "max_power_kw": None,
        "ocpp_status": None,
        "connectors": list(connectors) if connectors else [connector()],
        "current_session": None,
        "created_at": T0,
        "updated_at": T0,
    }
    return EvseRead(**(fields | overrides))


def connection(**overrides: Any) -> ConnectionInfo:
    fields: dict[str, Any] = {
        "status": None,
        "status_at": None,
        "last_connected_at": None,
        "last_disconnected_at": None,
        "last_heartbeat_at": None,
        "heartbeat_interval": None,
        "client_ip": None,
        "node_name": None,
        "protocol": None,
    }
    return ConnectionInfo(**(fields | overrides))


def site(latitude: float | None = 45.46, longitude: float | None = 9.19) -> SiteRef:
    return SiteRef(
        id=3,
        name="Depot",
        address=None,
        latitude=latitude,
        longitude=longitude,
        timezone="Europe/Rome",
    )


def snapshot(**overrides: Any) -> ChargerRead:
    """A connected two-EVSE charger with a Nayax terminal, as a ``sensitive`` key sees it."""
    fields: dict[str, Any] = {
        "id": 1,
        "uuid": "00000000-0000-0000-0000-000000000001",
        "ocpp_id": "CP-1",
        "external_id": None,
        "name": "Depot charger",
        "reference": None,
        "organization_id": 1,
        "site_id": None,
        "hardware_template_id": None,
        "latitude": 52.37,
        "longitude": 4.89,
        "active": True,
        "public": True,
        "reservable": True,
        "blocked": False,
        "deploy_state": "Production",
        "charger_type": "Public",
        "vehicle_type": "car",
        "capabilities": [],
        "contactless": Contactless(type="Nayax", terminal_id="NAYAX-1"),
        "max_current": None,
        "default_tariff_code": None,
        "setup_pending": False,
        "setup_completed": False,
        "licenses": Licenses(),
        "remote_manageable": True,
        "sensitive": Sensitive(pincode="1234", contactless_token="nayax-token"),
        "connectivity": "Online",
        "timezone": "Europe/Amsterdam",
        "hardware_template": None,
        "site": None,
        "boot": BootInfo(
            vendor=None,
            model=None,
            serial_number=None,
            charge_box_serial_number=None,
            firmware_version=None,
            iccid=None,
            imsi=None,
            meter_type=None,
            meter_serial_number=None,
            last_boot_at=None,
        ),
        "connection": connection(
            status="Connected", last_heartbeat_at=T0, protocol="ocpp1.6", status_at=T0
        ),
        "ocpp_status": None,
        "firmware_status": None,
        "diagnostics_status": None,
        "evses": [
            evse(1, connector(), ocpp_status=status("Charging"), current_session=session(1)),
            evse(
                2,
                connector(
                    standard="IEC_62196_T2",
                    format="SOCKET",
                    power_type="AC_3_PHASE",
                    max_voltage=400,
                    max_amperage=32,
                    max_power_kw=22.0,
                ),
                ocpp_status=status("Reserved"),
            ),
        ],
        "created_at": T0,
        "updated_at": T0,
        "etag": "e",
    }
    return ChargerRead(**(fields | overrides))


def only_connector(**connector_overrides: Any) -> dict[str, Any]:
    """The Thor connector of a one-EVSE charger whose connector has these fields."""
    (mapped,) = thor.chargebox(snapshot(evses=[evse(1, connector(**connector_overrides))]))[
        "connectors"
    ]
    return mapped  # type: ignore[no-any-return]


# --- the whole document ------------------------------------------------------------------


def test_a_connected_charger_maps_to_the_whole_thor_document() -> None:
    assert thor.chargebox(snapshot()) == {
        "active": True,
        "alias": "Depot charger",
        "connected": True,
        "public": True,
        "reservable": True,
        "connectors": [
            {
                "power": 50000,
                "type": "ccs",
                "format": "CABLE",
                "max_amperage": 125,
                "power_type": "DC",
                "terminal_id": "NAYAX-1",
                "token": "nayax-token",
            },
            {
                "power": 22000,
                "type": "type_2",
                "format": "SOCKET",
                "max_amperage": 32,
                "power_type": "AC_3_PHASE",
                "terminal_id": "NAYAX-1",
                "token": "nayax-token",
            },
        ],
        "coordinates": {"latitude": 52.37, "longitude": 4.89},
        "id": "CP-1",
        "last_heartbeat": T0_MS,
        "timezone": "Europe/Amsterdam",
        "type": {"vehicle": "car", "msg": "json", "version": "1.6"},
        "occupied_connectors": [1],
        "reserved_connectors": [2],
    }


def test_every_documented_field_and_no_other_is_present_even_when_unknown() -> None:
    bare = snapshot(
        name=None,
        latitude=None,
        longitude=None,
        timezone=None,
        contactless=Contactless(type=None, terminal_id=None),
        sensitive=None,
        connectivity="Offline",
        connection=connection(),
        evses=[evse(1, connector(standard=None, format=None, power_type=None))],
    )
    mapped = thor.chargebox(bare)
    assert set(mapped) == THOR_FIELDS
    assert set(mapped["type"]) == {"vehicle", "msg", "version"}
    assert set(mapped["coordinates"]) == {"latitude", "longitude"}
    assert set(mapped["connectors"][0]) == THOR_CONNECTOR_FIELDS


def test_the_mapping_is_pure_and_json_serialisable() -> None:
    source = snapshot()
    before = source.model_dump()
    first, second = thor.chargebox(source), thor.chargebox(source)
    assert first == second
    assert source.model_dump() == before
    assert json.loads(json.dumps(first)) == first


# --- identity and management flags -------------------------------------------------------


def test_id_is_the_ocpp_identity_and_alias_the_name() -> None:
    mapped = thor.chargebox(snapshot(ocpp_id="ACME-42", name="Gate 3"))
    assert (mapped["id"], mapped["alias"]) == ("ACME-42", "Gate 3")


def test_an_unnamed_charger_has_a_null_alias() -> None:
    assert thor.chargebox(snapshot(name=None))["alias"] is None


@pytest.mark.parametrize("field", ["active", "public", "reservable"])
@pytest.mark.parametrize("value", [True, False])
def test_management_flags_pass_through(field: str, value: bool) -> None:
    assert thor.chargebox(snapshot(**{field: value}))[field] is value


@pytest.mark.parametrize(("connectivity", "connected"), [("Online", True), ("Offline", False)])
def test_connected_follows_the_open_connection(connectivity: str, connected: bool) -> None:
    assert thor.chargebox(snapshot(connectivity=connectivity))["connected"] is connected


# --- connectors --------------------------------------------------------------------------

EXPECTED_TYPES: dict[str, str] = {
    "IEC_62196_T1_COMBO": "ccs",
    "IEC_62196_T2_COMBO": "ccs",
    "CHADEMO": "chademo",
    "IEC_60309_2_single_16": "commando",
    "IEC_60309_2_three_16": "commando",
    "IEC_60309_2_three_32": "commando",
    "IEC_60309_2_three_64": "commando",
    "IEC_62196_T1": "type_1",
    "IEC_62196_T2": "type_2",
    "IEC_62196_T3A": "type_3a",
    "IEC_62196_T3C": "type_3c",
    "DOMESTIC_F": "schuko",
}
THOR_TYPES = {"ccs", "chademo", "commando", "type_1", "type_2", "type_3a", "type_3c", "schuko"}


@pytest.mark.parametrize("standard", get_args(ConnectorStandard))
def test_every_ocpi_standard_maps_to_a_thor_type_or_null(standard: str) -> None:
    assert only_connector(standard=standard)["type"] == EXPECTED_TYPES.get(standard)


def test_every_thor_type_is_reachable() -> None:
    assert set(EXPECTED_TYPES.values()) == THOR_TYPES
    assert thor.CONNECTOR_TYPES == EXPECTED_TYPES


def test_a_connector_without_a_standard_has_a_null_type() -> None:
    assert only_connector(standard=None)["type"] is None


@pytest.mark.parametrize("power_type", get_args(PowerType))
def test_power_types_outside_thors_three_are_null(power_type: str) -> None:
    expected = power_type if power_type in {"AC_1_PHASE", "AC_3_PHASE", "DC"} else None
    assert only_connector(power_type=power_type)["power_type"] == expected


@pytest.mark.parametrize("format_", ["CABLE", "SOCKET", None])
def test_format_passes_through(format_: str | None) -> None:
    assert only_connector(format=format_)["format"] == format_


@pytest.mark.parametrize("amperage", [125, 32, None])
def test_max_amperage_passes_through(amperage: int | None) -> None:
    assert only_connector(max_amperage=amperage)["max_amperage"] == amperage


@pytest.mark.parametrize(
    ("kw", "watts"), [(50.0, 50000), (22.0, 22000), (7.4, 7400), (3.7, 3700), (0.5, 500), (0, 0)]
)
def test_power_is_the_maximum_power_in_whole_watts(kw: float, watts: int) -> None:
    power = only_connector(max_power_kw=kw)["power"]
    assert power == watts
    assert type(power) is int


def test_power_falls_back_to_the_evse_then_to_null() -> None:
    from_evse = snapshot(evses=[evse(1, connector(max_power_kw=None), max_power_kw=11.0)])
    assert thor.chargebox(from_evse)["connectors"][0]["power"] == 11000
    unknown = snapshot(evses=[evse(1, connector(max_power_kw=None), max_power_kw=None)])
    assert thor.chargebox(unknown)["connectors"][0]["power"] is None


def test_one_thor_connector_per_evse_in_evse_number_order() -> None:
    mapped = thor.chargebox(
        snapshot(
            evses=[
                evse(3, connector(standard="CHADEMO")),
                evse(1, connector(standard="IEC_62196_T2")),
                evse(2, connector(standard="DOMESTIC_F")),
            ]
        )
    )
    assert [c["type"] for c in mapped["connectors"]] == ["type_2", "schuko", "chademo"]


def test_an_evse_with_several_connectors_is_described_by_its_lowest_numbered_one() -> None:
    mapped = thor.chargebox(
        snapshot(
            evses=[
                evse(
                    1,
                    connector(2, standard="CHADEMO", max_power_kw=50.0),
                    connector(1, standard="IEC_62196_T2_COMBO", max_power_kw=150.0),
                )
            ]
        )
    )
    (only,) = mapped["connectors"]
    assert (only["type"], only["power"]) == ("ccs", 150000)


def test_an_evse_without_a_described_connector_keeps_its_place_with_nulls() -> None:
    mapped = thor.chargebox(
        snapshot(
            contactless=Contactless(type=None, terminal_id=None),
            evses=[evse(1, connectors=[]), evse(2)],
        )
    )
    assert mapped["connectors"][0] == dict.fromkeys(THOR_CONNECTOR_FIELDS)
    assert mapped["connectors"][1]["type"] == "ccs"


def test_a_charger_without_evses_has_no_connectors() -> None:
    mapped = thor.chargebox(snapshot(evses=[]))
    assert (mapped["connectors"], mapped["occupied_connectors"], mapped["reserved_connectors"]) == (
        [],
        [],
        [],
    )


# --- Nayax -------------------------------------------------------------------------------


def test_a_nayax_terminal_and_token_are_on_every_connector_for_a_sensitive_key() -> None:
    mapped = thor.chargebox(snapshot())
    assert [(c["terminal_id"], c["token"]) for c in mapped["connectors"]] == [
        ("NAYAX-1", "nayax-token"),
        ("NAYAX-1", "nayax-token"),
    ]


def test_without_the_sensitive_scope_the_token_is_null_and_the_terminal_shown() -> None:
    mapped = thor.chargebox(snapshot(sensitive=None))
    assert [(c["terminal_id"], c["token"]) for c in mapped["connectors"]] == [
        ("NAYAX-1", None),
        ("NAYAX-1", None),
    ]


@pytest.mark.parametrize(
    "contactless",
    [
        Contactless(type="Payter", terminal_id="PAYTER-1"),
        Contactless(type=None, terminal_id="LEFTOVER"),
    ],
    ids=["payter", "none"],
)
def test_only_a_nayax_device_is_shown(contactless: Contactless) -> None:
    mapped = thor.chargebox(snapshot(contactless=contactless))
    assert {(c["terminal_id"], c["token"]) for c in mapped["connectors"]} == {(None, None)}


def test_a_nayax_charger_without_a_token_has_a_null_token() -> None:
    mapped = thor.chargebox(snapshot(sensitive=Sensitive(pincode=None, contactless_token=None)))
    assert mapped["connectors"][0]["token"] is None


# --- coordinates, heartbeat, time zone ---------------------------------------------------


def test_coordinates_are_the_chargers() -> None:
    mapped = thor.chargebox(snapshot(site=site()))
    assert mapped["coordinates"] == {"latitude": 52.37, "longitude": 4.89}


def test_coordinates_fall_back_to_the_site_then_to_nulls() -> None:
    on_site = snapshot(latitude=None, longitude=None, site=site(), timezone="Europe/Rome")
    assert thor.chargebox(on_site)["coordinates"] == {"latitude": 45.46, "longitude": 9.19}
    unplaced_site = snapshot(latitude=None, longitude=None, site=site(None, None))
    assert thor.chargebox(unplaced_site)["coordinates"] == {"latitude": None, "longitude": None}
    nowhere = snapshot(latitude=None, longitude=None, site=None)
    assert thor.chargebox(nowhere)["coordinates"] == {"latitude": None, "longitude": None}


def test_last_heartbeat_is_integer_milliseconds_since_the_epoch() -> None:
    value = thor.chargebox(snapshot())["last_heartbeat"]
    assert value == T0_MS
    assert type(value) is int


def test_last_heartbeat_is_the_same_instant_in_any_offset() -> None:
    cest = T0.astimezone(timezone(timedelta(hours=2)))
    mapped = thor.chargebox(snapshot(connection=connection(last_heartbeat_at=cest)))
    assert mapped["last_heartbeat"] == T0_MS


def test_a_charger_never_heard_from_has_a_null_last_heartbeat() -> None:
    assert thor.chargebox(snapshot(connection=connection()))["last_heartbeat"] is None


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/Los_Angeles", None])
def test_timezone_is_the_snapshots(zone: str | None) -> None:
    assert thor.chargebox(snapshot(timezone=zone))["timezone"] == zone


# --- type --------------------------------------------------------------------------------


@pytest.mark.parametrize("vehicle", ["car", "bicycle"])
def test_type_vehicle_is_the_vehicle_type(vehicle: str) -> None:
    assert thor.chargebox(snapshot(vehicle_type=vehicle))["type"]["vehicle"] == vehicle


@pytest.mark.parametrize(
    ("protocol", "version"),
    [("ocpp1.6", "1.6"), ("ocpp1.5", "1.5"), ("ocpp2.0.1", "2.0.1"), (None, None)],
)
def test_type_version_comes_from_the_negotiated_subprotocol(
    protocol: str | None, version: str | None
) -> None:
    mapped = thor.chargebox(snapshot(connection=connection(protocol=protocol)))
    assert mapped["type"]["version"] == version
    assert mapped["type"]["msg"] == "json"


def test_a_disconnected_charger_keeps_its_last_protocol_version() -> None:
    gone = snapshot(
        connectivity="Offline", connection=connection(status="Disconnected", protocol="ocpp1.6")
    )
    mapped = thor.chargebox(gone)
    assert (mapped["connected"], mapped["type"]["version"]) == (False, "1.6")


# --- occupied and reserved ---------------------------------------------------------------


def test_occupied_connectors_are_the_evses_with_a_running_transaction() -> None:
    mapped = thor.chargebox(
        snapshot(
            evses=[
                evse(1, current_session=session(1)),
                # Charging without a known transaction: not a running transaction.
                evse(2, ocpp_status=status("Charging")),
                evse(3, current_session=session(3), ocpp_status=status("SuspendedEV")),
                evse(4),
            ]
        )
    )
    assert mapped["occupied_connectors"] == [1, 3]


def test_reserved_connectors_are_the_evses_whose_status_is_reserved() -> None:
    mapped = thor.chargebox(
        snapshot(
            evses=[
                evse(4, ocpp_status=status("Reserved")),
                evse(1, ocpp_status=status("Available")),
                evse(2, ocpp_status=None),
                evse(3, ocpp_status=status("Reserved")),
            ]
        )
    )
    assert mapped["reserved_connectors"] == [3, 4]
    assert mapped["occupied_connectors"] == []


# --- errors ------------------------------------------------------------------------------


def body_of(response: Any) -> Any:
    return json.loads(bytes(response.body))


async def test_answer_renders_a_body_as_200() -> None:
    async def produce() -> dict[str, Any]:
        return {"id": "CP-1"}

    response = await thor.answer(produce)
    assert (response.status_code, body_of(response)) == (200, {"id": "CP-1"})
    assert response.media_type == "application/json"


@pytest.mark.parametrize(
    ("status_code", "message"),
    [
        (403, "APIKeyNotFound"),
        (403, "RestAPINotEnabled"),
        (403, "InvalidSourceIPAddr"),
        (404, "ChargeboxNotFound"),
    ],
)
async def test_answer_renders_thor_errors_as_thor_does(status_code: int, message: str) -> None:
    async def produce() -> dict[str, Any]:
        raise thor.ThorError(status_code, message)

    response = await thor.answer(produce)
    assert (response.status_code, body_of(response)) == (status_code, {"message": message})
    assert response.media_type == "application/json"


@pytest.mark.parametrize(
    "error",
    [RuntimeError("boom"), KeyError("x"), Conflict("a domain error"), Forbidden("other")],
    ids=["runtime", "key", "domain", "forbidden"],
)
async def test_anything_unexpected_is_an_internal_server_error_and_is_logged(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    async def produce() -> dict[str, Any]:
        raise error

    with caplog.at_level(logging.ERROR, logger="chargeplane.compat.thor"):
        response = await thor.answer(produce)
    assert (response.status_code, body_of(response)) == (500, {"message": "InternalServerError"})
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] == [error]


PRINCIPAL = Principal(1, 1, frozenset({"basic"}), thor_rest_api=True)


def fake_authenticate(outcome: Principal | Exception) -> Any:
    seen: list[str] = []

    async def authenticate(
        _request: Any, _runtime: Any, plaintext: str, _session: Any = None
    ) -> Principal:
        seen.append(plaintext)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    authenticate.seen = seen  # type: ignore[attr-defined]
    return authenticate


@pytest.mark.parametrize("key", [None, ""])
async def test_a_missing_key_is_api_key_not_found(
    monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    fake = fake_authenticate(PRINCIPAL)
    monkeypatch.setattr(thor, "authenticate", fake)
    with pytest.raises(thor.ThorError) as caught:
        await thor.thor_principal(None, None, key, None)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.message) == (403, "APIKeyNotFound")
    assert fake.seen == []


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (Unauthenticated(), "APIKeyNotFound"),
        (Unauthenticated("API key revoked"), "APIKeyNotFound"),
        (Unauthenticated("API key expired"), "APIKeyNotFound"),
        (Forbidden("elsewhere", code="ip_not_allowed"), "InvalidSourceIPAddr"),
    ],
)
async def test_authentication_failures_become_thor_errors(
    monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    monkeypatch.setattr(thor, "authenticate", fake_authenticate(error))
    with pytest.raises(thor.ThorError) as caught:
        await thor.thor_principal(None, None, "cp_x_y", None)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.message) == (403, message)


async def test_another_forbidden_is_not_mistaken_for_a_thor_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(thor, "authenticate", fake_authenticate(Forbidden("no", code="other")))
    with pytest.raises(Forbidden):
        await thor.thor_principal(None, None, "cp_x_y", None)  # type: ignore[arg-type]


async def test_a_key_without_the_thor_switch_is_rest_api_not_enabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    off = Principal(1, 1, frozenset({"basic"}), thor_rest_api=False)
    monkeypatch.setattr(thor, "authenticate", fake_authenticate(off))
    with pytest.raises(thor.ThorError) as caught:
        await thor.thor_principal(None, None, "cp_x_y", None)  # type: ignore[arg-type]
    assert (caught.value.status, caught.value.message) == (403, "RestAPINotEnabled")


async def test_a_key_with_the_thor_switch_is_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_authenticate(PRINCIPAL)
    monkeypatch.setattr(thor, "authenticate", fake)
    assert await thor.thor_principal(None, None, "cp_x_y", None) is PRINCIPAL  # type: ignore[arg-type]
    assert fake.seen == ["cp_x_y"]
