"""input rules: a referrer's reference names one intake

Revision ID: 0013
Revises: 0010
Create Date: 2026-11-25 14:00:00

Intakes already stored twice under one reference keep their rows: every copy after
the first gets its id appended to the reference (``D-10 #3f2a...``), so the
constraint can hold and nothing is lost.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tell_copies_apart() -> None:
    intake = sa.table(
        "intake",
        sa.column("id", sa.String),
        sa.column("referrer_id", sa.String),
        sa.column("reference", sa.String),
        sa.column("received_at", sa.DateTime),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(intake.c.id, intake.c.referrer_id, intake.c.reference).order_by(
            intake.c.received_at, intake.c.id
        )
    ).all()
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.referrer_id, row.reference)
        if key in seen:
            renamed = f"{row.reference[: 100 - 10]} #{row.id[:8]}"
            bind.execute(sa.update(intake).where(intake.c.id == row.id).values(reference=renamed))
        seen.add(key)


def upgrade() -> None:
    _tell_copies_apart()
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.create_unique_constraint("one_intake_per_reference", ["referrer_id", "reference"])


def downgrade() -> None:
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_constraint("one_intake_per_reference", type_="unique")
