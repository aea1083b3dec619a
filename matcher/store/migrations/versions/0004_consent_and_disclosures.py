"""consent and disclosures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:19:10.989107
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "consent",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("participant_id", AutoString(length=200), nullable=False),
        sa.Column("recipient_type", AutoString(length=20), nullable=False),
        sa.Column("recipient_id", AutoString(length=200), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("starts_at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", matcher.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", matcher.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", AutoString(length=200), nullable=False),
        sa.CheckConstraint("recipient_type IN ('organization', 'program')", name="known_recipient"),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", AutoString(length=200), nullable=False),
        sa.Column("consent_id", AutoString(length=64), nullable=False),
        sa.Column("referral_id", AutoString(length=64), nullable=False),
        sa.Column("recipient_id", AutoString(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("notice", sa.Boolean(), nullable=False),
        sa.Column("at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consent.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_participant_id"))

    op.drop_table("disclosure")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_participant_id"))

    op.drop_table("consent")
