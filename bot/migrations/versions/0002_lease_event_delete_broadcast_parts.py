"""sender lease, soft-deleted events, broadcast parts

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("broadcastdelivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("broadcastdelivery", schema=None) as batch_op:
        batch_op.drop_column("parts_sent")
    op.drop_table("lease")
