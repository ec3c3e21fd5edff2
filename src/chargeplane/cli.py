"""The ``chargeplane`` command."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated

import typer

from chargeplane.apikeys.service import SCOPES, ApiKeyService
from chargeplane.clock import SystemClock
from chargeplane.config import Settings
from chargeplane.db import Database, upgrade

app = typer.Typer(help="chargeplane — a Charging Station Management System.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")


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


def main() -> None:
    app()
