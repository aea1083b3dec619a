"""referral intake

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 23:40:47.299438
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "intake",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("referrer_id", AutoString(length=64), nullable=False),
        sa.Column("reference", AutoString(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("received_at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["referrer_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_referrer_id"), ["referrer_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_referrer_id"))

    op.drop_table("intake")
