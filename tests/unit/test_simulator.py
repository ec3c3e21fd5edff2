"""Unit tests for the charger simulator against a tiny in-test fake CSMS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from chargeplane.simulator import CallError, Sample, Station, StationConfig

CURRENT_TIME = "2025-01-01T12:00:00Z"

CANNED: dict[str, dict[str, Any]] = {
    "BootNotification": {"status": "Accepted", "currentTime": CURRENT_TIME, "interval": 60},
    "Heartbeat": {"currentTime": CURRENT_TIME},
    "StatusNotification": {},
    "Authorize": {"idTagInfo": {"status": "Accepted", "expiryDate": CURRENT_TIME}},
    "StartTransaction": {"transactionId": 42, "idTagInfo": {"status": "Accepted"}},
    "MeterValues": {},
    "StopTransaction": {"idTagInfo": {"status": "Accepted"}},
    "DataTransfer": {"status": "Accepted", "data": "pong"},
    "DiagnosticsStatusNotification": {},
    "FirmwareStatusNotification": {},
}

Responder = Callable[[list[Any]], str | None]


class FakeCSMS:
    """Records every frame; answers CALLs via ``responder`` (canned CALLRESULTs by default)."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.paths: list[str] = []
        self.responder: Responder = self.canned
        self.on_connect: Callable[[ServerConnection], Awaitable[None]] | None = None
        self.reject = False

    @staticmethod
    def canned(msg: list[Any]) -> str | None:
        if msg[0] != 2:
            return None
        return json.dumps([3, msg[1], CANNED[msg[2]]])

    def calls(self) -> list[list[Any]]:
        decoded = [json.loads(f) for f in self.frames if f.startswith("[2,")]
        return [m for m in decoded if m[0] == 2]

    def last_payload(self, action: str) -> dict[str, Any]:
        payload: dict[str, Any] = [m for m in self.calls() if m[2] == action][-1][3]
        return payload

    def process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        if self.reject:
            return conn.respond(HTTPStatus.NOT_FOUND, "unknown charger\n")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.paths.append(ws.request.path)
        if self.on_connect is not None:
            await self.on_connect(ws)
        async for frame in ws:
            assert isinstance(frame, str)
            self.frames.append(frame)
            try:
                msg = json.loads(frame)
            except ValueError:
                await ws.send('[4, "-1", "FormationViolation", "not JSON", {}]')
                continue
            reply = self.responder(msg)
            if reply == "CLOSE":
                await ws.close()
            elif reply is not None:
                await ws.send(reply)


@pytest.fixture
async def csms() -> AsyncIterator[tuple[FakeCSMS, str]]:
    fake = FakeCSMS()
    async with serve(
        fake.handler,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp1.6")],
        process_request=fake.process_request,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield fake, f"ws://127.0.0.1:{port}/ocpp"


def make_station(url: str, **kwargs: Any) -> Station:
    return Station(StationConfig(ocpp_id="CP-1"), url, **kwargs)


async def test_connect_uses_ocpp_id_path_and_subprotocol(csms: tuple[FakeCSMS, str]) -> None:
    fake, url = csms
    async with make_station(url) as station:
        assert station.negotiated_subprotocol == "ocpp1.6"
        assert station.websocket.subprotocol == "ocpp1.6"
    assert fake.paths == ["/ocpp/CP-1"]


async def test_boot_sends_camel_case_payload_and_returns_wire_dict(
    csms: tuple[FakeCSMS, str],
) -> None:
    fake, url = csms
    config = StationConfig(
        ocpp_id="CP-1",
        vendor="Acme",
        model="X1",
        serial_number="SN-1",
        charge_box_serial_number="CB-1",
        firmware_version="1.2.3",
        meter_type="M-Type",
    )
    async with Station(config, url) as station:
        result = await station.boot()
    assert result == CANNED["BootNotification"]
    assert fake.last_payload("BootNotification") == {
        "chargePointVendor": "Acme",
        "chargePointModel": "X1",
        "chargePointSerialNumber": "SN-1",
        "chargeBoxSerialNumber": "CB-1",
        "firmwareVersion": "1.2.3",
        "meterType": "M-Type",
    }


async def test_simple_messages_return_wire_dicts(csms: tuple[FakeCSMS, str]) -> None:
    fake, url = csms
    async with make_station(url) as station:
        assert await station.heartbeat() == CANNED["Heartbeat"]
        assert await station.authorize("TAG-1") == CANNED["Authorize"]
        assert await station.data_transfer("acme", message_id="ping", data="x") == {
            "status": "Accepted",
            "data": "pong",
        }
        assert await station.diagnostics_status("Uploaded") == {}
        assert await station.firmware_status("Installed") == {}
        assert await station.status(1, "Available") == {}
    assert fake.last_payload("Authorize") == {"idTag": "TAG-1"}
    assert fake.last_payload("DataTransfer") == {
        "vendorId": "acme",
        "messageId": "ping",
        "data": "x",
    }
    assert fake.last_payload("DiagnosticsStatusNotification") == {"status": "Uploaded"}
    assert fake.last_payload("StatusNotification") == {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Available",
    }


@pytest.mark.parametrize("code", ["SecurityError", "FormationViolation", "NotAnOcppCode"])
async def test_call_error_raises_call_error(csms: tuple[FakeCSMS, str], code: str) -> None:
    fake, url = csms
    fake.responder = lambda msg: json.dumps([4, msg[1], code, "nope", {"why": "test"}])
    async with make_station(url) as station:
        with pytest.raises(CallError) as info:
            await station.heartbeat()
    assert info.value.code == code
    assert info.value.description == "nope"
    assert info.value.details == {"why": "test"}
    assert info.value.action == "Heartbeat"


async def test_send_raw_returns_raw_reply_and_library_still_works(
    csms: tuple[FakeCSMS, str],
) -> None:
    fake, url = csms
    async with make_station(url) as station:
        reply = await station.send_raw('[2, "abc", "Heartbeat", {')
        assert reply == '[4, "-1", "FormationViolation", "not JSON", {}]'
        assert fake.frames[-1] == '[2, "abc", "Heartbeat", {'
        raw_ok = await station.send_raw('[2,"u-1","Heartbeat",{}]')
        assert json.loads(raw_ok) == [3, "u-1", CANNED["Heartbeat"]]
        assert await station.heartbeat() == CANNED["Heartbeat"]


async def test_send_raw_times_out_without_reply(csms: tuple[FakeCSMS, str]) -> None:
    fake, url = csms
    fake.responder = lambda msg: None
    async with make_station(url, response_timeout=0.2) as station:
        with pytest.raises(TimeoutError):
            await station.send_raw('[2,"u-1","Heartbeat",{}]')


async def test_datetimes_are_utc_with_z_and_samples_serialized(
    csms: tuple[FakeCSMS, str],
) -> None:
    fake, url = csms
    naive = datetime(2025, 1, 1, 11, 45, 0, 123456)
    plus_two = datetime(2025, 1, 1, 13, 46, 0, tzinfo=timezone(timedelta(hours=2)))
    async with make_station(url) as station:
        started = await station.start_transaction(1, "TAG-1", meter_start=100, timestamp=naive)
        assert started == CANNED["StartTransaction"]
        await station.status(1, "Charging", timestamp=plus_two, info="ok")
        samples = [
            Sample(1234.0, unit="Wh", context="Sample.Periodic"),
            Sample(7.5, measurand="Power.Active.Import", unit="kW", phase="L1"),
            Sample("55", measurand="SoC", unit="Percent", location="EV"),
        ]
        await station.meter_values(1, samples, timestamp=plus_two, transaction_id=42)
        await station.stop_transaction(
            42,
            meter_stop=2000,
            timestamp=datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
            id_tag="TAG-1",
            reason="Local",
            transaction_data=[(naive, [Sample(100, context="Transaction.Begin", unit="Wh")])],
        )
    assert fake.last_payload("StartTransaction") == {
        "connectorId": 1,
        "idTag": "TAG-1",
        "meterStart": 100,
        "timestamp": "2025-01-01T11:45:00.123Z",
    }
    assert fake.last_payload("StatusNotification")["timestamp"] == "2025-01-01T11:46:00.000Z"
    assert fake.last_payload("MeterValues") == {
        "connectorId": 1,
        "transactionId": 42,
        "meterValue": [
            {
                "timestamp": "2025-01-01T11:46:00.000Z",
                "sampledValue": [
                    {
                        "value": "1234",
                        "context": "Sample.Periodic",
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                    },
                    {
                        "value": "7.5",
                        "measurand": "Power.Active.Import",
                        "phase": "L1",
                        "unit": "kW",
                    },
                    {"value": "55", "measurand": "SoC", "location": "EV", "unit": "Percent"},
                ],
            }
        ],
    }
    assert fake.last_payload("StopTransaction") == {
        "transactionId": 42,
        "meterStop": 2000,
        "timestamp": "2025-01-01T12:00:00.000Z",
        "idTag": "TAG-1",
        "reason": "Local",
        "transactionData": [
            {
                "timestamp": "2025-01-01T11:45:00.123Z",
                "sampledValue": [
                    {
                        "value": "100",
                        "context": "Transaction.Begin",
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                    }
                ],
            }
        ],
    }


async def test_incoming_call_is_answered_not_implemented(csms: tuple[FakeCSMS, str]) -> None:
    fake, url = csms

    async def send_reset(ws: ServerConnection) -> None:
        await ws.send('[2,"srv-1","Reset",{"type":"Soft"}]')

    fake.on_connect = send_reset
    async with make_station(url) as station:
        for _ in range(100):
            if fake.frames:
                break
            await asyncio.sleep(0.01)
        assert await station.heartbeat() == CANNED["Heartbeat"]
    reply = json.loads(fake.frames[0])
    assert reply[:3] == [4, "srv-1", "NotImplemented"]


async def test_handshake_refusal_propagates(csms: tuple[FakeCSMS, str]) -> None:
    fake, url = csms
    fake.reject = True
    station = make_station(url)
    with pytest.raises(InvalidStatus) as info:
        await station.connect()
    assert info.value.response.status_code == HTTPStatus.NOT_FOUND
    await station.close()


async def test_connection_lost_during_call_fails_fast(csms: tuple[FakeCSMS, str]) -> None:
    fake, url = csms
    fake.responder = lambda msg: "CLOSE"
    async with make_station(url, response_timeout=30) as station:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(station.heartbeat(), 5)
        with pytest.raises(ConnectionClosed):
            await station.send_raw("[]")


async def test_close_is_idempotent_and_extra_headers_sent(csms: tuple[FakeCSMS, str]) -> None:
    fake, url = csms
    seen: list[Headers] = []

    async def capture(ws: ServerConnection) -> None:
        assert ws.request is not None
        seen.append(ws.request.headers)

    fake.on_connect = capture
    station = make_station(url, extra_headers={"X-Test": "yes"})
    await station.connect()
    await station.close()
    await station.close()
    assert seen[0]["X-Test"] == "yes"


async def test_paused_transport_times_out_and_closes_quickly(csms: tuple[FakeCSMS, str]) -> None:
    _, url = csms
    station = make_station(url, response_timeout=0.2)
    await station.connect()
    station.websocket.transport.pause_reading()
    with pytest.raises(TimeoutError):
        await station.heartbeat()
    await asyncio.wait_for(station.close(), 1)
    with pytest.raises(ConnectionClosed):
        await station.heartbeat()
