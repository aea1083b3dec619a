"""The queue lock: one row that every hold checked against LEAD's queue, and every
re-solve that offers places, locks first

Revision ID: 0023_queue_lock
Revises: 0021_offers
Create Date: 2026-11-25 20:40:00

Two holds on different programs lock different rows, so each could pass the queue's
check while together they cost the queue an acute need; locking this one row first
makes the second check see the first hold.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_queue_lock"
down_revision: str | None = "0021_offers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO queue_lock (id) VALUES (1)")


def downgrade() -> None:
    op.drop_table("queue_lock")
