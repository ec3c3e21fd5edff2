from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from chargeplane.db.base import Base, Versioned


class Customer(Versioned, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IdToken(Versioned, Base):
    """An RFID card or other token; ``value`` is the OCPP idTag."""

    __tablename__ = "id_tokens"
    __table_args__ = (
        UniqueConstraint("organization_id", "value"),
        # OCPP id tags are case-insensitive: "abc" and "ABC" are one token.
        Index(
            "uq_id_tokens_organization_id_lower_value",
            "organization_id",
            func.lower(text("value")),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    value: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="Accepted")
    """OCPP 1.6 AuthorizationStatus as set by the operator: Accepted, Blocked, Expired, Invalid."""
    expires_at: Mapped[datetime | None]
    parent_id_tag: Mapped[str | None] = mapped_column(String(36))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Vehicle(Versioned, Base):
    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    id_token_id: Mapped[int | None] = mapped_column(ForeignKey("id_tokens.id"), index=True)
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(100))
    vin: Mapped[str | None] = mapped_column(String(17))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
