from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from chargeplane.db.base import Base, Versioned


class Organization(Versioned, Base):
    """A CPO: the tenant that owns sites, chargers, tokens, customers and API keys."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
