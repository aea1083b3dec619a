"""Reading an HMIS CSV export: beds per project and household type, beds in use on a
day, what is skipped and reported, what aborts, and that Client.csv is never opened."""

from __future__ import annotations

import builtins
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from matcher.interop.hmis import Facility, HmisInvalid, read_export
from tests.interop.hmis_fixtures import DAY, GOOD, export_dir


def facilities(directory: Path = GOOD, day: date = DAY) -> dict[str, Facility]:
    return {f.program_id: f for f in read_export(directory, day).facilities}


def test_one_program_per_project_and_household_type_with_a_bed_meaning() -> None:
    found = facilities()
    assert sorted(found) == [
        "hmis-P1-adults",
        "hmis-P1-families",
        "hmis-P2-adults",
        "hmis-P4-adults",
        "hmis-P5-adults",
    ]
    assert found["hmis-P1-adults"].service_type == "housing.shelter"
    assert found["hmis-P2-adults"].service_type == "housing.permanent_supportive"
    assert found["hmis-P4-adults"].service_type == "housing.transitional"


def test_open_beds_are_active_inventory_minus_enrolments_open_that_day() -> None:
    found = facilities()
    # 20 year-round beds; overflow (I3), ended (I7) and deleted (I8) rows do not count.
    # E1 and E3 are in; E2 left that day, E6 enters the next day, E11 was deleted.
    adults = found["hmis-P1-adults"]
    assert (adults.beds, adults.occupied, adults.open_beds) == (20, 2, 18)
    assert adults.details["hmis"]["OverflowBeds"] == 5
    # One household of two, one recorded as the head's child: the family beds.
    families = found["hmis-P1-families"]
    assert (families.beds, families.occupied, families.open_beds) == (10, 2, 8)
    assert families.details["hmis"]["occupancy_estimated"] is True


def test_permanent_housing_counts_beds_from_move_in_and_the_rest_as_waiting() -> None:
    apartments = facilities()["hmis-P2-adults"]
    # E7 moved in; E8 has no move-in date and E9 moves in later: both wait for a unit.
    assert (apartments.beds, apartments.occupied, apartments.waiting) == (10, 1, 2)
    assert apartments.open_beds == 9


def test_counts_follow_the_day_asked_about() -> None:
    later = facilities(day=date(2026, 11, 12))
    # E3 left on 11-05; E6 came on 11-02; E9 moved in on 11-10.
    assert later["hmis-P1-adults"].occupied == 2
    assert (later["hmis-P2-adults"].occupied, later["hmis-P2-adults"].waiting) == (2, 1)


def test_seasonal_inventory_counts_only_in_season() -> None:
    assert facilities(day=date(2026, 12, 15))["hmis-P2-adults"].beds == 15


def test_projects_without_beds_or_not_operating_are_skipped_and_reported() -> None:
    export = read_export(GOOD, DAY)
    skipped = [str(p) for p in export.skipped]
    assert skipped == [
        "error: Project.csv, row 4, ProjectType: 4 (Street Outreach) has no beds to match",
        "error: Project.csv, row 8, OperatingEndDate: closed before 2026-11-01",
    ]
    assert {"P3", "P6", "P7"} <= export.project_ids  # still listed: their programs close


def test_a_domestic_violence_project_keeps_no_street_address() -> None:
    shelter = facilities()["hmis-P5-adults"]
    assert shelter.confidential
    assert shelter.address == {"CoCCode": "WA-500", "State": "WA", "ZIP": "98144"}


def test_an_inventory_row_naming_an_unknown_project_is_skipped(tmp_path: Path) -> None:
    export = read_export(export_dir(tmp_path, "unknown-id"), DAY)
    assert "hmis-P5-adults" not in {f.program_id for f in export.facilities}
    skipped = [str(p) for p in export.skipped]
    assert "error: Inventory.csv, row 7, ProjectID: unknown or skipped 'P55'" in skipped


def test_an_unreadable_bed_count_skips_the_whole_project(tmp_path: Path) -> None:
    directory = export_dir(tmp_path)
    inventory = directory / "Inventory.csv"
    inventory.write_text(
        inventory.read_text().replace("I2,P1,WA-500,3,1,3,10,", "I2,P1,WA-500,3,1,3,ten,")
    )
    export = read_export(directory, DAY)
    assert not any(f.project_id == "P1" for f in export.facilities)
    problems = list(map(str, export.skipped))
    assert "error: Inventory.csv, row 3, BedInventory: 'ten' is not a whole number" in problems
    assert "error: Inventory.csv: project P1 skipped: an inventory row is bad" in problems


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("missing-column", "Inventory.csv, row 1, BedInventory: required column is missing"),
        ("wrong-type", "Enrollment.csv, row 8, EntryDate: '09/01/2026' is not a date"),
        ("bad-encoding", "Organization.csv, row 3: not UTF-8"),
    ],
    ids=["missing-column", "wrong-type", "bad-encoding"],
)
def test_export_wide_problems_abort_naming_file_row_and_field(
    tmp_path: Path, variant: str, message: str
) -> None:
    with pytest.raises(HmisInvalid, match=message):
        read_export(export_dir(tmp_path, variant), DAY)


def test_a_missing_file_aborts(tmp_path: Path) -> None:
    directory = export_dir(tmp_path)
    (directory / "Exit.csv").unlink()
    with pytest.raises(HmisInvalid, match=r"Exit.csv: file is missing"):
        read_export(directory, DAY)


def test_a_folder_that_is_not_there_aborts(tmp_path: Path) -> None:
    with pytest.raises(HmisInvalid, match="not a folder"):
        read_export(tmp_path / "nowhere", DAY)


def test_a_byte_order_mark_is_read_as_utf8(tmp_path: Path) -> None:
    directory = export_dir(tmp_path)
    for name in ("Project.csv", "Inventory.csv"):
        path = directory / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert facilities(directory) == facilities()


def test_client_csv_is_never_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open, real_read = builtins.open, Path.read_bytes

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_read(self: Path) -> bytes:
        opened.append(str(self))
        return real_read(self)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(Path, "read_bytes", spy_read)
    read_export(GOOD, DAY)
    assert any(name.endswith("Enrollment.csv") for name in opened)
    assert not any(name.endswith("Client.csv") for name in opened)
    assert (GOOD / "Client.csv").exists()


def test_a_bad_exit_date_of_a_counted_enrolment_aborts(tmp_path: Path) -> None:
    directory = export_dir(tmp_path)
    exits = directory / "Exit.csv"
    exits.write_text(exits.read_text().replace("X2,E3,C-103,2026-11-05,", "X2,E3,C-103,soon,"))
    with pytest.raises(HmisInvalid, match=r"Exit.csv, row 3, ExitDate: 'soon' is not a date"):
        read_export(directory, DAY)


def test_bad_rows_of_projects_not_imported_stop_nothing(tmp_path: Path) -> None:
    directory = export_dir(tmp_path)
    enrolments = directory / "Enrollment.csv"
    text = enrolments.read_text().replace("E10,C-110,P3,2026-10-01,", "E10,C-110,P3,someday,")
    enrolments.write_text(text)
    assert facilities(directory) == facilities()
