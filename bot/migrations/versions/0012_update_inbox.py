"""update inbox: updates are stored as they arrive and replayed after a crash

Revision ID: 0012
Revises: 0011

PTB confirms a batch of updates to Telegram (the next getUpdates offset) as soon as it has queued
them, before they are handled; a bot killed then lost them. ``inboxupdate`` holds each update from
its arrival until it has been handled (handlers/lifecycle/inbox.py), and a digest of it for a
week after, to tell Telegram re-delivering it from a new update that reuses its id.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inboxupdate",
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )


    # a claim remembers which update it was, so a new update reusing the id is not taken for it
    with op.batch_alter_table("processedupdate") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("processedupdate") as batch:
        batch.drop_column("digest")
    op.drop_table("inboxupdate")
