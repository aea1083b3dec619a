"""The queue lock: one row that every hold checked against LEAD's queue, and every
re-solve that offers places, locks first

Revision ID: 0023_queue_lock
Revises: 0022_fund_and_exits
Create Date: 2026-11-25 20:40:00

Two holds on different programs lock different rows, so each could pass the queue's
check while together they cost the queue an acute need; locking this one row first
makes the second check see the first hold.

``structure_change`` tells a long-running re-solve when what it keeps between events
(participants, their plans, programs and their service types) changed, so it reads
them again: on PostgreSQL each transaction that writes those tables leaves its id
(a statement trigger), compared with the snapshot the kept copy was read in; on
SQLite, whose writers run one at a time, row triggers count the writes in row 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_queue_lock"
down_revision: str | None = "0022_fund_and_exits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRUCTURE = ("participant", "plan_need", "program", "program_service")
"""The tables whose rows a kept copy of the queue's participants and programs reads."""


def upgrade() -> None:
    op.create_table(
        "queue_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO queue_lock (id) VALUES (1)")
    op.create_table(
        "structure_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("txid", name="one_row_per_transaction"),
    )
    op.execute("INSERT INTO structure_change (id, txid) VALUES (0, 0)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE FUNCTION note_structure_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO structure_change (txid) "
            "VALUES (pg_current_xact_id()::text::bigint) ON CONFLICT (txid) DO NOTHING; "
            "RETURN NULL; END $$"
        )
    for table in STRUCTURE:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_structure_change "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION note_structure_change()"
            )
            continue
        for verb in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_structure_{verb.lower()} AFTER {verb} ON {table} "
                "BEGIN UPDATE structure_change SET txid = txid + 1 WHERE id = 0; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in STRUCTURE:
        if postgres:
            op.execute(f"DROP TRIGGER {table}_structure_change ON {table}")
            continue
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_structure_{verb}")
    if postgres:
        op.execute("DROP FUNCTION note_structure_change()")
    op.drop_table("structure_change")
    op.drop_table("queue_lock")
