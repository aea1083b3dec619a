"""audit accountability: who (username), what (action in words), on which objects;
TRUNCATE of the log refused; one active case manager per case load; case load moves

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-25 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_CASE_MANAGER = "role = 'case_manager' AND active"

NO_TRUNCATE = [
    # The row triggers of 0003 refuse UPDATE and DELETE; TRUNCATE fires no row trigger.
    """CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate()""",
]


def upgrade() -> None:
    # Columns are added in place (no table copy on SQLite), so the append-only
    # triggers of 0003 stay.
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column("route", AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column("participant_id", AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column("program_id", AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column("referral_id", AutoString(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_username"), ["username"], unique=False)
        for name in ("participant_id", "program_id", "referral_id"):
            batch_op.create_index(batch_op.f(f"ix_audit_event_{name}"), [name], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in NO_TRUNCATE:
            op.execute(statement)

    _refuse_shared_case_loads()
    op.create_index(
        "uq_account_active_case_manager",
        "account",
        ["subject_id"],
        unique=True,
        sqlite_where=sa.text(ONE_CASE_MANAGER),
        postgresql_where=sa.text(ONE_CASE_MANAGER),
    )

    op.create_table(
        "case_load_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_load", AutoString(length=200), nullable=False),
        sa.Column("from_username", AutoString(length=200), nullable=True),
        sa.Column("to_username", AutoString(length=200), nullable=False),
        sa.Column("reason", AutoString(length=500), nullable=False),
        sa.Column("moved_by", AutoString(length=200), nullable=False),
        sa.Column("at", matcher.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_load_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_load_move_case_load"), ["case_load"])


def _refuse_shared_case_loads() -> None:
    """Stop with the case loads to resolve (``matcher users deactivate``) rather than
    pick which account keeps one."""
    shared = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT subject_id FROM account WHERE {ONE_CASE_MANAGER} "
                "GROUP BY subject_id HAVING count(*) > 1"
            )
        )
        .scalars()
        .all()
    )
    if shared:
        raise RuntimeError(
            "case loads with more than one active case manager account: "
            + ", ".join(sorted(str(s) for s in shared))
            + "; deactivate all but one account of each, then upgrade again"
        )


def downgrade() -> None:
    with op.batch_alter_table("case_load_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_load_move_case_load"))
    op.drop_table("case_load_move")
    op.drop_index("uq_account_active_case_manager", table_name="account")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_no_truncate()")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        for name in ("participant_id", "program_id", "referral_id"):
            batch_op.drop_index(batch_op.f(f"ix_audit_event_{name}"))
        batch_op.drop_index(batch_op.f("ix_audit_event_username"))
        batch_op.drop_column("referral_id")
        batch_op.drop_column("program_id")
        batch_op.drop_column("participant_id")
        batch_op.drop_column("route")
        batch_op.drop_column("username")
