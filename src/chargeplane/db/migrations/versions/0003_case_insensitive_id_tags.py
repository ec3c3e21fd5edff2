"""OCPP id tags are case-insensitive: one token per organization and lower-cased value.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uq_id_tokens_organization_id_lower_value",
        "id_tokens",
        ["organization_id", sa.text("lower(value)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_id_tokens_organization_id_lower_value", table_name="id_tokens")
