"""The GreenFlux dialect's pure functions, on hand-built snapshots: status mapping, connector
names, protocol version, configuration fields, and the translation into native write models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.requests import Request

from chargeplane.chargers.schemas import (
    BootInfo,
    ChargerRead,
    ChargerReplace,
    ConnectionInfo,
    ConnectorRead,
    Contactless,
    EvseRead,
    Licenses,
    OcppStatus,
    Sensitive,
)
from chargeplane.compat._greenflux_input import (
    CARRIED,
    RENAMES,
    GreenFluxChargeStationCreate,
    GreenFluxChargeStationReplace,
    GreenFluxChargeStationUpdate,
    GreenFluxTemplatePut,
    build,
    native,
    to_update,
)
from chargeplane.compat._greenflux_model import (
    INTERNAL_NAMES,
    READ_ONLY,
    WRITABLE,
    GreenFluxChargeStation,
    charge_station,
    evse_status,
    internal_name,
    protocol_version,
    station_status,
    template,
)
from chargeplane.compat.greenflux import ocpp_endpoint
from chargeplane.layout import EvseSpec
from chargeplane.templates.schemas import HardwareTemplateRead

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
ENDPOINT = "ws://csms.example.com/ocpp"


def ocpp(status: str | None) -> OcppStatus | None:
    if status is None:
        return None
    return OcppStatus(
        status=status,
        error_code="NoError",
        vendor_id=None,
        vendor_error_code=None,
        info=None,
        timestamp=T0,
        received_at=T0,
    )


def connector(standard: str = "IEC_62196_T2", format: str = "SOCKET", **kw: Any) -> ConnectorRead:
    values: dict[str, Any] = {
        "id": 7,
        "number": 1,
        "standard": standard,
        "format": format,
        "power_type": "AC_3_PHASE",
        "max_voltage": 400,
        "max_amperage": 32,
        "max_power_kw": 22.0,
        "phase_rotation": None,
    }
    return ConnectorRead(**(values | kw))


def evse(number: int = 1, status: str | None = "Available", **kw: Any) -> EvseRead:
    values: dict[str, Any] = {
        "id": 100 + number,
        "number": number,
        "name": f"Port {number}",
        "max_power_kw": 22.0,
        "ocpp_status": ocpp(status),
        "connectors": [connector()],
        "current_session": None,
        "created_at": T0,
        "updated_at": T0,
    }
    return EvseRead(**(values | kw))


def snapshot(**kw: Any) -> ChargerRead:
    """An online, in-production Alfen charger with one EVSE."""
    values: dict[str, Any] = {
        "id": 1,
        "uuid": "u-1",
        "ocpp_id": "CP-1",
        "external_id": "EXT-1",
        "name": "Front door",
        "reference": "ref",
        "organization_id": 1,
        "site_id": 5,
        "hardware_template_id": 9,
        "latitude": 52.0,
        "longitude": 4.0,
        "active": True,
        "public": True,
        "reservable": False,
        "blocked": False,
        "deploy_state": "Production",
        "charger_type": "Business",
        "vehicle_type": "car",
        "capabilities": ["RFID_READER"],
        "contactless": Contactless(type="Payter", terminal_id="T-9"),
        "max_current": 32.0,
        "default_tariff_code": "TARIFF-A",
        "setup_pending": False,
        "setup_completed": True,
        "licenses": Licenses(smart=True, pro=False),
        "remote_manageable": True,
        "sensitive": Sensitive(pincode="1234", contactless_token="tok"),
        "connectivity": "Online",
        "timezone": "Europe/Amsterdam",
        "hardware_template": None,
        "site": None,
        "boot": BootInfo(
            vendor="Alfen",
            model="Dual Power",
            serial_number="511845324534324383",
            charge_box_serial_number="51184532452343483",
            firmware_version="2.1.4.0",
            iccid="8945232341876536",
            imsi="23802623232653",
            meter_type="unknown",
            meter_serial_number="unknown",
            last_boot_at=T0,
        ),
        "connection": ConnectionInfo(
            status="Connected",
            status_at=T0,
            last_connected_at=T0,
            last_disconnected_at=None,
            last_heartbeat_at=T0,
            heartbeat_interval=120,
            client_ip="95.128.10.19",
            node_name="n1",
            protocol="ocpp1.6",
        ),
        "ocpp_status": ocpp("Available"),
        "firmware_status": None,
        "diagnostics_status": None,
        "evses": [evse()],
        "created_at": T0,
        "updated_at": T0,
        "etag": "ca3a9cab-f785-4624-b0fa-90085e509f70",
    }
    return ChargerRead(**(values | kw))


# --- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("Available", "AVAILABLE"),
        ("Preparing", "CHARGING"),
        ("Charging", "CHARGING"),
        ("SuspendedEVSE", "CHARGING"),
        ("SuspendedEV", "CHARGING"),
        ("Finishing", "CHARGING"),
        ("Reserved", "RESERVED"),
        ("Unavailable", "INOPERATIVE"),
        ("Faulted", "OUTOFORDER"),
        ("SomethingNew", "UNKNOWN"),
        (None, "UNKNOWN"),
    ],
)
def test_ocpp16_status_maps_to_ocpi_status(reported: str | None, expected: str) -> None:
    assert evse_status(snapshot(), ocpp(reported)) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"deploy_state": "Deprecated"}, "REMOVED"),
        ({"deploy_state": "Stock"}, "PLANNED"),
        ({"blocked": True}, "BLOCKED"),
        ({"connectivity": "Offline"}, "UNKNOWN"),
        # the order: deployment state, then blocked, then connectivity
        ({"deploy_state": "Deprecated", "blocked": True, "connectivity": "Offline"}, "REMOVED"),
        ({"deploy_state": "Stock", "blocked": True, "connectivity": "Offline"}, "PLANNED"),
        ({"blocked": True, "connectivity": "Offline"}, "BLOCKED"),
    ],
)
def test_charger_state_wins_over_any_report(state: dict[str, Any], expected: str) -> None:
    charger = snapshot(**state)
    for reported in ("Available", "Charging", "Faulted", None):
        assert evse_status(charger, ocpp(reported)) == expected
    assert station_status(charger) == expected


@pytest.mark.parametrize(
    ("whole", "expected"), [("Faulted", "OUTOFORDER"), ("Unavailable", "INOPERATIVE")]
)
def test_a_whole_charger_fault_or_unavailability_covers_its_evses(
    whole: str, expected: str
) -> None:
    charger = snapshot(ocpp_status=ocpp(whole))
    assert evse_status(charger, ocpp("Available")) == expected
    assert station_status(charger) == expected


def test_the_station_status_is_its_connector_zero_report() -> None:
    assert station_status(snapshot(ocpp_status=ocpp("Available"))) == "AVAILABLE"
    assert station_status(snapshot(ocpp_status=None)) == "UNKNOWN"
    # An EVSE's own report stands when connectorId 0 never reported.
    assert evse_status(snapshot(ocpp_status=None), ocpp("Charging")) == "CHARGING"


# --- connectors and protocol --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("standard", "format", "internal"),
    [
        ("IEC_62196_T1_COMBO", "CABLE", "CCS1_Cable"),
        ("IEC_62196_T2_COMBO", "CABLE", "CCS2_Cable"),
        ("IEC_62196_T1_COMBO", "SOCKET", "CCS1_Socket"),
        ("IEC_62196_T2_COMBO", "SOCKET", "CCS2_Socket"),
        ("IEC_62196_T2", "SOCKET", "Mennekes_Socket"),
        ("IEC_62196_T2", "CABLE", "Mennekes_Cable"),
        ("IEC_62196_T1", "CABLE", "Type1_Cable"),
        ("CHADEMO", "CABLE", "ChaDeMo_Cable"),
        ("DOMESTIC_E", "SOCKET", "DOMESTIC_E_Socket"),
        ("DOMESTIC_F", "SOCKET", "DOMESTIC_F_Socket"),
        ("DOMESTIC_G", "SOCKET", "DOMESTIC_G_Socket"),
        ("DOMESTIC_H", "SOCKET", "DOMESTIC_H_Socket"),
        ("DOMESTIC_I", "SOCKET", "DOMESTIC_I_Socket"),
        ("DOMESTIC_J", "SOCKET", "DOMESTIC_J_Socket"),
        ("DOMESTIC_K", "SOCKET", "DOMESTIC_K_Socket"),
        ("DOMESTIC_L", "SOCKET", "DOMESTIC_L_Socket"),
    ],
)
def test_internal_connector_names_follow_the_documents_table(
    standard: str, format: str, internal: str
) -> None:
    assert internal_name(standard, format) == internal


def test_the_table_has_exactly_the_documents_sixteen_rows_and_nothing_else_is_named() -> None:
    assert len(INTERNAL_NAMES) == 16
    assert internal_name("IEC_62196_T1", "SOCKET") is None
    assert internal_name("CHAOJI", "CABLE") is None
    assert internal_name(None, "CABLE") is None


@pytest.mark.parametrize(
    ("protocol", "version"),
    [
        ("ocpp1.6", "Ocpp16"),
        ("ocpp1.5", "Ocpp15"),
        ("ocpp2.0.1", "Ocpp201"),
        ("ocpp2.1", "Ocpp21"),
        (None, None),
        ("mqtt", None),
    ],
)
def test_protocol_version(protocol: str | None, version: str | None) -> None:
    assert protocol_version(protocol) == version


# --- the charge station object ----------------------------------------------------------------


def test_the_configuration_fields_are_the_documents() -> None:
    station = charge_station(snapshot(), endpoint=ENDPOINT).model_dump()
    config = {
        "heartbeat_interval": 120,
        "charge_point_model": "Dual Power",
        "charge_point_vendor": "Alfen",
        "charge_point_serial_number": "511845324534324383",
        "charge_box_serial_number": "51184532452343483",
        "client_ip_address": "95.128.10.19",
        "firmware_version": "2.1.4.0",
        "iccid": "8945232341876536",
        "imsi": "23802623232653",
        "meter_serial_number": "unknown",
        "meter_type": "unknown",
        "remote_manageable": True,
        "connectivity_status": "Online",
        "protocol_version": "Ocpp16",
        "endpoint": ENDPOINT,
    }
    assert {k: station[k] for k in config} == config
    assert set(config) <= READ_ONLY


def test_a_charger_that_never_connected_has_empty_configuration() -> None:
    charger = snapshot(
        connectivity="Offline",
        boot=BootInfo(**dict.fromkeys(BootInfo.model_fields)),
        connection=ConnectionInfo(**dict.fromkeys(ConnectionInfo.model_fields)),
        ocpp_status=None,
        evses=[evse(status=None)],
    )
    station = charge_station(charger, endpoint=ENDPOINT)
    assert station.connectivity_status == "Offline"
    assert station.protocol_version is None
    assert station.heartbeat_interval is None
    assert station.charge_point_vendor is None
    assert station.status == "UNKNOWN"
    assert station.evses[0].status == "UNKNOWN"
    assert station.endpoint == ENDPOINT


def test_the_charge_station_object() -> None:
    station = charge_station(snapshot(), endpoint=ENDPOINT).model_dump()
    assert {k: station[k] for k in sorted(WRITABLE - {"evses"})} == {
        "blocked": False,
        "capabilities": ["RFID_READER"],
        "charge_station_id": "CP-1",
        "charge_station_template_id": "9",
        "charger_type": "Business",
        "contactless_type": "Payter",
        "default_tariff_code": "TARIFF-A",
        "deploy_state": "Production",
        "location_id": "5",
        "max_current": 32.0,
        "public": True,
        "reservable": False,
    }
    assert station["etag"] == "ca3a9cab-f785-4624-b0fa-90085e509f70"
    assert station["last_updated"] == "2025-03-01T12:00:00.123Z"
    assert station["status"] == "AVAILABLE"
    assert station["evses"] == [
        {
            "uid": "101",
            "number": 1,
            "name": "Port 1",
            "status": "AVAILABLE",
            "max_electric_power": 22000,
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "internal": "Mennekes_Socket",
                    "max_voltage": 400,
                    "max_amperage": 32,
                    "max_electric_power": 22000,
                    "status": "AVAILABLE",
                    "last_updated": "2025-03-01T12:00:00.123Z",
                }
            ],
            "last_updated": "2025-03-01T12:00:00.123Z",
        }
    ]
    # Nothing native-only or sensitive leaks into the dialect.
    assert set(station) == set(GreenFluxChargeStation.model_fields)
    assert "1234" not in str(station)
    assert "tok" not in str(station)


def test_writable_and_read_only_split_the_object() -> None:
    assert WRITABLE | READ_ONLY == set(GreenFluxChargeStation.model_fields)
    assert not WRITABLE & READ_ONLY
    assert {"status", "etag", "last_updated", "endpoint", "connectivity_status"} <= READ_ONLY


def test_a_template_in_greenflux_shape() -> None:
    read = HardwareTemplateRead(
        id=3,
        organization_id=1,
        vendor="Alfen",
        name="Dual Power",
        is_dc=False,
        evses=[
            EvseSpec.model_validate(
                {
                    "number": 1,
                    "connectors": [
                        {"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}
                    ],
                }
            )
        ],
        created_at=T0,
        updated_at=T0,
        etag="e",
    )
    assert template(read).model_dump() == {
        "id": "3",
        "vendor": "Alfen",
        "model": "Dual Power",
        "is_dc": False,
        "evses": [
            {
                "number": 1,
                "name": None,
                "max_electric_power": None,
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "internal": "Mennekes_Socket",
                        "max_voltage": None,
                        "max_amperage": None,
                        "max_electric_power": None,
                    }
                ],
            }
        ],
        "etag": "e",
        "last_updated": "2025-03-01T12:00:00.123Z",
    }


# --- input and translation ----------------------------------------------------------------------

REQUIRED = {
    "charge_station_id": "CP-9",
    "location_id": "5",
    "default_tariff_code": "T1",
    "deploy_state": "Stock",
}
CCS2 = {"standard": "IEC_62196_T2_COMBO", "format": "CABLE", "power_type": "DC"}


def refusal(model: type[Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return [dict(e) for e in caught.value.errors()]


def test_a_manual_layout_translates_to_native_evses() -> None:
    body = GreenFluxChargeStationCreate.model_validate(
        REQUIRED
        | {
            "evses": [
                {"connectors": [CCS2 | {"max_electric_power": 150000}]},
                {
                    "max_electric_power": 22000,
                    "connectors": [
                        {"internal": "Mennekes_Cable", "power_type": "AC_3_PHASE", "id": "1"}
                    ],
                },
            ]
        }
    )
    values = native(body)
    assert (values["ocpp_id"], values["site_id"], values["deploy_state"]) == ("CP-9", 5, "Stock")
    assert values["hardware_template_id"] is None
    first, second = (EvseSpec.model_validate(e) for e in values["evses"])
    assert (first.number, second.number) == (1, 2)  # numbered by place
    assert first.connectors[0].max_power_kw == 150.0
    assert second.max_power_kw == 22.0
    c = second.connectors[0]
    assert (c.standard, c.format, c.number) == ("IEC_62196_T2", "CABLE", 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deploy_state": "Live"}, ("deploy_state",)),
        ({"charger_type": "Private"}, ("charger_type",)),
        ({"capabilities": ["CHARGING_PROFILE_CAPABLE"]}, ("capabilities", 0)),
        ({"contactless_type": "Adyen"}, ("contactless_type",)),
        ({"location_id": "north"}, ("location_id",)),
        ({"location_id": 2**31}, ("location_id",)),
        ({"charge_station_template_id": 0}, ("charge_station_template_id",)),
    ],
)
def test_the_documents_vocabularies_are_enforced(
    change: dict[str, Any], field: tuple[Any, ...]
) -> None:
    errors = refusal(
        GreenFluxChargeStationCreate, REQUIRED | {"charge_station_template_id": 1} | change
    )
    assert [e["loc"] for e in errors] == [field]


@pytest.mark.parametrize(
    ("connector", "field"),
    [
        (CCS2 | {"power_type": "AC_2_PHASE"}, "power_type"),
        (CCS2 | {"standard": "CHAOJI"}, "standard"),
        (CCS2 | {"standard": "IEC_62196_T1", "format": "SOCKET"}, "format"),
        (
            {"internal": "CCS2_Cable", "standard": "IEC_62196_T1_COMBO", "power_type": "DC"},
            "standard",
        ),
        ({"internal": "CCS2_Cable", "format": "SOCKET", "power_type": "DC"}, "format"),
        ({"internal": "Type2", "power_type": "DC"}, "internal"),
    ],
)
def test_connectors_are_held_to_the_documents_table(connector: dict[str, Any], field: str) -> None:
    errors = refusal(
        GreenFluxChargeStationCreate, REQUIRED | {"evses": [{"connectors": [connector]}]}
    )
    assert [e["loc"][-1] for e in errors] == [field]


def test_creation_needs_the_required_fields_and_an_evse() -> None:
    missing = refusal(GreenFluxChargeStationCreate, {})
    assert {e["loc"][0] for e in missing} == {
        "charge_station_id",
        "location_id",
        "default_tariff_code",
        "deploy_state",
    }
    no_evse = refusal(GreenFluxChargeStationCreate, REQUIRED)
    assert "at least one EVSE" in no_evse[0]["msg"]
    twice = refusal(
        GreenFluxChargeStationCreate,
        REQUIRED
        | {
            "evses": [
                {"number": 1, "connectors": [CCS2]},
                {"connectors": [CCS2]},
                {"number": 2, "connectors": [CCS2]},
            ]
        },
    )
    assert "unique" in twice[0]["msg"]


def test_read_only_fields_are_refused_by_name() -> None:
    errors = refusal(
        GreenFluxChargeStationCreate,
        REQUIRED
        | {"charge_station_template_id": 1, "firmware_version": "x", "etag": "e", "colour": "red"},
    )
    assert errors[0]["type"] == "refused_fields"
    assert errors[0]["ctx"] == {"read_only": ["etag", "firmware_version"], "unknown": ["colour"]}
    nested = refusal(
        GreenFluxChargeStationCreate,
        REQUIRED | {"evses": [{"status": "AVAILABLE", "connectors": [CCS2]}]},
    )
    assert nested[0]["ctx"]["read_only"] == ["status"]
    # A PUT and a PATCH may carry the etag.
    GreenFluxChargeStationReplace.model_validate(REQUIRED | {"etag": "e"})
    GreenFluxChargeStationUpdate.model_validate({"etag": "e"})


def test_a_put_sets_every_greenflux_field_and_names_no_other() -> None:
    body = GreenFluxChargeStationReplace.model_validate(
        {"location_id": 6, "default_tariff_code": "T2", "deploy_state": "Production"}
    )
    given = to_update(body, given_only=False).given()
    # Cleared: the GreenFlux optional fields it left out; native-only fields are not named,
    # so the native update keeps them (name, pincode, payment token, licenses, layout).
    assert (given["site_id"], given["default_tariff_code"]) == (6, "T2")
    assert given["hardware_template_id"] is None
    assert (given["public"], given["capabilities"], given["contactless_type"]) == (False, [], None)
    assert (given["charger_type"], given["max_current"]) == ("Public", None)
    assert not {"name", "external_id", "pincode", "contactless_token", "licenses", "evses"} & set(
        given
    )
    assert "ocpp_id" not in given  # a PUT without charge_station_id keeps the path's identity


def test_a_patch_names_only_what_it_sends() -> None:
    body = GreenFluxChargeStationUpdate.model_validate({"blocked": True, "location_id": "7"})
    assert to_update(body, given_only=True).given() == {"blocked": True, "site_id": 7}
    nulls = refusal(GreenFluxChargeStationUpdate, {"location_id": None, "deploy_state": None})
    assert nulls[0]["type"] == "null_not_allowed"


def test_every_native_field_is_either_greenflux_or_carried() -> None:
    ours = {RENAMES.get(name, name) for name in WRITABLE}
    replaceable = set(ChargerReplace.model_fields) - {"etag"}
    assert ours | set(CARRIED) == replaceable
    assert not ours & set(CARRIED)


def test_a_native_refusal_names_greenflux_fields() -> None:
    with pytest.raises(RequestValidationError) as caught:
        build(
            ChargerReplace,
            {
                "ocpp_id": "",
                "site_id": "x",
                "evses": [{"number": 1, "max_power_kw": -1, "connectors": [CCS2]}],
            },
        )
    locs = {tuple(e["loc"]) for e in caught.value.errors()}
    assert locs == {
        ("body", "charge_station_id"),
        ("body", "location_id"),
        ("body", "evses", 0, "max_electric_power"),
    }


def test_template_bodies() -> None:
    body = GreenFluxTemplatePut.model_validate(
        {
            "vendor": "Alfen",
            "model": "Dual Power",
            "is_dc": False,
            "evses": [{"connectors": [CCS2]}],
        }
    )
    assert body.evses[0].spec(1)["connectors"][0]["standard"] == "IEC_62196_T2_COMBO"
    assert refusal(GreenFluxTemplatePut, {"vendor": "A", "model": "B", "is_dc": True, "evses": []})[
        0
    ]["loc"] == ("evses",)
    assert refusal(
        GreenFluxTemplatePut,
        {"vendor": "A", "model": "B", "is_dc": True, "evses": [{"connectors": [CCS2]}], "id": "3"},
    )[0]["ctx"]["read_only"] == ["id"]


@pytest.mark.parametrize(
    ("scheme", "host", "endpoint"),
    [
        ("http", "csms.example.com", "ws://csms.example.com/ocpp"),
        ("https", "csms.example.com", "wss://csms.example.com/ocpp"),
        ("http", "127.0.0.1:8180", "ws://127.0.0.1:8180/ocpp"),
    ],
)
def test_the_endpoint_is_the_ocpp_url_of_the_host_asked(
    scheme: str, host: str, endpoint: str
) -> None:
    request = Request(
        {
            "type": "http",
            "scheme": scheme,
            "method": "GET",
            "path": "/compat/greenflux/chargestations",
            "query_string": b"",
            "headers": [(b"host", host.encode())],
            "server": ("10.0.0.1", 443),
        }
    )
    assert ocpp_endpoint(request) == endpoint
