"""Languages enter the store as standard codes, and rows written before are converted."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from matcher.rules.tables import build_tables, shares_bit
from matcher.store.engine import MIGRATIONS, session_scope, upgrade
from matcher.store.snapshot import export_scenario, import_scenario
from tests.builders import make_participant, make_program, make_scenario

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
REVISION = "0015"


def test_import_stores_codes_and_a_spanish_speaker_meets_a_program_that_listed_spanish(
    engine: Engine,
) -> None:
    scenario = make_scenario(
        [make_program(id="g", languages=["Spanish", "English", "es"])],
        [make_participant(id="x", languages=["es-MX", "Tagalog"])],
    )
    with session_scope(engine) as s:
        import_scenario(s, scenario, NOW, case_manager_id="cm")
    with session_scope(engine) as s:
        live = export_scenario(s, NOW)
    assert live.programs[0].languages == ["es", "en"]
    assert live.participants[0].languages == ["es", "fil"]
    tables = build_tables(live)
    assert shares_bit(tables.participants.languages, tables.programs.languages).all()


def _stamp_before_this_migration(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    before = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, str(before), purge=True)


def test_the_migration_turns_stored_language_names_into_codes(engine: Engine) -> None:
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([make_program(id="g")]), NOW)
    _stamp_before_this_migration(engine)
    with engine.begin() as c:
        c.execute(text("""UPDATE program SET languages = '["Spanish", "vi", " Nadsat"]'"""))
    upgrade(engine, REVISION)  # this migration only: later ones are applied already
    with session_scope(engine) as s:
        (program,) = export_scenario(s, NOW).programs
    assert program.languages == ["es", "vi", "nadsat"]
