"""The shipped taxonomy: Open Eligibility read whole (its repeated id kept apart), the
LEAD extension, the map both ways between terms and service types, and the command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.interop import taxonomy as tx
from matcher.interop.taxonomy import TaxonomyInvalid, build_taxonomy, load_taxonomy

runner = CliRunner()


def test_every_service_type_maps_to_at_least_one_term() -> None:
    tax = load_taxonomy()
    assert len(tax.service_types) == 24
    for code in tax.service_types:
        assert tax.terms_for_service_type(code), code


def test_every_mapped_term_leads_back_to_its_service_type() -> None:
    tax = load_taxonomy()
    for code in tax.service_types:
        for term in tax.terms_for_service_type(code):
            assert code in tax.service_types_for_term(term.id), (code, term.id)


@pytest.mark.parametrize(
    ("id_or_name", "expected"),
    [
        ("1180", ["treatment.detox"]),
        ("Detox", ["treatment.detox"]),
        ("lead-1", ["treatment.mat"]),
        ("medication for opioid use disorder", ["treatment.mat"]),
        ("Sober Living", ["housing.recovery_residence"]),  # two terms share the name
        ("1359", ["employment.placement"]),  # Supported Employment, under Help Find Work
        ("1376", ["legal.civil"]),  # inherited from Advocacy & Legal Aid
        ("1384", ["licensing.assistance"]),  # its own mapping beats its parent's
        ("1153", []),  # Nursing Home: its mapped parent keeps the mapping to itself
        ("1103", []),  # Housing: too broad to mean one service type
        ("20058", []),  # a human situation, not a service
        ("no such term", []),
    ],
    ids=lambda v: str(v),
)
def test_a_term_means_these_service_types(id_or_name: str, expected: list[str]) -> None:
    assert load_taxonomy().service_types_for_term(id_or_name) == expected


def test_the_repeated_open_eligibility_id_keeps_both_terms_and_is_reported() -> None:
    tax = load_taxonomy()
    first, second = tax.term("1206"), tax.term("1206-2")
    assert first is not None
    assert second is not None
    assert (first.name, second.name) == ("Medical Care", "Primary Care")
    assert (second.parent_id, second.code) == ("1206", "1206")
    assert len({t.id for t in tax.terms}) == len(tax.terms)
    assert any("1206" in note for note in tax.notes)


def test_extension_terms_have_ids_apart_from_open_eligibility() -> None:
    tax = load_taxonomy()
    ext = {t.name: t for t in tax.terms if t.taxonomy == "lead-extension"}
    for name in (
        "Medication for Opioid Use Disorder",
        "Harm Reduction Supplies",
        "Peer Counseling",
        "Licensing Assistance",
        "Small Business Counseling",
    ):
        assert name in ext
    assert all(t.id.startswith("lead-") and t.parent_id is not None for t in ext.values())
    assert all(t.code.isdigit() for t in tax.terms if t.taxonomy == "open-eligibility" if t.code)


def test_top_level_terms_carry_the_taxonomy_descriptions() -> None:
    food = load_taxonomy().term("1102")
    assert food is not None
    assert (food.description or "").startswith("Services for free meals")


def _copy_data(tmp_path: Path) -> dict[str, Path]:
    files = {
        "open_eligibility": tx.OPEN_ELIGIBILITY,
        "extension": tx.EXTENSION,
        "service_type_map": tx.SERVICE_TYPE_MAP,
        "service_types": tx.SERVICE_TYPES,
    }
    return {k: Path(shutil.copy(v, tmp_path / v.name)) for k, v in files.items()}


@pytest.mark.parametrize(
    ("target", "old", "new", "message"),
    [
        ("service_type_map", "treatment.detox,1180", "treatment.detox,9999", "row 13, term_id"),
        ("service_type_map", "food.meals,1131", "food.feast,1131", "row 20, service_type"),
        ("service_type_map", "food.meals,1131,yes", "food.meals,1131,maybe", "descendants"),
        ("extension", "lead-2,", "1180,", "row 3, id: '1180' is taken"),
        ("extension", ",1178,", ",7777,", "row 2, parent_id"),
        ("extension", "id,code,name", "ident,code,name", "row 1, id: required column"),
        ("open_eligibility", "<taxonomy>", "<taxonomy", "cannot read the taxonomy"),
    ],
    ids=["unknown-term", "unknown-type", "bad-flag", "taken-id", "unknown-parent", "header", "xml"],
)
def test_a_broken_data_file_is_named_with_its_row_and_field(
    tmp_path: Path, target: str, old: str, new: str, message: str
) -> None:
    paths = _copy_data(tmp_path)
    text = paths[target].read_text(encoding="utf-8")
    assert old in text
    paths[target].write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TaxonomyInvalid, match=message) as caught:
        build_taxonomy(**paths)
    assert paths[target].name in str(caught.value)


def test_the_command_prints_the_tree_with_service_types() -> None:
    result = runner.invoke(app, ["taxonomy"])
    assert result.exit_code == 0, result.output
    assert "1180     Detox  -> treatment.detox" in result.stdout
    assert "lead-1   Medication for Opioid Use Disorder [lead]  -> treatment.mat" in result.stdout
    assert "id 1206 appears more than once" in result.stderr


def test_the_command_shows_a_service_types_terms_as_json() -> None:
    result = runner.invoke(app, ["taxonomy", "--service-type", "housing.shelter", "--json"])
    assert result.exit_code == 0, result.output
    ids = [t["id"] for t in json.loads(result.stdout)]
    assert ids == ["1135", "1121"]


def test_the_command_answers_a_term_and_refuses_unknown_input() -> None:
    found = runner.invoke(app, ["taxonomy", "--term", "Peer Support"])
    assert found.exit_code == 0
    assert "peer.counseling" in found.stdout
    assert runner.invoke(app, ["taxonomy", "--term", "nothing"]).exit_code == 2
    unknown = runner.invoke(app, ["taxonomy", "--service-type", "housing.castle"])
    assert unknown.exit_code == 2
    assert "unknown service type" in unknown.stderr
