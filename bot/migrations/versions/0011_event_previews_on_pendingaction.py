"""event previews move to the one stored-preview table: drop eventaction

Revision ID: 0011
Revises: 0010

/event_add, /event_edit and /event_del previews waiting for 「确认」 are now PendingAction rows
(kinds event_add / event_edit / event_del), so that 确认 marks the preview done and makes the
change in one transaction, only the admin who asked may confirm, and /cancel drops them.

Previews still pending in ``eventaction`` at upgrade time are dropped, not carried over: their
「确认」 buttons answer 「这个按钮已失效」 and the admin sends the command again (a preview is a
question about to be answered, not data; carrying it over would need the admin's new token).
Downgrade recreates the empty table.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    conn = op.get_bind()
    pending = conn.execute(sa.text("SELECT count(*) FROM eventaction WHERE done_at IS NULL")).scalar() or 0
    if pending:
        log.warning("%d event preview(s) waiting for 确认 dropped: the admin sends the command again", pending)
    op.drop_table("eventaction")


def downgrade() -> None:
    op.create_table(
        "eventaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
