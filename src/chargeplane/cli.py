"""The ``chargeplane`` command."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from chargeplane.apikeys.service import SCOPES, ApiKeyService
from chargeplane.clock import SystemClock
from chargeplane.config import Settings
from chargeplane.db import Database, upgrade
from chargeplane.errors import ChargeplaneError
from chargeplane.organizations.service import OrganizationService
from chargeplane.simulator import (
    Fleet,
    Scenario,
    ScenarioError,
    describe,
    parse_duration,
    run_fleet,
)

T = TypeVar("T")

app = typer.Typer(help="chargeplane — a Charging Station Management System.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.add_typer(org_app, name="org")


def _with_session(work: Callable[[AsyncSession], Awaitable[T]], *, write: bool = True) -> T:
    """Run ``work`` on an upgraded database, in one unit of work (committed when it returns)
    or, with ``write=False``, in a read session. A domain error ends the command with its
    message and exit status 1."""
    settings = Settings()

    async def _run() -> T:
        await upgrade(settings.database_url)
        db = Database(settings.database_url)
        try:
            async with db.unit_of_work() if write else db.reader() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(_run())
    except ChargeplaneError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for OCPP WebSockets and the REST API.")] = 8180,
) -> None:
    """Serve OCPP-J at ws://HOST:PORT/ocpp/{charge_point_id} and the REST API at /api/v1."""
    from chargeplane.server import serve as run

    settings = Settings()
    level = settings.log_level.upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # Every OCPP frame is in the message log; the wire logger speaks only when debugging.
    logging.getLogger("chargeplane.ocpp.wire").setLevel("DEBUG" if level == "DEBUG" else "WARNING")
    run(settings, host=host, port=port)


@app.command()
def simulate(
    url: Annotated[
        str, typer.Option(help="The CSMS's OCPP endpoint; chargers connect to URL/{ocpp_id}.")
    ],
    scenario: Annotated[
        str, typer.Option(help="A scenario TOML file, or a built-in scenario's name.")
    ] = "demo",
    chargers: Annotated[int | None, typer.Option(help="Fleet size.", min=1)] = None,
    duration: Annotated[
        str | None,
        typer.Option(help="Simulated run length: seconds or e.g. 15m, 8h (default: until ^C)."),
    ] = None,
    speed: Annotated[
        float | None, typer.Option(help="Time scale: 60 makes a minute pass per second.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    id_prefix: Annotated[str | None, typer.Option(help="Charge point identity prefix.")] = None,
) -> None:
    """Run a fleet of simulated OCPP 1.6J chargers against any CSMS. Options override the
    scenario. Live progress while it runs (Ctrl-C stops cleanly), then a summary."""
    try:
        seconds = None if duration is None else parse_duration(duration)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--duration") from None
    try:
        loaded = Scenario.load(scenario).with_overrides(
            chargers=chargers, duration=seconds, speed=speed, seed=seed, id_prefix=id_prefix
        )
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(asyncio.run(_simulate(loaded, url)))


async def _simulate(scenario: Scenario, url: str) -> int:
    """Exit status 1 when no charger could connect at all."""
    fleet = Fleet(scenario, url)
    typer.echo(describe(scenario, url))
    typer.echo(await run_fleet(fleet, sys.stdout, title=f"scenario {scenario.name!r}"))
    return 0 if fleet.stats.connects else 1


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port for the server.")] = 8180,
    chargers: Annotated[int, typer.Option(help="Simulated chargers.", min=1)] = 3,
) -> None:
    """The server on SQLite (./chargeplane-demo.db unless CHARGEPLANE_DATABASE_URL is set)
    plus a small simulated fleet; prints an API key and curl commands to try. Ctrl-C stops."""
    from chargeplane.demo import run_demo

    raise typer.Exit(run_demo(port=port, chargers=chargers))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the migrations (the server also does this on start)."""
    settings = Settings()
    asyncio.run(upgrade(settings.database_url, revision))
    typer.echo(f"database at revision {revision}")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")],
    scope: Annotated[
        list[str] | None, typer.Option(help=f"Scopes ({', '.join(SCOPES)}); repeatable.")
    ] = None,
    organization: Annotated[
        str | None, typer.Option(help="Organization name (default: the default organization).")
    ] = None,
    expires: Annotated[
        datetime | None, typer.Option(help="Expiry (ISO 8601, UTC if no offset).")
    ] = None,
    allow_cidr: Annotated[
        list[str] | None,
        typer.Option(help="A network the key may be used from (CIDR); repeatable. Default: any."),
    ] = None,
    thor: Annotated[
        bool, typer.Option("--thor", help="Allow the Thor dialect (/compat/thor) with this key.")
    ] = False,
) -> None:
    """Create an API key. The key is printed once, alone on the last line; only a hash is kept."""
    settings = Settings()
    scopes = scope or ["basic"]
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)

    async def _create() -> str:
        await upgrade(settings.database_url)
        db = Database(settings.database_url)
        try:
            async with db.unit_of_work() as session:
                key, plaintext = await ApiKeyService(session).create(
                    organization=organization or settings.default_organization,
                    name=name,
                    scopes=scopes,
                    now=SystemClock().now(),
                    expires_at=expires,
                    allowed_cidrs=allow_cidr or (),
                    thor_rest_api=thor,
                )
            typer.echo(
                f"created API key {key.name!r} (id {key.id}, scopes {', '.join(key.scopes)})"
            )
            return plaintext
        finally:
            await db.dispose()

    try:
        plaintext = asyncio.run(_create())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(plaintext)


@apikey_app.command("list")
def apikey_list(
    organization: Annotated[
        str | None, typer.Option(help="Only this organization's keys (default: every key).")
    ] = None,
) -> None:
    """List API keys: id, organization, name, prefix, scopes, networks, expiry, state. Never
    the secret."""

    async def _list(session: AsyncSession) -> list[str]:
        now = SystemClock().now()
        lines = []
        for key, org in await ApiKeyService(session).listing(organization):
            if key.revoked_at is not None:
                state = f"revoked {_when(key.revoked_at)}"
            elif key.expires_at is not None and key.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            cidrs = ",".join(key.allowed_cidrs) or "any"
            lines.append(
                "\t".join(
                    [
                        str(key.id),
                        org,
                        key.name,
                        f"cp_{key.prefix}_…",
                        ",".join(key.scopes),
                        cidrs,
                        _when(key.expires_at),
                        state,
                    ]
                )
            )
        return lines

    lines = _with_session(_list, write=False)
    typer.echo("id\torganization\tname\tprefix\tscopes\tnetworks\texpires\tstate")
    for line in lines:
        typer.echo(line)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke an API key (of any organization): every later request with it gets a 401.
    Revoking a revoked key changes nothing."""

    async def _revoke(session: AsyncSession) -> tuple[str, datetime]:
        key = await ApiKeyService(session).revoke(None, key_id, now=SystemClock().now())
        assert key.revoked_at is not None
        return key.name, key.revoked_at

    name, revoked_at = _with_session(_revoke)
    typer.echo(f"revoked API key {name!r} (id {key_id}) at {_when(revoked_at)}")


@org_app.command("create")
def org_create(name: Annotated[str, typer.Argument(help="A unique name.")]) -> None:
    """Create an organization. Its id is printed alone on the last line."""
    name = name.strip()
    if not name or len(name) > 200:
        raise typer.BadParameter("an organization name has 1 to 200 characters", param_hint="NAME")

    async def _create(session: AsyncSession) -> int:
        org = await OrganizationService(session).create(name, now=SystemClock().now())
        return org.id

    org_id = _with_session(_create)
    typer.echo(f"created organization {name!r}")
    typer.echo(str(org_id))


@org_app.command("list")
def org_list() -> None:
    """List organizations: id, name, created."""

    async def _list(session: AsyncSession) -> list[str]:
        orgs = await OrganizationService(session).all()
        return [f"{o.id}\t{o.name}\t{_when(o.created_at)}" for o in orgs]

    lines = _with_session(_list, write=False)
    typer.echo("id\tname\tcreated")
    for line in lines:
        typer.echo(line)


def main() -> None:
    app()
