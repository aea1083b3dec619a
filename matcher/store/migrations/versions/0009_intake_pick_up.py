"""intake pick-up: who took an intake up, when, and the participant it became

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_by", AutoString(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("taken_at", matcher.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("participant_id", AutoString(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_intake_taken_by"), ["taken_by"], unique=False)
        batch_op.create_foreign_key(
            "fk_intake_participant_id_participant", "participant", ["participant_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_constraint("fk_intake_participant_id_participant", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_intake_taken_by"))
        batch_op.drop_column("participant_id")
        batch_op.drop_column("taken_at")
        batch_op.drop_column("taken_by")
