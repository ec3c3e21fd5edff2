from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chargeplane.db.base import Base


class OcppMessage(Base):
    """The raw OCPP message log, both directions, kept for a retention period.

    Indexed by time only: the retention purge reads it by time, and so does a look at one
    charger's frames within a window. An index by charger cost a scattered page write per
    frame at every commit (migration 0005)."""

    __tablename__ = "ocpp_messages"
    __table_args__ = (Index("ix_ocpp_messages_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ocpp_id: Mapped[str] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(3))
    """``in`` (charger → CSMS) or ``out``."""
    message_type: Mapped[int | None] = mapped_column(Integer)
    unique_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    frame: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    node_name: Mapped[str] = mapped_column(String(255))
