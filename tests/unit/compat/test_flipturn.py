"""The Flipturn dialect as a pure function of hand-built snapshots: the documented example
field by field, then every mapping rule and null; and its error bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chargeplane.chargers.schemas import (
    BootInfo,
    ChargerRead,
    ConnectionInfo,
    ConnectorRead,
    Contactless,
    CustomerRef,
    EvseRead,
    LatestReadings,
    Licenses,
    OcppStatus,
    Reading,
    Sensitive,
    SessionRead,
    SiteRef,
    TemplateRef,
    TokenRef,
    VehicleRef,
)
from chargeplane.compat import flipturn
from chargeplane.errors import Forbidden, NotFound, Unauthenticated

T_START = datetime(2025, 1, 1, 11, 30, tzinfo=UTC)
T_READ = datetime(2025, 1, 1, 11, 45, tzinfo=UTC)
T_NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

# --- snapshot builders (also used by test_plugchoice) -----------------------------------


def connector(number: int = 1, **overrides: Any) -> ConnectorRead:
    """A CCS1 DC 180 kW cable, as in Flipturn's example."""
    fields: dict[str, Any] = {
        "id": number,
        "number": number,
        "standard": "IEC_62196_T1_COMBO",
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": 920,
        "max_amperage": 200,
        "max_power_kw": 180.0,
        "phase_rotation": None,
    }
    return ConnectorRead(**(fields | overrides))


def status(value: str = "Available", **overrides: Any) -> OcppStatus:
    fields: dict[str, Any] = {
        "status": value,
        "error_code": "NoError",
        "vendor_id": None,
        "vendor_error_code": None,
        "info": None,
        "timestamp": T_NOW,
        "received_at": T_NOW,
    }
    return OcppStatus(**(fields | overrides))


def readings(**overrides: Reading | None) -> LatestReadings:
    fields: dict[str, Reading | None] = {
        "power_kw": None,
        "current_a": None,
        "voltage_v": None,
        "soc_percent": None,
        "energy_register_wh": None,
    }
    return LatestReadings(**(fields | overrides))


def session(**overrides: Any) -> SessionRead:
    """The session of Flipturn's example (port 2)."""
    fields: dict[str, Any] = {
        "id": 456,
        "transaction_id": 789,
        "state": "active",
        "evse_number": 2,
        "id_tag": "test-tag",
        "auth_status": "Accepted",
        "started_at": T_START,
        "meter_start_wh": 1000,
        "soc_start_percent": 20.0,
        "energy_delivered_kwh": 10.5,
        "latest_readings": readings(
            power_kw=Reading(value=50.0, timestamp=T_READ),
            current_a=Reading(value=100.0, timestamp=T_READ),
            voltage_v=Reading(value=400.0, timestamp=T_READ),
            soc_percent=Reading(value=35.0, timestamp=T_READ),
            energy_register_wh=Reading(value=11500.0, timestamp=T_READ),
        ),
        "rfid": TokenRef(id=1, name="Employee Card", value="test-tag"),
        "customer": CustomerRef(id=3, name="Test Customer"),
        "vehicle": VehicleRef(
            id=22541553, make="Tesla", model="Model 3", name="9876", vin="demo-vin-0"
        ),
        "flags": [],
    }
    return SessionRead(**(fields | overrides))


def evse(number: int, **overrides: Any) -> EvseRead:
    fields: dict[str, Any] = {
        "id": number,
        "number": number,
        "name": f"Port {number}",
        "max_power_kw": 180.0,
        "ocpp_status": status(),
        "connectors": [connector()],
        "current_session": None,
        "created_at": T_START,
        "updated_at": T_START,
    }
    return EvseRead(**(fields | overrides))


SITE = SiteRef(
    id=1,
    name="Site 1",
    address="1234 Fake St, Long Beach, CA 90802",
    latitude=33.7701,
    longitude=-118.1937,
    timezone="America/Los_Angeles",
)
BOOT = BootInfo(
    vendor="ABB",
    model="Terra 184",
    serial_number="1234-5678",
    charge_box_serial_number="CB-1",
    firmware_version="1.5.4.4",
    iccid=None,
    imsi=None,
    meter_type=None,
    meter_serial_number=None,
    last_boot_at=T_START,
)
NO_BOOT = BootInfo(**dict.fromkeys(BootInfo.model_fields))
CONNECTED = ConnectionInfo(
    status="Connected",
    status_at=T_NOW,
    last_connected_at=T_NOW,
    last_disconnected_at=None,
    last_heartbeat_at=T_NOW,
    heartbeat_interval=120,
    client_ip="127.0.0.1",
    node_name="node-1",
    protocol="ocpp1.6",
)
NEVER_CONNECTED = ConnectionInfo(**dict.fromkeys(ConnectionInfo.model_fields))


def snapshot(**overrides: Any) -> ChargerRead:
    """The charger of Flipturn's example: two CCS1 ports, port 2 charging."""
    fields: dict[str, Any] = {
        "id": 123,
        "uuid": "4f1c2d3e-0000-4000-8000-000000000123",
        "ocpp_id": "CHARGER-001",
        "external_id": "STATION-001",
        "name": "Test Charger",
        "reference": None,
        "organization_id": 1,
        "site_id": SITE.id,
        "hardware_template_id": None,
        "latitude": 33.7701,
        "longitude": -118.1937,
        "active": True,
        "public": False,
        "reservable": False,
        "blocked": False,
        "deploy_state": "Production",
        "charger_type": "Public",
        "vehicle_type": "car",
        "capabilities": [],
        "contactless": Contactless(type=None, terminal_id=None),
        "max_current": None,
        "default_tariff_code": None,
        "setup_pending": False,
        "setup_completed": False,
        "licenses": Licenses(),
        "remote_manageable": True,
        "sensitive": None,
        "connectivity": "Online",
        "timezone": "America/Los_Angeles",
        "hardware_template": None,
        "site": SITE,
        "boot": BOOT,
        "connection": CONNECTED,
        "ocpp_status": status(),
        "firmware_status": None,
        "diagnostics_status": None,
        "evses": [
            evse(1),
            evse(
                2,
                ocpp_status=status("Charging", timestamp=T_READ, received_at=T_READ),
                current_session=session(),
            ),
        ],
        "created_at": T_START,
        "updated_at": T_START,
        "etag": "e1",
    }
    return ChargerRead(**(fields | overrides))


# --- the documented example ---------------------------------------------------------------

DOC_EXAMPLE: dict[str, Any] = {
    "id": 123,
    "name": "Test Charger",
    "manufacturer": "ABB",
    "model": "Terra 184",
    "serialNumber": "1234-5678",
    "firmwareVersion": "1.5.4.4",
    "latitude": 33.7701,
    "longitude": -118.1937,
    "externalId": "STATION-001",
    "ocppId": "CHARGER-001",
    "type": "DCFC",
    "powerSharing": True,
    "connectionStatus": {"status": "Connected", "timestamp": "2025-01-01T12:00:00.000Z"},
    "numberOfPorts": 2,
    "ports": [
        {
            "id": 1,
            "name": "Port 1",
            "portNumber": 1,
            "maximumPowerKw": 180,
            "connectorType": "CCS1",
            "ocppStatus": {
                "status": "Available",
                "timestamp": "2025-01-01T12:00:00.000Z",
                "errorCode": "NoError",
                "vendorErrorCode": None,
                "info": None,
            },
            "currentChargingSession": None,
        },
        {
            "id": 2,
            "name": "Port 2",
            "portNumber": 2,
            "maximumPowerKw": 180,
            "connectorType": "CCS1",
            "ocppStatus": {
                "status": "Charging",
                "timestamp": "2025-01-01T11:45:00.000Z",
                "errorCode": "NoError",
                "vendorErrorCode": None,
                "info": None,
            },
            "currentChargingSession": {
                "id": 456,
                "startTime": "2025-01-01T11:30:00.000Z",
                "socStartPercent": 20,
                "energyDeliveredKwh": 10.5,
                "ocppIdTag": "test-tag",
                "ocppTransactionId": 789,
                "latestReadings": {
                    "powerKw": {"value": 50, "timestamp": "2025-01-01T11:45:00.000Z"},
                    "currentA": {"value": 100, "timestamp": "2025-01-01T11:45:00.000Z"},
                    "socPercent": {"value": 35, "timestamp": "2025-01-01T11:45:00.000Z"},
                    "voltage": {"value": 400, "timestamp": "2025-01-01T11:45:00.000Z"},
                },
                "vehicle": {
                    "id": 22541553,
                    "make": "Tesla",
                    "model": "Model 3",
                    "name": "9876",
                    "vin": "demo-vin-0",
                },
                "rfid": {"id": 1, "name": "Employee Card"},
                "customer": {"name": "Test Customer"},
            },
        },
    ],
    "site": {
        "id": 1,
        "name": "Site 1",
        "address": "1234 Fake St, Long Beach, CA 90802",
        "timezone": "America/Los_Angeles",
    },
}


def test_the_documented_example_is_rendered_exactly() -> None:
    body = flipturn.charger(snapshot())
    assert body == DOC_EXAMPLE
    # Same keys in the documented order, and plain JSON.
    assert list(body) == list(DOC_EXAMPLE)
    assert list(body["ports"][1]["currentChargingSession"]) == list(
        DOC_EXAMPLE["ports"][1]["currentChargingSession"]
    )
    assert json.loads(json.dumps(body)) == DOC_EXAMPLE


def test_sensitive_fields_are_never_shown() -> None:
    secret = snapshot(sensitive=Sensitive(pincode="98765", contactless_token="tok-secret"))
    text = json.dumps(flipturn.charger(secret))
    assert "98765" not in text
    assert "tok-secret" not in text


# --- charger-level rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("power_type", "template_dc", "expected"),
    [
        ("DC", None, "DCFC"),
        ("AC_1_PHASE", None, "Level 2"),
        ("AC_3_PHASE", False, "Level 2"),
        ("AC_3_PHASE", True, "DCFC"),
        (None, None, "Level 2"),
    ],
)
def test_type_is_dcfc_for_dc_connectors_or_a_dc_template(
    power_type: str | None, template_dc: bool | None, expected: str
) -> None:
    template = (
        None if template_dc is None else TemplateRef(id=9, vendor="V", name="M", is_dc=template_dc)
    )
    charger = snapshot(
        evses=[evse(1, connectors=[connector(power_type=power_type)])],
        hardware_template=template,
    )
    assert flipturn.charger(charger)["type"] == expected


def test_type_is_dcfc_if_any_connector_of_any_port_is_dc() -> None:
    ac = connector(1, standard="IEC_62196_T1", power_type="AC_1_PHASE")
    charger = snapshot(evses=[evse(1, connectors=[ac]), evse(2, connectors=[ac, connector(2)])])
    assert flipturn.charger(charger)["type"] == "DCFC"


@pytest.mark.parametrize(("ports", "sharing"), [(0, False), (1, False), (2, True), (3, True)])
def test_power_sharing_means_more_than_one_port(ports: int, sharing: bool) -> None:
    body = flipturn.charger(snapshot(evses=[evse(n) for n in range(1, ports + 1)]))
    assert (body["numberOfPorts"], body["powerSharing"], len(body["ports"])) == (
        ports,
        sharing,
        ports,
    )


def test_ports_are_listed_by_number() -> None:
    body = flipturn.charger(snapshot(evses=[evse(3), evse(1), evse(2)]))
    assert [p["portNumber"] for p in body["ports"]] == [1, 2, 3]


def test_connection_status_is_null_until_the_charger_first_connects() -> None:
    assert flipturn.charger(snapshot(connection=NEVER_CONNECTED))["connectionStatus"] is None


def test_connection_status_shows_a_disconnection_with_its_time() -> None:
    gone = datetime(2025, 1, 2, 8, 15, 30, 250000, tzinfo=UTC)
    connection = CONNECTED.model_copy(
        update={"status": "Disconnected", "status_at": gone, "last_disconnected_at": gone}
    )
    assert flipturn.charger(snapshot(connection=connection))["connectionStatus"] == {
        "status": "Disconnected",
        "timestamp": "2025-01-02T08:15:30.250Z",
    }


def test_connection_status_time_falls_back_to_the_last_transition() -> None:
    connection = CONNECTED.model_copy(update={"status_at": None})
    status_ = flipturn.charger(snapshot(connection=connection))["connectionStatus"]
    assert status_ == {"status": "Connected", "timestamp": "2025-01-01T12:00:00.000Z"}


def test_identity_falls_back_to_the_template_and_the_charge_box_serial() -> None:
    body = flipturn.charger(
        snapshot(
            name=None,
            boot=NO_BOOT.model_copy(update={"charge_box_serial_number": "CB-9"}),
            hardware_template=TemplateRef(id=4, vendor="Alfen", name="Eve Double", is_dc=False),
        )
    )
    assert (body["name"], body["manufacturer"], body["model"], body["serialNumber"]) == (
        "CHARGER-001",
        "Alfen",
        "Eve Double",
        "CB-9",
    )
    assert body["firmwareVersion"] is None


def test_a_charger_that_never_booted_has_null_identity_facts() -> None:
    body = flipturn.charger(snapshot(boot=NO_BOOT, external_id=None))
    assert [body[k] for k in ("manufacturer", "model", "serialNumber", "firmwareVersion")] == [
        None
    ] * 4
    assert body["externalId"] is None


def test_coordinates_are_the_chargers_else_the_sites() -> None:
    here = flipturn.charger(snapshot(latitude=52.1, longitude=4.3))
    assert (here["latitude"], here["longitude"]) == (52.1, 4.3)
    from_site = flipturn.charger(snapshot(latitude=None, longitude=None))
    assert (from_site["latitude"], from_site["longitude"]) == (33.7701, -118.1937)
    site_without = SITE.model_copy(update={"latitude": None, "longitude": None})
    nowhere = flipturn.charger(snapshot(latitude=None, longitude=None, site=site_without))
    assert (nowhere["latitude"], nowhere["longitude"]) == (None, None)
    no_site = flipturn.charger(snapshot(latitude=None, longitude=None, site=None, site_id=None))
    assert (no_site["latitude"], no_site["longitude"]) == (None, None)


def test_site_is_null_for_a_charger_without_one() -> None:
    assert flipturn.charger(snapshot(site=None, site_id=None))["site"] is None


def test_site_keeps_its_own_timezone_and_a_null_address() -> None:
    site = SITE.model_copy(update={"address": None, "timezone": "Europe/Amsterdam"})
    assert flipturn.charger(snapshot(site=site))["site"] == {
        "id": 1,
        "name": "Site 1",
        "address": None,
        "timezone": "Europe/Amsterdam",
    }


# --- ports ----------------------------------------------------------------------------------


def test_port_name_falls_back_to_port_and_its_number() -> None:
    body = flipturn.charger(snapshot(evses=[evse(1, name="Left"), evse(2, name=None)]))
    assert [p["name"] for p in body["ports"]] == ["Left", "Port 2"]


def test_port_id_is_the_evse_id_and_port_number_its_number() -> None:
    (port,) = flipturn.charger(snapshot(evses=[evse(2, id=9001)]))["ports"]
    assert (port["id"], port["portNumber"]) == (9001, 2)


def test_maximum_power_is_the_evses_else_its_largest_connectors_else_null() -> None:
    both = evse(1, max_power_kw=150.0, connectors=[connector(max_power_kw=180.0)])
    from_connectors = evse(
        2,
        max_power_kw=None,
        connectors=[connector(1, max_power_kw=50.0), connector(2, max_power_kw=62.5)],
    )
    unknown = evse(3, max_power_kw=None, connectors=[connector(max_power_kw=None)])
    empty = evse(4, max_power_kw=None, connectors=[])
    body = flipturn.charger(snapshot(evses=[both, from_connectors, unknown, empty]))
    assert [p["maximumPowerKw"] for p in body["ports"]] == [150.0, 62.5, None, None]


@pytest.mark.parametrize(
    ("standard", "expected"),
    [
        ("IEC_62196_T1_COMBO", "CCS1"),
        ("IEC_62196_T1", "J1772"),
        ("SAE_J3400", "NACS"),
        ("TESLA_S", "NACS"),
        ("TESLA_R", "NACS"),
        # Standards Flipturn's document does not know keep their OCPI names.
        ("CHADEMO", "CHADEMO"),
        ("IEC_62196_T2", "IEC_62196_T2"),
        ("IEC_62196_T2_COMBO", "IEC_62196_T2_COMBO"),
        ("NEMA_14_50", "NEMA_14_50"),
        (None, "Unknown"),
    ],
)
def test_connector_type(standard: str | None, expected: str) -> None:
    (port,) = flipturn.charger(
        snapshot(evses=[evse(1, connectors=[connector(standard=standard)])])
    )["ports"]
    assert port["connectorType"] == expected


def test_connector_type_prefers_a_type_flipturn_knows_on_a_multi_connector_port() -> None:
    port = evse(
        1,
        connectors=[
            connector(1, standard="CHADEMO"),
            connector(2, standard="IEC_62196_T1_COMBO"),
        ],
    )
    assert flipturn.connector_type(port) == "CCS1"
    other = evse(1, connectors=[connector(2, standard="GBT_DC"), connector(1, standard="CHADEMO")])
    assert flipturn.connector_type(other) == "CHADEMO"  # the first by number
    assert flipturn.connector_type(evse(1, connectors=[])) == "Unknown"


def test_ocpp_status_is_null_until_the_port_reports_one() -> None:
    (port,) = flipturn.charger(snapshot(evses=[evse(1, ocpp_status=None)]))["ports"]
    assert port["ocppStatus"] is None


def test_ocpp_status_shows_errors_as_reported() -> None:
    faulted = status(
        "Faulted",
        error_code="ConnectorLockFailure",
        vendor_id="ABB",
        vendor_error_code="E42",
        info="lock stuck",
        timestamp=datetime(2025, 1, 1, 9, 0, 0, 999999, tzinfo=UTC),
    )
    (port,) = flipturn.charger(snapshot(evses=[evse(1, ocpp_status=faulted)]))["ports"]
    assert port["ocppStatus"] == {
        "status": "Faulted",
        "timestamp": "2025-01-01T09:00:00.999Z",
        "errorCode": "ConnectorLockFailure",
        "vendorErrorCode": "E42",
        "info": "lock stuck",
    }


def test_ocpp_status_time_falls_back_to_receive_time_and_error_code_to_no_error() -> None:
    bare = status("Available", error_code=None, timestamp=None, received_at=T_READ)
    (port,) = flipturn.charger(snapshot(evses=[evse(1, ocpp_status=bare)]))["ports"]
    assert port["ocppStatus"]["timestamp"] == "2025-01-01T11:45:00.000Z"
    assert port["ocppStatus"]["errorCode"] == "NoError"


# --- sessions -------------------------------------------------------------------------------


def test_a_session_with_nothing_known_yet() -> None:
    fresh = session(
        soc_start_percent=None,
        energy_delivered_kwh=0.0,
        latest_readings=readings(),
        rfid=None,
        customer=None,
        vehicle=None,
    )
    (port,) = flipturn.charger(snapshot(evses=[evse(1, current_session=fresh)]))["ports"]
    assert port["currentChargingSession"] == {
        "id": 456,
        "startTime": "2025-01-01T11:30:00.000Z",
        "socStartPercent": None,
        "energyDeliveredKwh": 0.0,
        "ocppIdTag": "test-tag",
        "ocppTransactionId": 789,
        "latestReadings": {"powerKw": None, "currentA": None, "socPercent": None, "voltage": None},
        "vehicle": None,
        "rfid": None,
        "customer": None,
    }


def test_readings_keep_their_own_units_and_times() -> None:
    t = datetime(2025, 3, 1, 10, 0, 0, 5000, tzinfo=UTC)
    partial = session(
        latest_readings=readings(
            power_kw=Reading(value=7.2, timestamp=t),
            voltage_v=Reading(value=230.5, timestamp=T_READ),
            energy_register_wh=Reading(value=99.0, timestamp=t),
        )
    )
    (port,) = flipturn.charger(snapshot(evses=[evse(1, current_session=partial)]))["ports"]
    assert port["currentChargingSession"]["latestReadings"] == {
        "powerKw": {"value": 7.2, "timestamp": "2025-03-01T10:00:00.005Z"},
        "currentA": None,
        "socPercent": None,
        "voltage": {"value": 230.5, "timestamp": "2025-01-01T11:45:00.000Z"},
    }


def test_a_vehicle_with_unknown_details() -> None:
    anonymous = session(vehicle=VehicleRef(id=5, make=None, model=None, name=None, vin=None))
    (port,) = flipturn.charger(snapshot(evses=[evse(1, current_session=anonymous)]))["ports"]
    assert port["currentChargingSession"]["vehicle"] == {
        "id": 5,
        "make": None,
        "model": None,
        "name": None,
        "vin": None,
    }


# --- errors ---------------------------------------------------------------------------------


def test_errors_are_flipturn_bodies_with_a_stable_code() -> None:
    unauthenticated = flipturn.error(Unauthenticated())
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    assert unauthenticated.headers["content-type"] == "application/json"
    assert json.loads(bytes(unauthenticated.body)) == {
        "error": "Invalid API key",
        "code": "unauthenticated",
    }
    missing = flipturn.error(NotFound("charger not found"))
    assert missing.status_code == 404
    assert json.loads(bytes(missing.body)) == {"error": "Charger not found", "code": "not_found"}
    forbidden = flipturn.error(Forbidden("not from here", code="ip_not_allowed"))
    assert forbidden.status_code == 403
    assert json.loads(bytes(forbidden.body)) == {"error": "not from here", "code": "ip_not_allowed"}
    assert "www-authenticate" not in forbidden.headers
