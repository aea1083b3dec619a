"""Read the facility part of a HUD HMIS CSV export (FY2024/FY2026) into programs with
open beds on a given day. Pure: files in, records out; ``hmis_store`` writes them.

Only Organization, Project, ProjectCoC and Inventory are read for what they say, and
Enrollment and Exit only to count beds in use on the day. Client.csv, which identifies
people, is never opened, and nothing here keeps a personal id past the count.

What aborts and what skips (``docs/hmis.md``): a problem that would make the counts
wrong everywhere, or over-state open beds anywhere, aborts the whole import with
``HmisInvalid`` (a missing file or column, a file that is not UTF-8, a malformed
Enrollment or Exit row: dropping an enrolment would show its bed as free and let a
participant displace the person in it). A problem confined to one facility skips that
facility and is reported (a project with an unknown type or organisation, an
inventory row naming an unknown project or with an unreadable count): leaving it out
under-states capacity, which can never displace anyone.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

FILES = ("Organization.csv", "Project.csv", "ProjectCoC.csv", "Inventory.csv")
OCCUPANCY_FILES = ("Enrollment.csv", "Exit.csv")
REQUIRED: dict[str, tuple[str, ...]] = {
    "Organization.csv": ("OrganizationID", "OrganizationName"),
    "Project.csv": ("ProjectID", "OrganizationID", "ProjectName", "ProjectType"),
    "ProjectCoC.csv": ("ProjectCoCID", "ProjectID", "CoCCode"),
    "Inventory.csv": (
        "InventoryID",
        "ProjectID",
        "HouseholdType",
        "BedInventory",
        "InventoryStartDate",
    ),
    "Enrollment.csv": ("EnrollmentID", "ProjectID", "EntryDate"),
    "Exit.csv": ("ExitID", "EnrollmentID", "ExitDate"),
}

SERVICE_TYPE = {
    0: "housing.shelter",  # emergency shelter, entry/exit
    1: "housing.shelter",  # emergency shelter, night-by-night
    2: "housing.transitional",
    3: "housing.permanent_supportive",
    8: "housing.shelter",  # safe haven: low-demand shelter
    9: "housing.permanent_supportive",  # permanent housing, housing only
    10: "housing.permanent_supportive",  # permanent housing with services
    13: "housing.rapid_rehousing",
}
PROJECT_TYPE_NAME = {
    0: "Emergency Shelter - Entry Exit",
    1: "Emergency Shelter - Night-by-Night",
    2: "Transitional Housing",
    3: "PH - Permanent Supportive Housing",
    4: "Street Outreach",
    6: "Services Only",
    7: "Other",
    8: "Safe Haven",
    9: "PH - Housing Only",
    10: "PH - Housing with Services",
    11: "Day Shelter",
    12: "Homelessness Prevention",
    13: "PH - Rapid Re-Housing",
    14: "Coordinated Entry",
}
PERMANENT = {3, 9, 10, 13}
"""Project types where a bed is in use from the move-in date, not the entry date."""

HOUSEHOLD = {1: "adults", 3: "families", 4: "children"}
HOUSEHOLD_NAME = {1: "without children", 3: "adults and children", 4: "children only"}
ELIGIBILITY: dict[int, dict[str, Any]] = {
    1: {"households": ["single", "couple"]},
    3: {"households": ["family"]},
    4: {"max_age": 17},
}
OVERFLOW = 3
"""Availability code of overflow beds, opened only in emergencies: never counted open."""


@dataclass(frozen=True)
class Problem:
    """One problem in the export: where (file, row = line number, field) and what."""

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
        return where + (f", {self.field}" if self.field else "") + f": {self.message}"


class HmisInvalid(ValueError):
    """The export cannot be imported at all; nothing was written."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class _RowError(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


@dataclass
class Facility:
    """One program to store: a project's beds for one household type on the day."""

    program_id: str
    organization_id: str
    organization_name: str
    project_id: str
    name: str
    service_type: str
    household_type: int
    beds: int
    occupied: int = 0
    waiting: int = 0
    confidential: bool = False
    address: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def open_beds(self) -> int:
        """Beds nobody is in on the day (never below zero)."""
        return max(0, self.beds - self.occupied)


@dataclass
class HmisExport:
    """What the export says on ``day``: facilities, the projects it lists (to close
    programs whose beds are gone), and the rows skipped with why."""

    day: date
    facilities: list[Facility]
    project_ids: set[str]
    skipped: list[Problem]


Row = tuple[int, dict[str, str]]


def read_rows(directory: Path, name: str, deleted: list[Row] | None = None) -> list[Row]:
    """The rows of one export file with their line numbers, after checking that it is
    UTF-8 (a byte-order mark is allowed) and has the required columns. Rows with a
    ``DateDeleted`` are left out (or put in ``deleted`` when given)."""
    path = directory / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise HmisInvalid(Problem(name, None, None, "file is missing from the export")) from None
    except OSError as error:
        raise HmisInvalid(Problem(name, None, None, f"cannot read: {error}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        message = f"not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})"
        raise HmisInvalid(Problem(name, line, None, message)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    for column in REQUIRED[name]:
        if column not in header:
            raise HmisInvalid(Problem(name, 1, column, "required column is missing"))
    reader.fieldnames = header
    rows: list[Row] = []
    try:
        for row in reader:
            if None in row:
                raise HmisInvalid(Problem(name, reader.line_num, None, "more values than columns"))
            clean = {k: (v or "").strip() for k, v in row.items()}
            if not clean.get("DateDeleted"):
                rows.append((reader.line_num, clean))
            elif deleted is not None:
                deleted.append((reader.line_num, clean))
    except csv.Error as error:
        raise HmisInvalid(Problem(name, reader.line_num, None, f"malformed CSV: {error}")) from None
    return rows


def _text(name: str, line: int, row: dict[str, str], column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise _RowError(Problem(name, line, column, "must not be empty"))
    return value


def _int(name: str, line: int, row: dict[str, str], column: str, *, optional: bool = False) -> int:
    value = row.get(column, "")
    if not value and optional:
        return 0
    try:
        number = int(value)
    except ValueError:
        raise _RowError(Problem(name, line, column, f"{value!r} is not a whole number")) from None
    if number < 0:
        raise _RowError(Problem(name, line, column, f"{number} must be >= 0"))
    return number


def _date(name: str, line: int, row: dict[str, str], column: str) -> date | None:
    value = row.get(column, "")
    if not value:
        return None
    try:
        return (
            datetime.fromisoformat(value).date() if len(value) > 10 else date.fromisoformat(value)
        )
    except ValueError:
        raise _RowError(
            Problem(name, line, column, f"{value!r} is not a date (YYYY-MM-DD)")
        ) from None


@dataclass(frozen=True)
class _Organization:
    name: str
    victim_service_provider: bool


def _organizations(directory: Path, skipped: list[Problem]) -> dict[str, _Organization]:
    names: dict[str, _Organization] = {}
    for line, row in read_rows(directory, "Organization.csv"):
        try:
            oid = _text("Organization.csv", line, row, "OrganizationID")
            name = row.get("OrganizationCommonName") or _text(
                "Organization.csv", line, row, "OrganizationName"
            )
        except _RowError as error:
            skipped.append(error.problem)
            continue
        names[oid] = _Organization(name, row.get("VictimServiceProvider") == "1")
    return names


def _addresses(directory: Path) -> dict[str, dict[str, str]]:
    """Each project's first ProjectCoC row that has an address or ZIP code."""
    out: dict[str, dict[str, str]] = {}
    for _, row in read_rows(directory, "ProjectCoC.csv"):
        pid = row.get("ProjectID", "")
        fields = ("CoCCode", "Geocode", "Address1", "Address2", "City", "State", "Zip")
        address = {k: row[k] for k in fields if row.get(k)}
        if pid and pid not in out and (address.get("Zip") or address.get("Address1")):
            out[pid] = address
        elif pid and pid not in out and "CoCCode" in address:
            out.setdefault(pid, address)
    return out


@dataclass
class _Project:
    line: int
    row: dict[str, str]
    project_type: int
    organization: str


def _projects(
    directory: Path, organizations: dict[str, _Organization], day: date, skipped: list[Problem]
) -> tuple[dict[str, _Project], set[str]]:
    name = "Project.csv"
    active: dict[str, _Project] = {}
    deleted: list[Row] = []
    rows = read_rows(directory, name, deleted)
    listed = {row["ProjectID"] for _, row in deleted if row.get("ProjectID")}
    for line, row in rows:
        try:
            pid = _text(name, line, row, "ProjectID")
            listed.add(pid)
            if pid in active:
                raise _RowError(Problem(name, line, "ProjectID", f"{pid} is listed twice"))
            kind = _int(name, line, row, "ProjectType")
            if kind not in SERVICE_TYPE:
                what = PROJECT_TYPE_NAME.get(kind, "unknown type")
                raise _RowError(
                    Problem(name, line, "ProjectType", f"{kind} ({what}) has no beds to match")
                )
            org = _text(name, line, row, "OrganizationID")
            if org not in organizations:
                raise _RowError(Problem(name, line, "OrganizationID", f"unknown {org}"))
            start = _date(name, line, row, "OperatingStartDate")
            end = _date(name, line, row, "OperatingEndDate")
            if start is not None and start > day:
                raise _RowError(Problem(name, line, "OperatingStartDate", f"opens after {day}"))
            if end is not None and end < day:
                raise _RowError(Problem(name, line, "OperatingEndDate", f"closed before {day}"))
        except _RowError as error:
            skipped.append(error.problem)
            continue
        active[pid] = _Project(line, row, kind, org)
    return active, listed


def _beds(
    directory: Path, projects: dict[str, _Project], day: date, skipped: list[Problem]
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Inventory rows active on ``day``, per (project, household type). A project with
    any unreadable inventory row is dropped whole (a partial count would mislead)."""
    name = "Inventory.csv"
    out: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    broken: set[str] = set()
    for line, row in read_rows(directory, name):
        pid = row.get("ProjectID", "")
        try:
            if pid not in projects:
                raise _RowError(Problem(name, line, "ProjectID", f"unknown or skipped {pid!r}"))
            household = _int(name, line, row, "HouseholdType")
            if household not in HOUSEHOLD:
                raise _RowError(Problem(name, line, "HouseholdType", f"unknown {household}"))
            beds = _int(name, line, row, "BedInventory")
            units = _int(name, line, row, "UnitInventory", optional=True)
            start = _date(name, line, row, "InventoryStartDate")
            end = _date(name, line, row, "InventoryEndDate")
            availability = _int(name, line, row, "Availability", optional=True)
        except _RowError as error:
            skipped.append(error.problem)
            if pid in projects:
                broken.add(pid)
            continue
        if (start is not None and start > day) or (end is not None and end < day):
            continue
        item = {
            "InventoryID": row.get("InventoryID", ""),
            "CoCCode": row.get("CoCCode", ""),
            "BedInventory": beds,
            "UnitInventory": units,
            "Availability": availability or None,
            "ESBedType": row.get("ESBedType") or None,
        }
        out[(pid, household)].append(item)
    for pid in sorted(broken):
        for key in [k for k in out if k[0] == pid]:
            del out[key]
        skipped.append(Problem(name, None, None, f"project {pid} skipped: an inventory row is bad"))
    return out


def _exits(directory: Path) -> dict[str, list[Row]]:
    """Exit rows by enrolment, read but not yet checked: only the exits of enrolments
    that are counted are parsed, so a bad row elsewhere in the export stops nothing."""
    exits: dict[str, list[Row]] = defaultdict(list)
    for line, row in read_rows(directory, "Exit.csv"):
        exits[row.get("EnrollmentID", "")].append((line, row))
    return exits


def _exit_day(rows: list[Row]) -> date | None:
    """The earliest exit of an enrolment; aborts on an unreadable or empty date (an
    unknown exit would keep a bed looking taken, but a wrong one could free it)."""
    days: list[date] = []
    for line, row in rows:
        try:
            when = _date("Exit.csv", line, row, "ExitDate")
        except _RowError as error:
            raise HmisInvalid(error.problem) from None
        if when is None:
            raise HmisInvalid(Problem("Exit.csv", line, "ExitDate", "must not be empty"))
        days.append(when)
    return min(days, default=None)


@dataclass
class _Household:
    has_child: bool = False
    housed: int = 0
    waiting: int = 0


def _households(
    directory: Path, projects: dict[str, _Project], day: date
) -> Iterator[tuple[str, _Household]]:
    """Households in active projects with someone enrolled on ``day``: people in a bed
    (``housed``) and, in permanent housing, enrolled but not yet moved in (``waiting``)."""
    name = "Enrollment.csv"
    exits = _exits(directory)
    households: dict[tuple[str, str], _Household] = defaultdict(_Household)
    for line, row in read_rows(directory, name):
        pid = row.get("ProjectID", "")
        if pid not in projects:
            continue  # another project's enrolment: it fills none of the beds counted
        try:
            enrollment = _text(name, line, row, "EnrollmentID")
            entry = _date(name, line, row, "EntryDate")
            if entry is None:
                raise _RowError(Problem(name, line, "EntryDate", "must not be empty"))
            move_in = _date(name, line, row, "MoveInDate")
            relationship = row.get("RelationshipToHoH", "")
        except _RowError as error:
            raise HmisInvalid(error.problem) from None
        if entry > day:
            continue
        exit_day = _exit_day(exits.get(enrollment, []))
        if exit_day is not None and exit_day <= day:
            continue
        house = households[(pid, row.get("HouseholdID") or enrollment)]
        house.has_child |= relationship == "2"
        if projects[pid].project_type not in PERMANENT or (move_in is not None and move_in <= day):
            house.housed += 1
        else:
            house.waiting += 1
    for (pid, _), house in households.items():
        yield pid, house


def _household_type(types: list[int], house: _Household) -> int:
    """Which of a project's household types a household fills: exact when the project
    has one; otherwise estimated from whether anyone is recorded as the head's child."""
    if len(types) == 1:
        return types[0]
    if house.has_child and 3 in types:
        return 3
    return 1 if 1 in types else types[0]


def read_export(directory: Path, day: date) -> HmisExport:
    """The export in ``directory`` as facilities with their beds in use on ``day``.
    Raises ``HmisInvalid`` for anything that aborts the import."""
    skipped: list[Problem] = []
    if not directory.is_dir():
        raise HmisInvalid(Problem(str(directory), None, None, "not a folder of export files"))
    for name in (*FILES, *OCCUPANCY_FILES):
        if not (directory / name).is_file():
            raise HmisInvalid(Problem(name, None, None, "file is missing from the export"))
    organizations = _organizations(directory, skipped)
    projects, listed = _projects(directory, organizations, day, skipped)
    addresses = _addresses(directory)
    beds = _beds(directory, projects, day, skipped)
    facilities: dict[tuple[str, int], Facility] = {}
    for (pid, household), rows in sorted(beds.items()):
        usable = [r for r in rows if r["Availability"] != OVERFLOW]
        facilities[(pid, household)] = _facility(
            projects[pid], pid, household, rows, usable, organizations, addresses.get(pid, {})
        )
    types: dict[str, list[int]] = defaultdict(list)
    for pid, household in sorted(facilities):
        types[pid].append(household)
    for pid, house in _households(directory, projects, day):
        if pid not in types:
            continue
        target = facilities[(pid, _household_type(types[pid], house))]
        target.occupied += house.housed
        target.waiting += house.waiting
    for (pid, _), facility in facilities.items():
        facility.details["hmis"]["occupancy_estimated"] = len(types[pid]) > 1
    return HmisExport(day, list(facilities.values()), listed, skipped)


def _facility(
    project: _Project,
    pid: str,
    household: int,
    rows: list[dict[str, Any]],
    usable: list[dict[str, Any]],
    organizations: dict[str, _Organization],
    address: dict[str, str],
) -> Facility:
    row = project.row
    organization = organizations[project.organization]
    confidential = row.get("TargetPopulation") == "1" or organization.victim_service_provider
    beds = sum(int(r["BedInventory"]) for r in usable)
    hmis: dict[str, Any] = {
        "ProjectID": pid,
        "OrganizationID": project.organization,
        "ProjectType": project.project_type,
        "ProjectTypeName": PROJECT_TYPE_NAME[project.project_type],
        "HouseholdType": household,
        "HousingType": row.get("HousingType") or None,
        "TargetPopulation": row.get("TargetPopulation") or None,
        "ContinuumProject": row.get("ContinuumProject") or None,
        "ExportID": row.get("ExportID") or None,
        "BedInventory": beds,
        "OverflowBeds": sum(int(r["BedInventory"]) for r in rows) - beds,
        "UnitInventory": sum(int(r["UnitInventory"]) for r in usable),
        "Inventory": rows,
        "occupancy_estimated": False,
    }
    # A domestic-violence project's address is never kept or sent to a geocoder.
    kept = {k: v for k, v in address.items() if k in ("CoCCode", "Zip", "State")}
    hmis["address"] = kept if confidential else address
    return Facility(
        program_id=f"hmis-{pid}-{HOUSEHOLD[household]}",
        organization_id=f"hmis-org-{project.organization}",
        organization_name=organization.name,
        project_id=pid,
        name=f"{row.get('ProjectName', pid)} ({HOUSEHOLD_NAME[household]})",
        service_type=SERVICE_TYPE[project.project_type],
        household_type=household,
        beds=beds,
        confidential=confidential,
        address=hmis["address"],
        details={"hmis": hmis},
    )
