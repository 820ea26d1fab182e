"""check-in evidence (photos / documents by Telegram file id) and 代填 (an admin records for a unit)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkin") as batch:
        batch.add_column(sa.Column("proxy_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("proxy_name", sa.String(length=200), nullable=True))
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("checkin_id", sa.Integer(), sa.ForeignKey("checkin.id"), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("file_id", sa.String(length=200), nullable=False),
        sa.Column("file_unique_id", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_evidence_checkin_id", "evidence", ["checkin_id"])
    op.create_index("ix_evidence_user_id", "evidence", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_user_id", "evidence")
    op.drop_index("ix_evidence_checkin_id", "evidence")
    op.drop_table("evidence")
    with op.batch_alter_table("checkin") as batch:
        batch.drop_column("proxy_name")
        batch.drop_column("proxy_by")
