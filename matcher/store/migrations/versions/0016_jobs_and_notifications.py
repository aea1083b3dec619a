"""The job queue's tables (PostgreSQL), notifications and their preferences

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 15:00:00

On PostgreSQL, the ``procrastinate`` job queue keeps its jobs beside the matcher's
tables: its schema (as shipped with the pinned version) is applied here, so
``matcher serve`` and ``matcher worker`` find it ready. On SQLite the jobs run in the
server's own thread and nothing is created.

Notifications: one row per notice to an account (a kind, at most a pseudonym, a
link; unique per account and announced thing), each account's preference per kind
and optional e-mail address, each delivery beyond the inbox,
and how many days without a capacity report make a program's report stale.
"""

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROP_QUEUE = """
DO $$ DECLARE f record; BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
           WHERE p.proname LIKE 'procrastinate\\_%'
             AND p.pronamespace = current_schema()::regnamespace LOOP
    EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
  END LOOP;
END $$;
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
  procrastinate_jobs, procrastinate_workers CASCADE;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
  procrastinate_job_status CASCADE;
"""


def _script(sql: str) -> None:
    """Run a multi-statement script as it is (no parameter markers read)."""
    driver: Any = op.get_bind().connection.driver_connection
    driver.execute(cast(Any, sql))


def upgrade() -> None:
    _notifications()
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    present = bind.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar()
    if present is None:  # a database stamped back and upgraded again keeps its queue
        _script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _script(DROP_QUEUE)
    op.drop_table("delivery")
    op.drop_table("notification_preference")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_account_id"))
    op.drop_table("notification")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("stale_after_days")


def _notifications() -> None:
    when = matcher.store.types.UTCDateTime(timezone=True)
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stale_after_days", sa.Integer(), nullable=True))
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", AutoString(length=64), nullable=False),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("pseudonym", AutoString(length=200), nullable=True),
        sa.Column("link", AutoString(length=300), nullable=False),
        sa.Column("key", AutoString(length=200), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("read_at", when, nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "key", name="uq_notification_once"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_account_id"), ["account_id"])
    op.create_table(
        "notification_preference",
        sa.Column("account_id", AutoString(length=64), nullable=False),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("mode", AutoString(length=20), nullable=False),
        sa.CheckConstraint(
            "mode IN ('immediately', 'daily', 'off')", name="known_notification_mode"
        ),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("account_id", "kind"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", AutoString(length=320), nullable=True))
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("account_id", AutoString(length=64), nullable=False),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("channel", AutoString(length=20), nullable=False),
        sa.Column("at", when, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "channel", name="uq_delivery_once"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_notification_id"), ["notification_id"])
