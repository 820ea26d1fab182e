"""check-in draft token: buttons of an earlier flow are recognised as stale

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkindraft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=12), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("checkindraft", schema=None) as batch_op:
        batch_op.drop_column("token")
