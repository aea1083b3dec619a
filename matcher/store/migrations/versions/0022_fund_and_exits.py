"""The fund's top-ups and participants' exits and returns, each an append-only record

Revision ID: 0022_fund_and_exits
Revises: 0021_offers
Create Date: 2026-11-25 20:45:00

``fund_top_up``: money added to the fund (when, cents, who, a note). ``participant_activity``:
every change of a participant's ``active`` flag. Rows stored before this revision have
no such records; ``matcher simulate --replay`` says what it assumes for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.types

revision: str = "0022_fund_and_exits"
down_revision: str | None = "0021_offers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fund_top_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cents", sa.Integer(), nullable=False),
        sa.Column("actor", AutoString(length=200), nullable=False),
        sa.Column("note", AutoString(length=500), nullable=False),
        sa.CheckConstraint("cents > 0", name="top_up_positive"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_fund_top_up_at"), "fund_top_up", ["at"], unique=False)
    op.create_table(
        "participant_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", AutoString(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_participant_activity_participant_id"),
        "participant_activity",
        ["participant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_participant_activity_at"), "participant_activity", ["at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_participant_activity_at"), table_name="participant_activity")
    op.drop_index(op.f("ix_participant_activity_participant_id"), table_name="participant_activity")
    op.drop_table("participant_activity")
    op.drop_index(op.f("ix_fund_top_up_at"), table_name="fund_top_up")
    op.drop_table("fund_top_up")
