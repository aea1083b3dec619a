"""teams of case managers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_member",
        sa.Column("team_id", AutoString(length=200), nullable=False),
        sa.Column("case_manager_id", AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "case_manager_id"),
    )
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_member_case_manager_id"), ["case_manager_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_member_case_manager_id"))
    op.drop_table("team_member")
