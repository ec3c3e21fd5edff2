from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from chargeplane.db.base import Base


class ApiKey(Base):
    """An API key. Only a SHA-256 of the secret is stored; the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]]
    allowed_cidrs: Mapped[list[str]] = mapped_column(default=list)
    thor_rest_api: Mapped[bool] = mapped_column(Boolean, default=False)
    """Thor's "REST API integration" switch: the key may use the Thor dialect."""
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
