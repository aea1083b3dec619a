"""The taxonomy crosswalks: AIRS / 211 LA code prefixes, names tolerant of case,
plurals and synonyms, a site's own map first; programs whose terms map to nothing
kept, listed by frequency, never matched, and mapped again without re-importing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from matcher.cli import app
from matcher.interop.taxonomy import (
    TaxonomyInvalid,
    code_prefixes,
    load_taxonomy,
    name_key,
    read_crosswalk,
)
from matcher.interop.taxonomy_store import remap, unmapped_terms
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import export_scenario, programs_offering
from tests.interop.hsds.conftest import JSON_FEED, KITES, run_import

runner = CliRunner()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("BH-1800.8500", ["housing.shelter"]),
        ("bh-1800", ["housing.shelter"]),
        ("BH-1800.3500", []),  # a prefix mapped to nothing stops there
        ("RX-8450.8000-050", ["treatment.outpatient"]),
        ("RX-8450.3300-350", ["housing.recovery_residence"]),
        ("RX-1700.1700", ["treatment.detox"]),
        ("BD-1800.2000", ["food.pantry"]),
        ("BD-5000.8300", ["food.meals"]),
        ("BH-18000", []),  # not a prefix on a code boundary
        ("Food Pantries", ["food.pantry"]),
        ("FOOD PANTRY", ["food.pantry"]),
        ("Food Banks", ["food.pantry"]),  # a listed synonym, in the plural
        ("Emergency Shelters", ["housing.shelter"]),
        ("Syringe Exchange", ["harm_reduction.supplies"]),
        ("Recreational kite flying", []),
    ],
)
def test_codes_and_names_map_to_service_types(key: str, expected: list[str]) -> None:
    assert load_taxonomy().service_types_for(key) == expected


def test_code_prefixes_are_cut_at_code_boundaries() -> None:
    assert code_prefixes("RP-1400.8000-020.15") == [
        "RP-1400.8000-020.15",
        "RP-1400.8000-020",
        "RP-1400.8000",
        "RP-1400",
        "RP",
    ]
    assert code_prefixes("Food Pantry") == []
    assert name_key("Food & Clothing Pantries") == name_key("food and clothing pantry")


def test_a_site_map_comes_first_and_may_map_to_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site.csv"
    site.write_text(
        "term,service_type\nkites,peer.counseling\nBH-1800.1500,-\nFood Pantries,food.meals\n"
    )
    tax = load_taxonomy().with_site_map(site)
    assert tax.service_types_for("kites") == ["peer.counseling"]
    assert tax.service_types_for("BH-1800.1500-100") == []
    assert tax.service_types_for("BH-1800.8500") == ["housing.shelter"]
    assert tax.service_types_for("food pantry") == ["food.meals"]


def test_a_bad_crosswalk_row_names_file_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "crosswalk.csv"
    bad.write_text("prefix,service_type\nBH-1800,housing.castle\n")
    with pytest.raises(TaxonomyInvalid, match=r"crosswalk\.csv, row 2, service_type"):
        read_crosswalk(bad, load_taxonomy().service_types)
    site = tmp_path / "site.csv"
    site.write_text("term,service_type\nkites,\n")
    result = runner.invoke(app, ["import-hsds", str(JSON_FEED), "--taxonomy-map", str(site)])
    assert result.exit_code == 2
    assert "site.csv, row 2, service_type" in result.stderr


def test_unmapped_programs_are_kept_listed_and_never_exported(engine: Engine) -> None:
    report = run_import(engine, JSON_FEED)
    assert report.unmapped == {KITES: ["kites Recreational kite flying"]}
    assert report.top_unmapped() == [("kites Recreational kite flying", 1)]
    with session_scope(engine) as s:
        kept = s.get(t.Program, KITES)
        assert kept is not None
        assert kept.service_types == []
        assert unmapped_terms(s) == (1, [("kites Recreational kite flying", 1)])
        kept.lat, kept.lon = 47.6, -122.3  # even once located, no type: never exported
        s.add(kept)
    with session_scope(engine) as s:
        ids = {p.id for p in export_scenario(s, datetime.now(UTC)).programs}
    assert KITES not in ids
    assert len(ids) == 2  # the located, mapped ones


def test_a_changed_map_applies_without_reimporting(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, JSON_FEED)
    site = tmp_path / "site.csv"
    site.write_text("term,service_type\nkites,peer.counseling\n")
    with session_scope(engine) as s:
        result = remap(s, load_taxonomy().with_site_map(site))
    assert result.changed == {KITES: ([], ["peer.counseling"])}
    with session_scope(engine) as s:
        assert unmapped_terms(s) == (0, [])
        kites = s.get(t.Program, KITES)
        assert kites is not None
        assert kites.service_types == ["peer.counseling"]
        assert programs_offering(s, ["peer.counseling"]) == []  # still unlocated
        services = s.exec(
            select(t.ProgramService.service_type).where(t.ProgramService.program_id == KITES)
        )
        assert list(services) == ["peer.counseling"]
        again = remap(s, load_taxonomy().with_site_map(site))
    assert again.changed == {}


def test_the_commands_list_unmapped_terms_and_remap(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    imported = runner.invoke(app, ["import-hsds", str(JSON_FEED), "--database-url", url])
    assert imported.exit_code == 0, imported.output
    assert "1 unmapped" in imported.stderr
    assert "unmapped term (1 program(s)): kites Recreational kite flying" in imported.stderr
    listed = runner.invoke(app, ["taxonomy", "unmapped", "--database-url", url])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.split() == ["1", "kites", "Recreational", "kite", "flying"]
    site = tmp_path / "site.csv"
    site.write_text("term,service_type\nRecreational Kite Flying,peer.counseling\n")
    remapped = runner.invoke(
        app, ["taxonomy", "remap", "--taxonomy-map", str(site), "--database-url", url]
    )
    assert remapped.exit_code == 0, remapped.output
    assert f"{KITES}: (none) -> peer.counseling" in remapped.stderr
    assert runner.invoke(app, ["taxonomy"]).exit_code == 0  # the tree still prints
