"""work plans: one document a year, check-ins and drafts belong to a plan, responsibilities

Creates ``plan`` and ``assignment``; inserts the shipped 2020 document as plan 2020 (active);
every existing check-in (made before plans existed, so under the 2020 document) gets its id.
The plan's clause tree is a frozen copy (../data/plan_2020.json, made by
bot.services.plans.shipped_plan_values when this migration was written), so the item ids a
database gets never depend on the parser of the day it is migrated.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from bot.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    plan = op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=True),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("section_count", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.Column("replaced_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_plan_year", "plan", ["year"])
    op.create_index("ix_plan_active", "plan", ["active"])
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plan.id"), nullable=False),
        sa.Column("item_id", sa.String(length=10), nullable=False),
        sa.Column("unit_kind", sa.String(length=10), nullable=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_assignment_plan_id", "assignment", ["plan_id"])

    frozen = json.loads((Path(__file__).resolve().parent.parent / "data" / "plan_2020.json").read_text("utf-8"))
    now = datetime.now(UTC)
    op.bulk_insert(plan, [{**frozen, "active": True, "created_at": now, "activated_at": now}])
    seed_id = op.get_bind().execute(sa.text("SELECT id FROM plan")).scalar_one()

    with op.batch_alter_table("checkin") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE checkin SET plan_id = :pid").bindparams(pid=seed_id))
    with op.batch_alter_table("checkin") as batch:
        batch.alter_column("plan_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_checkin_plan_id_plan", "plan", ["plan_id"], ["id"])
        batch.create_index("ix_checkin_plan_id", ["plan_id"])
    with op.batch_alter_table("checkindraft") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkindraft") as batch:
        batch.drop_column("plan_id")
    with op.batch_alter_table("checkin") as batch:
        batch.drop_index("ix_checkin_plan_id")
        batch.drop_constraint("fk_checkin_plan_id_plan", type_="foreignkey")
        batch.drop_column("plan_id")
    op.drop_index("ix_assignment_plan_id", "assignment")
    op.drop_table("assignment")
    op.drop_index("ix_plan_active", "plan")
    op.drop_index("ix_plan_year", "plan")
    op.drop_table("plan")
