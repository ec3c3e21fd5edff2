"""``chargeplane demo``'s settings and the commands it prints (the run itself is manual)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargeplane.demo import DEMO_DATABASE_URL, curl_commands, demo_settings


def test_demo_uses_its_own_sqlite_file_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARGEPLANE_DATABASE_URL", raising=False)
    monkeypatch.delenv("CHARGEPLANE_SECRET_KEY_FILE", raising=False)
    settings = demo_settings()
    assert settings.database_url == DEMO_DATABASE_URL == "sqlite+aiosqlite:///chargeplane-demo.db"
    assert settings.secret_key_file == Path("chargeplane-demo.secret")
    monkeypatch.setenv("CHARGEPLANE_DATABASE_URL", "sqlite+aiosqlite:///other.db")
    assert demo_settings().database_url == "sqlite+aiosqlite:///other.db"


def test_curl_commands() -> None:
    commands = curl_commands("http://127.0.0.1:8180", ["DEMO-001", "DEMO-002", "DEMO-003"])
    auth = 'curl -s -H "Authorization: Bearer $KEY" http://127.0.0.1:8180'
    assert commands == [
        f"{auth}/api/v1/chargers",
        f"{auth}/api/v1/chargers/by-ocpp-id/DEMO-001",
        f"{auth}/api/v1/chargers/by-ocpp-id/DEMO-003",
        f"{auth}/compat/flipturn/api/chargers/by-ocpp-id/DEMO-001",
    ]
    assert len(curl_commands("http://h", ["ONE"])) == 3
