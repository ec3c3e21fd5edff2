"""What the server writes per charger connection: lines that name the charger."""

from __future__ import annotations

import logging

from chargeplane.server import AnonymousConnectionLines, uvicorn_config
from tests.conftest import make_settings


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, msg, args, None)


def test_the_lines_that_name_no_charger_are_dropped_and_the_rest_kept() -> None:
    keep = AnonymousConnectionLines().filter
    assert not keep(_record("connection open"))
    assert not keep(_record("connection closed"))
    assert keep(_record('%s - "WebSocket %s" [accepted]', "10.0.0.7:5120", "/ocpp/CP-1"))
    assert keep(_record("connection open %s", "with an argument"))
    assert keep(_record("Exception in ASGI application\n"))


def test_the_server_config_installs_the_filter_once() -> None:
    settings = make_settings("sqlite+aiosqlite://")
    uvicorn_config(settings, host="127.0.0.1", port=9)
    uvicorn_config(settings, host="127.0.0.1", port=9)
    installed = logging.getLogger("uvicorn.error").filters
    assert sum(isinstance(f, AnonymousConnectionLines) for f in installed) == 1


def test_a_record_whose_message_is_not_text_passes() -> None:
    assert AnonymousConnectionLines().filter(_record({"not": "text"}))  # type: ignore[arg-type]
