"""Participants' places on community waitlists, and holds in their own waitlist turn

Revision ID: 0018
Revises: 0015
Create Date: 2026-11-25 15:10:00

Case managers record where their participant already waits
(``participant.waitlist_positions``: program and position, with the time it was
recorded); the scenario carries it, and a referral may use the pool
``waitlist_turn`` once the participant's turn has come (the capacity event of such a
hold keeps the position its room was checked against, so replays check it again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_POOLS = "pool IN ('general', 'lead_reserved', 'purchase')"
NEW_POOLS = "pool IN ('general', 'lead_reserved', 'purchase', 'waitlist_turn')"


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waitlist_positions", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("capacity_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=True))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_constraint("known_pool", type_="check")
        batch_op.create_check_constraint("known_pool", NEW_POOLS)


def downgrade() -> None:
    """Turns taken stay as what they were: places the participant held."""
    op.execute("UPDATE referral SET pool = 'general' WHERE pool = 'waitlist_turn'")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_constraint("known_pool", type_="check")
        batch_op.create_check_constraint("known_pool", OLD_POOLS)
    with op.batch_alter_table("capacity_event", schema=None) as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("waitlist_positions")
