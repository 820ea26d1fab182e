"""work plans: at most one active plan, at most one current version of a year, enforced by the
database (two partial unique indexes), so two processes storing or switching at once cannot leave
two active plans

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_plan_one_active", "plan", ["active"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))
    op.create_index("uq_plan_year_current", "plan", ["year"], unique=True,
                    sqlite_where=sa.text("replaced_at IS NULL"), postgresql_where=sa.text("replaced_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_plan_year_current", "plan")
    op.drop_index("uq_plan_one_active", "plan")
