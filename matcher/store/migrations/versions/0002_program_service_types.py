"""Program service types, one row each, filled from program.service_types.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:14:38.297685
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    service = op.create_table(
        "program_service",
        sa.Column("program_id", AutoString(length=200), nullable=False),
        sa.Column("service_type", AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"]),
        sa.PrimaryKeyConstraint("program_id", "service_type"),
    )
    with op.batch_alter_table("program_service", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_program_service_service_type"), ["service_type"], unique=False
        )
    program = sa.table("program", sa.column("id", sa.String), sa.column("service_types", sa.JSON))
    rows = op.get_bind().execute(sa.select(program.c.id, program.c.service_types)).all()
    pairs = [
        {"program_id": pid, "service_type": kind}
        for pid, kinds in rows
        for kind in sorted(set(kinds if isinstance(kinds, list) else json.loads(kinds)))
    ]
    if pairs and service is not None:
        op.bulk_insert(service, pairs)


def downgrade() -> None:
    with op.batch_alter_table("program_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_program_service_service_type"))
    op.drop_table("program_service")
