"""LEAD's queue and offers: when each need began waiting, offered and passed
referrals, and the signals (capacity appeared, a need entered a plan) the queue's
re-solve answers

Revision ID: 0021_offers
Revises: 0019_webhooks
Create Date: 2026-11-25 17:10:00

``plan_need.waiting_since`` is backfilled with the participant's creation time. An
offer is a referral (status ``offered``) holding its place like a hold, so the
one-open-referral-per-need index now covers it; ``passed`` closes an offer the case
manager let go.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.types

revision: str = "0021_offers"
down_revision: str | None = "0019_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = (
    "status IN ('held', 'referred', 'enrolled', 'declined', "
    "'withdrawn', 'released', 'expired', 'ended')"
)
NEW_STATUSES = (
    "status IN ('held', 'referred', 'enrolled', 'declined', "
    "'withdrawn', 'released', 'expired', 'ended', 'offered', 'passed')"
)
OLD_OPEN = "status IN ('held', 'referred')"
NEW_OPEN = "status IN ('held', 'referred', 'offered')"


def _open_index(where: str) -> None:
    op.drop_index("ux_referral_open_need", table_name="referral")
    op.create_index(
        "ux_referral_open_need",
        "referral",
        ["need_id"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table("plan_need", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "waiting_since", matcher.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute(
        "UPDATE plan_need SET waiting_since = (SELECT p.created_at FROM participant p "
        "WHERE p.id = plan_need.participant_id)"
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_constraint("known_status", type_="check")
        batch_op.create_check_constraint("known_status", NEW_STATUSES)
    _open_index(NEW_OPEN)
    op.create_table(
        "capacity_signal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", AutoString(length=200), nullable=True),
        sa.Column("need_id", AutoString(length=200), nullable=True),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_capacity_signal_program_id"), "capacity_signal", ["program_id"], unique=False
    )


def downgrade() -> None:
    """Open offers are released (their places go back); passes read as releases."""
    op.drop_index(op.f("ix_capacity_signal_program_id"), table_name="capacity_signal")
    op.drop_table("capacity_signal")
    op.execute("UPDATE referral SET status = 'released' WHERE status IN ('offered', 'passed')")
    _open_index(OLD_OPEN)
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_constraint("known_status", type_="check")
        batch_op.create_check_constraint("known_status", OLD_STATUSES)
    with op.batch_alter_table("plan_need", schema=None) as batch_op:
        batch_op.drop_column("waiting_since")
