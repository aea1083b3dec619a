"""Webhook endpoints, their deliveries and attempts; daily digests

Revision ID: 0019_webhooks
Revises: 0018
Create Date: 2026-11-25 17:20:00

A provider account may have webhook endpoints (a URL and a signing secret, encrypted
with the data keys). Each notification to such an account becomes one delivery per
endpoint (unique), tried with exponential backoff; each attempt is logged with its
HTTP status, never its body, and at most one attempt of a delivery succeeds (a
partial unique index). A digest row claims an account's daily e-mail, once a day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import matcher.store.crypto
import matcher.store.types

revision: str = "0019_webhooks"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERED_ONCE = "outcome = 'delivered'"


def upgrade() -> None:
    when = matcher.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", AutoString(length=32), nullable=False),
        sa.Column("account_id", AutoString(length=64), nullable=False),
        sa.Column("url", AutoString(length=2000), nullable=False),
        sa.Column("secret", matcher.store.crypto.EncryptedJSON(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("created_by", AutoString(length=200), nullable=False),
        sa.Column("removed_at", when, nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_endpoint_account_id"), ["account_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", AutoString(length=32), nullable=False),
        sa.Column("account_id", AutoString(length=64), nullable=False),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", when, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("finished_at", when, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed', 'skipped')", name="known_webhook_status"
        ),
        sa.CheckConstraint("attempts >= 0", name="webhook_attempts_non_negative"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoint.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "endpoint_id", name="uq_webhook_delivery_once"),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_delivery_due", ["status", "next_attempt_at"])
        batch_op.create_index(batch_op.f("ix_webhook_delivery_endpoint_id"), ["endpoint_id"])
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_notification_id"), ["notification_id"]
        )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", when, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("outcome", AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_delivery.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id", "attempt", name="uq_webhook_attempt"),
    )
    with op.batch_alter_table("webhook_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_attempt_at"), ["at"])
        batch_op.create_index(batch_op.f("ix_webhook_attempt_delivery_id"), ["delivery_id"])
        batch_op.create_index(
            "ux_webhook_attempt_delivered",
            ["delivery_id"],
            unique=True,
            sqlite_where=sa.text(DELIVERED_ONCE),
            postgresql_where=sa.text(DELIVERED_ONCE),
        )
    op.create_table(
        "digest",
        sa.Column("account_id", AutoString(length=64), nullable=False),
        sa.Column("day", AutoString(length=10), nullable=False),
        sa.Column("sent_at", when, nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("digest")
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_endpoint")
