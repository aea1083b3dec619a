"""Encrypt participants' sensitive fields at rest; record de-identification.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 23:30:00

``participant.attributes`` and ``participant.stay_away`` become Fernet tokens under
the configured data keys (``MATCHER_DATA_KEYS``); existing rows are encrypted here.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matcher.store.types
from matcher.store import crypto
from matcher.store.engine import ensure_keys

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("attributes", "stay_away")


def _loads(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    ensure_keys()
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, attributes, stay_away FROM participant")).all()
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("attributes_enc", sa.Text(), nullable=True))
        batch.add_column(sa.Column("stay_away_enc", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column(
                "deidentified_at", matcher.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    for pid, attributes, stay_away in rows:
        bind.execute(
            sa.text(
                "UPDATE participant SET attributes_enc = :a, stay_away_enc = :s WHERE id = :id"
            ),
            {
                "a": crypto.encrypt(_loads(attributes)),
                "s": crypto.encrypt(_loads(stay_away)),
                "id": pid,
            },
        )
    with op.batch_alter_table("participant") as batch:
        for name in FIELDS:
            batch.drop_column(name)
            batch.alter_column(
                f"{name}_enc", new_column_name=name, existing_type=sa.Text(), nullable=False
            )


def downgrade() -> None:
    ensure_keys()
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, attributes, stay_away FROM participant")).all()
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("attributes_plain", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("stay_away_plain", sa.JSON(), nullable=True))
        batch.drop_column("deidentified_at")
    plain = sa.table(
        "participant",
        sa.column("id"),
        sa.column("attributes_plain", sa.JSON),
        sa.column("stay_away_plain", sa.JSON),
    )
    for pid, attributes, stay_away in rows:
        bind.execute(
            plain.update()
            .where(plain.c.id == pid)
            .values(
                attributes_plain=crypto.decrypt(attributes),
                stay_away_plain=crypto.decrypt(stay_away),
            )
        )
    with op.batch_alter_table("participant") as batch:
        for name in FIELDS:
            batch.drop_column(name)
            batch.alter_column(
                f"{name}_plain", new_column_name=name, existing_type=sa.JSON(), nullable=False
            )
