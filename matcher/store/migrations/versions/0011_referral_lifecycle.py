"""referral lifecycle: one open referral per need, sent time, response deadline,
cleared declines, and the provider's own report version

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matcher.store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('held', 'referred')"


def _when(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, matcher.store.types.UTCDateTime(timezone=True), nullable=True)


def _close_duplicate_open_referrals() -> None:
    """Before the index: a need with several open referrals (possible before it) keeps
    the newest; the others are released through the ledger, with their history."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT id, need_id, program_id, pool, updated_at FROM referral WHERE {OPEN} "
            "ORDER BY need_id, created_at DESC, id DESC"
        )
    ).all()
    seen: set[str] = set()
    for rid, need_id, program_id, pool, at in rows:
        if need_id not in seen:
            seen.add(need_id)
            continue
        version = bind.execute(
            sa.text("SELECT version FROM program_capacity WHERE program_id = :p"),
            {"p": program_id},
        ).scalar_one()
        bind.execute(
            sa.text(
                "INSERT INTO capacity_event (program_id, version, kind, at, actor, reason, "
                "hold_id, pool, places, price_cents) VALUES (:p, :v, 'hold_released', :at, "
                "'system', 'duplicate_open', :h, :pool, 0, 0)"
            ),
            {"p": program_id, "v": version + 1, "at": at, "h": rid, "pool": pool},
        )
        bind.execute(
            sa.text("UPDATE program_capacity SET version = :v WHERE program_id = :p"),
            {"p": program_id, "v": version + 1},
        )
        bind.execute(sa.text("UPDATE referral SET status = 'released' WHERE id = :r"), {"r": rid})
        bind.execute(
            sa.text(
                "INSERT INTO referral_event (referral_id, status, at, actor, reason) "
                "VALUES (:r, 'released', :at, 'system', 'duplicate_open')"
            ),
            {"r": rid, "at": at},
        )


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(_when("sent_at"))
        batch_op.add_column(_when("respond_by"))
        batch_op.add_column(_when("decline_cleared_at"))
    with op.batch_alter_table("program_capacity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE referral SET sent_at = (SELECT MIN(e.at) FROM referral_event e "
        "WHERE e.referral_id = referral.id AND e.status = 'referred')"
    )
    op.execute(
        "UPDATE program_capacity SET report_version = (SELECT COUNT(*) FROM capacity_event e "
        "WHERE e.program_id = program_capacity.program_id AND e.kind = 'reported')"
    )
    op.execute(
        "UPDATE referral SET decline_reason = (SELECT MAX(e.reason) FROM referral_event e "
        "WHERE e.referral_id = referral.id AND e.status = 'withdrawn') WHERE status = 'withdrawn'"
    )
    _close_duplicate_open_referrals()
    op.create_index(
        "ux_referral_open_need",
        "referral",
        ["need_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ux_referral_open_need", table_name="referral")
    with op.batch_alter_table("program_capacity", schema=None) as batch_op:
        batch_op.drop_column("report_version")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("decline_cleared_at")
        batch_op.drop_column("respond_by")
        batch_op.drop_column("sent_at")
