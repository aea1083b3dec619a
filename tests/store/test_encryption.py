"""Participant data at rest: encrypted, rotatable, migrated, and purged after retention."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from matcher.scenario import Attributes, Location, Participant, load_scenario
from matcher.service import participants
from matcher.service.retention import deidentify_inactive
from matcher.store import crypto
from matcher.store.crypto import RING
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.rotation import rotate_keys
from matcher.store.snapshot import import_scenario
from tests.conftest import ROOT

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    with session_scope(engine) as s:
        import_scenario(
            s, load_scenario(ROOT / "data" / "sample-city.json"), NOW, case_manager_id="cm"
        )
    return engine


def test_a_raw_select_shows_no_plaintext(loaded: Engine) -> None:
    with loaded.connect() as c:
        raw = " ".join(
            str(v)
            for row in c.execute(text("SELECT attributes, stay_away FROM participant"))
            for v in row
        )
    for word in ("active_use", "sex_work", "criminal_history", "radius_m", "true"):
        assert word not in raw
    with session_scope(loaded) as s:
        person = participants.get(s, "cm", "p-2895")
    assert person.attributes.active_use is True


def test_populations_are_encrypted_at_rest_and_come_back_whole(engine: Engine) -> None:
    person = Participant(
        id="p-vet",
        location=Location(lat=47.6, lon=-122.3),
        attributes=Attributes(populations=["veteran", "dv_survivor"]),
        needs=[],
    )
    with session_scope(engine) as s:
        participants.create(s, "cm", person, NOW)
    with engine.connect() as c:
        raw = str(c.execute(text("SELECT attributes FROM participant")).scalar_one())
    for word in ("populations", "veteran", "dv_survivor"):
        assert word not in raw
    with session_scope(engine) as s:
        back = participants.get(s, "cm", "p-vet")
    assert back.attributes.populations == ["veteran", "dv_survivor"]


def test_keys_rotate(loaded: Engine) -> None:
    old = RING.get()
    first = crypto.new_key()
    current = os.environ["MATCHER_DATA_KEYS"].split(",")[0]
    try:
        RING.configure([first, current])
        with session_scope(loaded) as s:
            assert rotate_keys(s) == 80
        RING.configure([first])  # the old key is gone: every row still opens
        with session_scope(loaded) as s:
            assert participants.get(s, "cm", "p-2895").attributes.active_use is True
    finally:
        RING.multi = old


def test_a_row_no_configured_key_opens_says_where_keys_come_from(loaded: Engine) -> None:
    old = RING.get()
    other = crypto.new_key()
    try:
        RING.configure([other])
        with pytest.raises(crypto.KeysMissing) as missing, session_scope(loaded) as s:
            participants.get(s, "cm", "p-2895")
    finally:
        RING.multi = old
    said = str(missing.value)
    assert "MATCHER_DATA_KEYS" in said
    assert ".matcher-dev-data-key" in said
    assert str(Path.cwd()) in said
    for key in (other, *os.environ["MATCHER_DATA_KEYS"].split(",")):
        assert key not in said  # never key material


def test_an_empty_key_list_says_where_keys_come_from() -> None:
    with pytest.raises(crypto.KeysMissing) as missing:
        RING.configure([])  # refused before the ring changes
    assert "at least one key" in str(missing.value)
    assert ".matcher-dev-data-key" in str(missing.value)


def test_migration_encrypts_existing_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO participant (id, case_manager_id, active, lat, lon, attributes,"
                " prefers, languages, stay_away, avoid_programs, created_at, updated_at, version)"
                " VALUES"
                " ('p', 'cm', 1, 47.6, -122.3, '{\"sex_work\": true}', '[]', '[]', '[]', '[]',"
                " '2026-11-01 00:00:00', '2026-11-01 00:00:00', 1)"
            )
        )
    upgrade(engine)
    with engine.connect() as c:
        raw = c.execute(text("SELECT attributes FROM participant")).scalar_one()
    assert "sex_work" not in raw
    with session_scope(engine) as s:
        assert participants.get(s, "cm", "p").attributes.sex_work is True
    engine.dispose()


def test_retention_deidentifies_only_long_inactive_participants(loaded: Engine) -> None:
    with session_scope(loaded) as s:
        person = participants.get(s, "cm", "p-2895")
        participants.update(s, "cm", person, NOW, active=False)
    with session_scope(loaded) as s:
        assert deidentify_inactive(s, NOW + timedelta(days=100), 365) == 0
        assert deidentify_inactive(s, NOW + timedelta(days=400), 365) == 1
    with session_scope(loaded) as s:
        after = participants.get(s, "cm", "p-2895")
        assert after.attributes.active_use is False  # back to the default: nothing known
        assert after.attributes.age is None
        assert [n.id for n in after.needs] == [n.id for n in person.needs]  # history stays
        assert deidentify_inactive(s, NOW + timedelta(days=800), 365) == 0
