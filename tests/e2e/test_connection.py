"""Connection facts over real WebSockets: handshake, liveness, reconnects."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chargeplane.db import Database
from chargeplane.db.models import Charger, StatusEvent
from chargeplane.simulator import Station, StationConfig
from tests.conftest import Tenant, make_settings
from tests.e2e.helpers import charger_by_ocpp_id, eventually, parse
from tests.support import factories
from tests.support.server import RunningServer, running_server


def new_station(server: RunningServer) -> Station:
    return Station(StationConfig(ocpp_id=factories.unique("CP")), server.ocpp)


async def test_a_silently_dead_socket_shows_disconnected_within_the_ping_timeout(
    server: RunningServer, api: httpx.AsyncClient, default_tenant: Tenant
) -> None:
    cp = new_station(server)
    await cp.connect()
    try:
        await cp.boot()
        ocpp_id = cp.config.ocpp_id
        assert (await charger_by_ocpp_id(api, default_tenant.key, ocpp_id))["connection"][
            "status"
        ] == "Connected"
        # The charger stops reading: no pong will ever come back, and no FIN is sent.
        cp.websocket.transport.pause_reading()

        async def disconnected() -> bool:
            charger = await charger_by_ocpp_id(api, default_tenant.key, ocpp_id)
            return bool(charger["connection"]["status"] == "Disconnected")

        settings = server.settings.ocpp
        limit = settings.ping_interval + settings.ping_timeout
        took = await eventually(disconnected, timeout=limit + 2.0)
        assert took <= limit + 1.0
    finally:
        await cp.close()


async def test_heartbeat_is_recorded(
    server: RunningServer, api: httpx.AsyncClient, default_tenant: Tenant
) -> None:
    async with new_station(server) as cp:
        answer = await cp.heartbeat()
        charger = await charger_by_ocpp_id(api, default_tenant.key, cp.config.ocpp_id)
    assert charger["connection"]["last_heartbeat_at"] is not None
    assert parse(charger["connection"]["last_heartbeat_at"]) <= datetime.now(UTC)
    assert abs(parse(answer["currentTime"]) - parse(charger["connection"]["last_heartbeat_at"])) < (
        timedelta(milliseconds=2)
    )


async def test_a_reconnect_replaces_the_old_socket_and_its_close_changes_nothing(
    server: RunningServer, api: httpx.AsyncClient, default_tenant: Tenant
) -> None:
    first = new_station(server)
    await first.connect()
    second = Station(first.config, server.ocpp)
    await second.connect()
    try:
        # The old socket is closed by the server; the charger stays Connected.
        await asyncio.wait_for(first.websocket.wait_closed(), timeout=5)
        assert first.websocket.close_code == 1001
        await second.heartbeat()
        charger = await charger_by_ocpp_id(api, default_tenant.key, first.config.ocpp_id)
        assert charger["connection"]["status"] == "Connected"
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("offered", [["ocpp2.0.1"], []])
async def test_a_handshake_without_a_supported_subprotocol_is_refused(
    server: RunningServer, offered: list[str]
) -> None:
    async with connect(
        f"{server.ocpp}/{factories.unique('CP')}",
        subprotocols=offered or None,  # type: ignore[arg-type]
    ) as ws:
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1002


@pytest.mark.parametrize("path", ["CP%00NUL", "CP/extra", ""])
async def test_identities_the_fast_path_does_not_take_are_refused_by_the_app(
    server: RunningServer, path: str
) -> None:
    """A NUL, a nested path or no identity falls through to the API app, which refuses the
    handshake (HTTP 403) before anything is stored."""
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{server.ocpp}/{path}", subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
            pass
    assert refused.value.response.status_code == 403


async def test_unknown_chargers_are_refused_when_so_configured(
    database_url: str, db: Database
) -> None:
    settings = make_settings(database_url, unknown_chargers="reject")
    known = factories.unique("KNOWN")
    async with db.unit_of_work() as session:
        org_id = await factories.organization(db)
        now = factories.now()
        session.add(
            Charger(
                uuid=factories.unique("uuid"),
                organization_id=org_id,
                ocpp_id=known,
                connection_seq=0,
                created_at=now,
                updated_at=now,
            )
        )
    with running_server(settings) as server:
        with pytest.raises(InvalidStatus) as refused:
            await new_station(server).connect()
        assert refused.value.response.status_code == 403
        async with Station(StationConfig(ocpp_id=known), server.ocpp) as cp:
            assert (await cp.boot())["status"] == "Accepted"


async def test_firmware_diagnostics_and_data_transfer_are_answered(
    server: RunningServer, db: Database
) -> None:
    async with new_station(server) as cp:
        assert await cp.firmware_status("Installing") == {}
        assert await cp.diagnostics_status("Uploaded") == {}
        assert await cp.data_transfer("com.example", message_id="x", data="{}") == {
            "status": "UnknownVendorId"
        }
    async with db.reader() as s:
        charger = (
            await s.scalars(select(Charger).where(Charger.ocpp_id == cp.config.ocpp_id))
        ).one()
    assert (charger.firmware_status, charger.diagnostics_status) == ("Installing", "Uploaded")


async def test_an_older_status_report_does_not_override_a_newer_one(
    server: RunningServer, api: httpx.AsyncClient, db: Database, default_tenant: Tenant
) -> None:
    t = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    async with new_station(server) as cp:
        await cp.status(1, "Charging", timestamp=t)
        await cp.status(1, "Available", timestamp=t - timedelta(minutes=5))  # replayed late
        await cp.status(0, "Unavailable", timestamp=t)
        await cp.status(0, "Available", timestamp=t - timedelta(minutes=5))
        charger = await charger_by_ocpp_id(api, default_tenant.key, cp.config.ocpp_id)
    assert charger["evses"][0]["ocpp_status"]["status"] == "Charging"
    assert charger["ocpp_status"]["status"] == "Unavailable"
    # Every report is kept in the history, the late ones included.
    async with db.reader() as session:
        history = (
            await session.execute(
                select(StatusEvent.evse_number, StatusEvent.status)
                .where(StatusEvent.charger_id == charger["id"])
                .order_by(StatusEvent.id)
            )
        ).all()
    assert [tuple(row) for row in history] == [
        (1, "Charging"),
        (1, "Available"),
        (0, "Unavailable"),
        (0, "Available"),
    ]


async def test_a_charger_that_leaves_during_the_handshake_ends_disconnected(
    server: RunningServer, api: httpx.AsyncClient, default_tenant: Tenant
) -> None:
    ocpp_id = factories.unique("GONE")
    for _ in range(5):
        _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            (
                f"GET /ocpp/{ocpp_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        writer.transport.abort()  # gone before the answer, as a timed-out client is

    async def disconnected() -> bool:
        response = await api.get(
            f"/api/v1/chargers/by-ocpp-id/{ocpp_id}",
            headers={"Authorization": f"Bearer {default_tenant.key}"},
        )
        return response.status_code == 200 and response.json()["connectivity"] == "Offline"

    await eventually(disconnected, timeout=10)


async def test_a_charger_that_leaves_is_named_in_the_log(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chargeplane.ocpp")
    async with new_station(server) as cp:
        await cp.boot()
    line = f"{cp.config.ocpp_id}: disconnected"

    async def logged() -> bool:
        return line in caplog.messages

    await eventually(logged, timeout=5)
