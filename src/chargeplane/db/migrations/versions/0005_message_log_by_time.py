"""The raw message log is indexed by time only.

Its index on (ocpp_id, at) took an entry at every charger's own place for every frame, two
frames a message: with 2,000 chargers each commit rewrote a leaf page of it per frame, and at
1,500 msg/s on SQLite that index alone was ~45% of the WAL written (without it, 15 WAL cycles
instead of 27 for the same load, each ending in a 20-60 ms checkpoint inside a COMMIT; ADR 4).
Nothing reads the log by charger; the retention purge reads it by time, and so does a look at
one charger's frames within a time window.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_ocpp_messages_ocpp_id_at", table_name="ocpp_messages")


def downgrade() -> None:
    op.create_index("ix_ocpp_messages_ocpp_id_at", "ocpp_messages", ["ocpp_id", "at"])
