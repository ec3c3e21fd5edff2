"""Settings, read once in the composition root (CLI/app factory) and passed down.

Environment variables use the ``CHARGEPLANE_`` prefix; nested groups use ``__``
(e.g. ``CHARGEPLANE_OCPP__HEARTBEAT_INTERVAL=120``).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///chargeplane.db"


class OcppSettings(BaseModel):
    """How the OCPP gateway treats chargers."""

    heartbeat_interval: int = Field(default=300, ge=1)
    """Seconds between heartbeats, sent to chargers in the BootNotification answer."""

    unknown_chargers: Literal["accept", "reject"] = "accept"
    """``accept`` registers an unknown charge point identity on first connection; ``reject``
    refuses the WebSocket handshake of identities that are not registered."""

    unknown_id_tags: Literal["accept", "reject"] = "reject"
    """Answer for id tags with no stored token: ``accept`` (Accepted) or ``reject`` (Invalid)."""

    ping_interval: float = Field(default=20.0, gt=0)
    """Seconds between WebSocket pings sent to each charger."""

    ping_timeout: float = Field(default=20.0, gt=0)
    """Seconds to wait for the pong before the socket is declared dead and closed."""

    listen_backlog: int = Field(default=4096, ge=1)
    """Connections the kernel holds for the node while it is busy (a mass reconnect): beyond
    it new handshakes are dropped and retried by the chargers. Capped by the kernel's
    ``net.core.somaxconn``."""

    message_log: bool = True
    """Keep a raw log of every OCPP frame, both directions."""

    message_log_retention_days: float = Field(default=30.0, gt=0)
    """Raw OCPP frames older than this are deleted."""

    response_timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for a charger's answer to a CSMS-initiated CALL."""


class ApiSettings(BaseModel):
    """REST API settings."""

    page_size_max: int = Field(default=500, ge=1)

    trusted_proxies: list[str] = Field(default_factory=list)
    """CIDRs of reverse proxies whose ``X-Forwarded-For`` is believed; from anyone else the
    socket peer is the client (for API key IP allowlists and chargers' client IP)."""


class Settings(BaseSettings):
    """All of chargeplane's settings."""

    model_config = SettingsConfigDict(
        env_prefix="CHARGEPLANE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL: ``sqlite+aiosqlite:///path.db`` (default) or
    ``postgresql+asyncpg://user@host/db``."""

    node_name: str = Field(default_factory=socket.gethostname)
    """This node's name, recorded as the server that holds a charger's connection."""

    default_organization: str = "default"
    """Organization that auto-registered chargers and CLI-created API keys belong to."""

    log_level: str = "INFO"

    secret_key: str | None = None
    """Fernet key that seals sensitive fields at rest (pincodes, payment tokens). When unset,
    the key in ``secret_key_file`` is used, created on first start."""

    secret_key_file: Path = Path("chargeplane.secret")

    ocpp: OcppSettings = OcppSettings()
    api: ApiSettings = ApiSettings()
