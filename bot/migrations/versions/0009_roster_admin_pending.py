"""roster administration: deleted units, revoked invites, stored previews; unit names cleaned

Revision ID: 0009
Revises: 0008

- unit.deleted_at: /unit_del is a soft delete (check-ins stay attributed in exports and history)
- invite.revoked_at: /revoke voids unused links
- pendingaction: previews waiting for 「确认」 (uploads, /unbind, /unit_del), surviving restarts
- existing unit names pass through the one name rule (NFKC, invisible characters removed,
  whitespace collapsed, no space between Chinese characters); a name whose clean form is taken by
  another unit is left as it is (and logged), so no two units merge silently.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# a frozen copy of bot.services.unit_names.clean_unit_name as of this revision
_CJK = (r"\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff"
        r"\uf900-\ufaff\U00020000-\U0003134f")
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}()\[\]【】]) (?=[{_CJK}()\[\]【】])")


def _invisible(ch: str) -> bool:
    if unicodedata.category(ch) in ("Cf", "Cc", "Cs", "Co", "Cn"):
        return True
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or cp in (0x115F, 0x1160, 0x3164, 0xFFA0)


def _clean(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw or "")
    s = "".join(" " if ch.isspace() else ch for ch in s if ch.isspace() or not _invisible(ch))
    return _CJK_SPACE.sub("", " ".join(s.split()))


def upgrade() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "pendingaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pendingaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pendingaction_admin_id"), ["admin_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pendingaction_kind"), ["kind"], unique=False)

    conn = op.get_bind()
    unit = sa.table("unit", sa.column("id", sa.Integer), sa.column("name", sa.String))
    rows = conn.execute(sa.select(unit.c.id, unit.c.name).order_by(unit.c.id)).all()
    taken = {name for _, name in rows}
    for uid, name in rows:
        clean = _clean(name)
        if not clean or clean == name:
            continue
        if clean in taken:
            log.warning("unit %s: clean name %r belongs to another unit; left as %r", uid, clean, name)
            continue
        conn.execute(sa.update(unit).where(unit.c.id == uid).values(name=clean))
        taken.discard(name)
        taken.add(clean)


def downgrade() -> None:
    with op.batch_alter_table("pendingaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pendingaction_kind"))
        batch_op.drop_index(batch_op.f("ix_pendingaction_admin_id"))
    op.drop_table("pendingaction")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
