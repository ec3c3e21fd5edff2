"""Organizations and API keys as an operator manages them with the ``chargeplane`` command."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from chargeplane.config import Settings
from tests.e2e.test_cli import run
from tests.support.server import running_server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return os.environ | {
        "CHARGEPLANE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "CHARGEPLANE_SECRET_KEY_FILE": str(tmp_path / "secret"),
    }


def ok(args: list[str], env: dict[str, str]) -> list[str]:
    done = run(args, env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def rows(lines: list[str]) -> list[list[str]]:
    """A tab-separated listing without its header."""
    return [line.split("\t") for line in lines[1:]]


def test_organizations_are_created_once_and_listed(env: dict[str, str]) -> None:
    org_id = ok(["org", "create", "Acme"], env)[-1]
    assert org_id.isdigit()
    other_id = ok(["org", "create", "Globex"], env)[-1]
    assert int(other_id) != int(org_id)

    again = run(["org", "create", "Acme"], env)
    assert again.returncode != 0
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    blank = run(["org", "create", " "], env)
    assert blank.returncode != 0

    listed = ok(["org", "list"], env)
    assert listed[0].split("\t")[:2] == ["id", "name"]
    assert [r[:2] for r in rows(listed)] == [[org_id, "Acme"], [other_id, "Globex"]]


def test_keys_are_listed_without_secrets_and_revoked(env: dict[str, str]) -> None:
    ok(["org", "create", "Acme"], env)
    acme = ok(
        ["apikey", "create", "--name", "ops", "--organization", "Acme", "--scope", "full"], env
    )
    acme_key = acme[-1]
    assert acme_key.startswith("cp_")
    other = ok(["apikey", "create", "--name", "default-ops"], env)[-1]

    everything = ok(["apikey", "list"], env)
    assert acme_key not in "\n".join(everything)
    assert other not in "\n".join(everything)
    header = everything[0].split("\t")
    listed = {r[header.index("name")]: dict(zip(header, r, strict=True)) for r in rows(everything)}
    assert set(listed) == {"ops", "default-ops"}
    ops = listed["ops"]
    assert (ops["organization"], ops["scopes"], ops["networks"], ops["state"]) == (
        "Acme",
        "basic,full",
        "any",
        "active",
    )
    assert acme_key.startswith(ops["prefix"].rstrip("…"))
    assert listed["default-ops"]["organization"] == "default"

    only = ok(["apikey", "list", "--organization", "Acme"], env)
    assert [r[header.index("name")] for r in rows(only)] == ["ops"]
    unknown = run(["apikey", "list", "--organization", "Nobody"], env)
    assert unknown.returncode != 0
    assert "Nobody" in unknown.stderr

    key_id = ops["id"]
    revoked = ok(["apikey", "revoke", key_id], env)
    assert "revoked" in revoked[-1]
    assert ok(["apikey", "revoke", key_id], env)[-1] == revoked[-1]  # idempotent
    state = rows(ok(["apikey", "list", "--organization", "Acme"], env))[0][header.index("state")]
    assert state.startswith("revoked ")
    missing = run(["apikey", "revoke", "999999"], env)
    assert missing.returncode != 0
    assert "999999" in missing.stderr


def test_a_revoked_or_limited_key_is_refused_by_the_server(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked = ok(["apikey", "create", "--name", "gone", "--scope", "full"], env)
    elsewhere = ok(["apikey", "create", "--name", "far", "--allow-cidr", "10.0.0.0/8"], env)[-1]
    here = ok(
        [
            "apikey",
            "create",
            "--name",
            "near",
            "--allow-cidr",
            "10.0.0.0/8",
            "--allow-cidr",
            "127.0.0.1/8",
        ],
        env,
    )[-1]
    listing = ok(["apikey", "list"], env)
    header = listing[0].split("\t")
    networks = {r[header.index("name")]: r[header.index("networks")] for r in rows(listing)}
    assert networks == {"gone": "any", "far": "10.0.0.0/8", "near": "10.0.0.0/8,127.0.0.0/8"}
    key_id = {r[header.index("name")]: r[0] for r in rows(listing)}["gone"]
    ok(["apikey", "revoke", key_id], env)

    bad = run(["apikey", "create", "--name", "x", "--allow-cidr", "10.0.0.0/33"], env)
    assert bad.returncode != 0
    assert "10.0.0.0/33" in bad.stderr

    for name, value in env.items():
        if name.startswith("CHARGEPLANE_"):
            monkeypatch.setenv(name, value)
    with running_server(Settings()) as server, httpx.Client(base_url=server.http) as api:
        gone = api.get("/api/v1/sites", headers={"Authorization": f"Bearer {revoked[-1]}"})
        assert (gone.status_code, gone.json()["code"]) == (401, "unauthenticated")
        far = api.get("/api/v1/sites", headers={"Authorization": f"Bearer {elsewhere}"})
        assert (far.status_code, far.json()["code"]) == (403, "ip_not_allowed")
        near = api.get("/api/v1/sites", headers={"Authorization": f"Bearer {here}"})
        assert near.status_code == 200
