"""The gateway's WebSocket protocol (``ocpp/_websocket.py``) with a raw client: the parts of
RFC 6455 a charger may use that the simulator does not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.support import factories
from tests.support.server import RunningServer


@pytest.fixture
async def charger(server: RunningServer) -> AsyncIterator[ClientConnection]:
    async with connect(
        f"{server.ocpp}/{factories.unique('WS')}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
    ) as ws:
        yield ws


async def answer(ws: ClientConnection) -> list[Any]:
    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    assert isinstance(frame, list)
    return frame


async def test_a_call_sent_in_fragments_is_answered(charger: ClientConnection) -> None:
    await charger.send(iter(['[2,"f1","Heart', 'beat",', "{}]"]))
    assert (await answer(charger))[:2] == [3, "f1"]


async def test_a_call_in_a_binary_frame_is_answered(charger: ClientConnection) -> None:
    await charger.send(b'[2,"b1","Heartbeat",{}]')
    assert (await answer(charger))[:2] == [3, "b1"]


async def test_calls_sent_without_waiting_are_all_answered_in_order(
    charger: ClientConnection,
) -> None:
    """More than the gateway reads ahead (it stops reading the socket, then resumes)."""
    ids = [f"q{n}" for n in range(60)]
    for unique_id in ids:
        await charger.send(f'[2,"{unique_id}","Heartbeat",{{}}]')
    answered = [(await answer(charger))[1] for _ in ids]
    assert answered == ids


async def test_permessage_deflate_is_negotiated_and_works(charger: ClientConnection) -> None:
    assert [type(e).__name__ for e in charger.protocol.extensions] == ["PerMessageDeflate"]
    await charger.send('[2,"d1","Heartbeat",{}]')
    assert (await answer(charger))[:2] == [3, "d1"]


async def test_a_ping_from_the_charger_is_answered(charger: ClientConnection) -> None:
    latency = await asyncio.wait_for(await charger.ping(), timeout=5)
    assert latency >= 0


async def test_a_charger_that_closes_gets_the_closing_handshake(
    charger: ClientConnection,
) -> None:
    await charger.close(code=1000, reason="bye")
    assert charger.close_code == 1000
    assert charger.protocol.close_rcvd is not None
    assert charger.protocol.close_rcvd.code == 1000


async def test_a_websocket_path_other_than_ocpp_is_refused(server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://127.0.0.1:{server.port}/api/v1/chargers"):
            pass
    assert refused.value.response.status_code == 403
