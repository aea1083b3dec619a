"""Migration 0011 on a store written before it: the sent time, the provider's report
version and the reasons of withdrawals are filled from history, and a need that had
two open referrals keeps the newest, the other released through the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlmodel import select

from matcher.service import capacity, referrals
from matcher.store import tables as t
from matcher.store.engine import MIGRATIONS, _pragma, make_engine, session_scope, upgrade
from tests.dbs import BACKENDS, fresh_database
from tests.service.world import CM, NOW, ORG, TTL, check_store, hold, person, program, run, seed


def _downgrade(url: str, revision: str) -> None:
    """Back to ``revision`` (on SQLite with foreign keys off while tables are copied,
    as ``upgrade`` does)."""
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            _pragma(connection, "PRAGMA foreign_keys=OFF")
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_0011_fills_history_and_closes_duplicate_open_referrals(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        seed(engine, [program("a", open_slots=5), program("b", open_slots=5)], [person("x-1")])
        sent = hold(engine, "x-1", "x-1-0", "b")
        run(engine, lambda s: referrals.confirm(s, CM, sent.referral_id, NOW, TTL))
        run(engine, lambda s: referrals.withdraw(s, CM, sent.referral_id, NOW))
        older = hold(engine, "x-1", "x-1-0", "a")
        engine.dispose()
        _downgrade(url, "0010")
        engine = make_engine(url)
        # What the old code wrote: no reason on a withdrawal's row, and (without the
        # partial index) a second open referral for the need, at b.
        with engine.begin() as c:
            c.execute(
                text("UPDATE referral SET decline_reason = NULL WHERE id = :r"),
                {"r": sent.referral_id},
            )
            c.execute(
                text(
                    "INSERT INTO referral (id, program_id, participant_id, need_id, "
                    "case_manager_id, pool, status, price_cents, created_at, updated_at, "
                    "expires_at) SELECT 'r-newer', 'b', participant_id, need_id, "
                    "case_manager_id, pool, 'held', 0, created_at, updated_at, expires_at "
                    "FROM referral WHERE id = :r"
                ),
                {"r": older.referral_id},
            )
            c.execute(
                text(
                    "INSERT INTO referral_event (referral_id, status, at, actor) "
                    "SELECT 'r-newer', 'held', at, actor FROM referral_event WHERE referral_id = :r"
                ),
                {"r": older.referral_id},
            )
            version = c.execute(
                text("SELECT version FROM program_capacity WHERE program_id = 'b'")
            ).scalar_one()
            c.execute(
                text(
                    "INSERT INTO capacity_event (program_id, version, kind, at, actor, reason, "
                    "hold_id, pool, places, price_cents, expires_at) SELECT 'b', :v, "
                    "'hold_placed', at, actor, '', 'r-newer', pool, 0, 0, expires_at "
                    "FROM capacity_event WHERE hold_id = :r AND kind = 'hold_placed'"
                ),
                {"v": version + 1, "r": older.referral_id},
            )
            c.execute(
                text("UPDATE program_capacity SET version = :v WHERE program_id = 'b'"),
                {"v": version + 1},
            )
        upgrade(engine)
        with session_scope(engine) as s:
            rows = {r.id: r for r in s.exec(select(t.Referral))}
            assert rows[sent.referral_id].sent_at == NOW
            assert rows[sent.referral_id].decline_reason == "participant_declined"
            assert rows[older.referral_id].sent_at is None
            open_ones = [r for r in rows.values() if r.status in t.OPEN_REFERRAL_STATUSES]
            assert len(open_ones) == 1
            assert capacity.get_program(s, ORG, "a", NOW).version == 1  # the import's report
            assert capacity.get_program(s, ORG, "b", NOW).version == 1
        check_store(engine)
        engine.dispose()
