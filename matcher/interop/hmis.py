"""Read the facility part of a HUD HMIS CSV export (FY2022 to FY2026) into programs with
open beds on a given day. Pure: files in, records out; ``hmis_store`` writes them.

Export.csv is read for the format version and the export period (the day counted
defaults to the period's end). Organization, Project, ProjectCoC and Inventory are
read for what they say, and Enrollment and Exit only to count beds in use on the day.
Column names are matched without regard to case (HUD spells ``ZIP``, some systems
``Zip``). Client.csv, which identifies
people, is never opened, and nothing here keeps a personal id past the count.

What aborts and what skips (``docs/hmis.md``): a problem that would make the counts
wrong everywhere, or over-state open beds anywhere, aborts the whole import with
``HmisInvalid`` (a missing file or column, a file that is not UTF-8, broken CSV
quoting or a row with more or fewer values than columns in any file, a malformed
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
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from matcher.interop.geocode import zip_state
from matcher.interop.problems import Problem, Severity
from matcher.interop.problems import row as row_at

FILES = ("Export.csv", "Organization.csv", "Project.csv", "ProjectCoC.csv", "Inventory.csv")
OCCUPANCY_FILES = ("Enrollment.csv", "Exit.csv")
REQUIRED: dict[str, tuple[str, ...]] = {
    "Export.csv": ("ExportID", "ExportStartDate", "ExportEndDate"),
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
DEDICATED = {
    "CHVetBedInventory": "veteran",
    "YouthVetBedInventory": "veteran",
    "VetBedInventory": "veteran",
    "CHYouthBedInventory": "youth",
    "YouthBedInventory": "youth",
    "CHBedInventory": "chronically_homeless",
}
"""Inventory columns of beds dedicated to a population, and the ``reserved_for`` value
each becomes. A bed for chronically homeless veterans (or youth) needs both; the
contract's ``reserved_for`` is "at least one of", so it keeps the population whose
beds are funded for it alone (veterans, youth) and the details keep the column."""
TARGET_POPULATION = {"1": "dv_survivor", "3": "hiv"}
"""Project ``TargetPopulation`` codes that reserve the whole project for a population."""
YOUTH_MAX_AGE = 24
"""HUD's youth beds are for people under 25."""
OPTIONAL_COLUMNS = (
    "CSVVersion",
    "ExportDate",
    "SoftwareName",
    "SourceName",
    "OrganizationCommonName",
    "VictimServiceProvider",
    "OperatingStartDate",
    "OperatingEndDate",
    "ContinuumProject",
    "HousingType",
    "TargetPopulation",
    "TrackingMethod",
    "RRHSubType",
    "Geocode",
    "Address1",
    "Address2",
    "City",
    "State",
    "ZIP",
    "Availability",
    "UnitInventory",
    "OtherBedInventory",
    "ESBedType",
    "InventoryEndDate",
    "HouseholdID",
    "RelationshipToHoH",
    "MoveInDate",
    "DateDeleted",
    "ExportID",
    *DEDICATED,
)
ALIASES = {"zipcode": "ZIP", "victimservicesprovider": "VictimServiceProvider"}
"""Spellings of earlier HMIS formats (and of systems that export them), by lower case."""
CANONICAL = {
    name.lower(): name for names in REQUIRED.values() for name in (*names, *OPTIONAL_COLUMNS)
} | ALIASES

BED_NIGHT = {0, 1, 2, 3, 8, 9, 10}
"""Project types whose inventory is beds a person sleeps in, so that free beds are a
vacancy count. Rapid re-housing (13) inventory counts households housed in the
market, not places that are free: its programs are kept with capacity unknown."""
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
    1: {"households": ["single", "couple"], "min_age": 18},
    3: {"households": ["family"]},
    4: {"max_age": 17},
}
OVERFLOW = 3
"""Availability code of overflow beds, opened only in emergencies: never counted open."""


def _problem(
    file: str, line: int | None, field: str | None, message: str, severity: Severity = "error"
) -> Problem:
    """A problem at a line of an export file (HMIS names no rules of its own)."""
    return Problem(file, row_at(line), field, None, message, severity)


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
    """One program to store: a project's beds for one household type on the day, or
    the part of them dedicated to one population (``reserved_for``)."""

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
    counts_beds: bool = True
    reserved_for: tuple[str, ...] = ()
    address: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def open_beds(self) -> int | None:
        """Beds nobody is in on the day (never below zero); None (unknown) for a project
        type whose inventory is not a count of beds that can be free."""
        if not self.counts_beds:
            return None
        return max(0, self.beds - self.occupied)

    @property
    def eligibility(self) -> dict[str, Any]:
        """The scenario contract's ``eligibility`` of this program."""
        rules: dict[str, Any] = dict(ELIGIBILITY[self.household_type])
        if self.reserved_for:
            rules["reserved_for"] = list(self.reserved_for)
        if "youth" in self.reserved_for:
            rules["max_age"] = min(rules.get("max_age", YOUTH_MAX_AGE), YOUTH_MAX_AGE)
        return rules


@dataclass(frozen=True)
class ExportInfo:
    """What Export.csv says about the export: its format and the period it covers."""

    export_id: str
    csv_version: str
    start: date
    end: date
    exported: date | None = None
    software: str | None = None

    def covers(self, day: date) -> bool:
        """Whether ``day`` is inside the export period."""
        return self.start <= day <= self.end


@dataclass
class HmisExport:
    """What the export says on ``day``: facilities, the projects it lists (to close
    programs whose beds are gone), the rows skipped with why, and warnings about the
    export as a whole (a day outside its period)."""

    day: date
    facilities: list[Facility]
    project_ids: set[str]
    skipped: list[Problem]
    info: ExportInfo | None = None
    warnings: list[Problem] = field(default_factory=list)


Row = tuple[int, dict[str, str]]


def _canonical(header: list[str]) -> list[str]:
    """Header names as this module spells them, whatever their case in the file."""
    return [CANONICAL.get(h.strip().lower(), h.strip()) for h in header]


def read_rows(directory: Path, name: str, deleted: list[Row] | None = None) -> list[Row]:
    """The rows of one export file with their line numbers, after checking that it is
    UTF-8 (a byte-order mark is allowed), well-formed CSV with as many values as
    columns on every row, and has the required columns (in any case). Rows with a
    ``DateDeleted`` are left out (or put in ``deleted`` when given)."""
    path = directory / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise HmisInvalid(_problem(name, None, None, "file is missing from the export")) from None
    except OSError as error:
        raise HmisInvalid(_problem(name, None, None, f"cannot read: {error}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        message = f"not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})"
        raise HmisInvalid(_problem(name, line, None, message)) from None
    # Strict: a stray quote swallows the rows after it into one value, and a row
    # lost that way is an enrolment not counted, a bed shown free that is not.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    try:
        header = _canonical(next(reader, []))
        for column in REQUIRED[name]:
            if column not in header:
                raise HmisInvalid(_problem(name, 1, column, "required column is missing"))
        for values in reader:
            if not values:
                continue
            if len(values) != len(header):
                message = f"{len(values)} values for {len(header)} columns (broken quoting?)"
                raise HmisInvalid(_problem(name, reader.line_num, None, message))
            if any("\n" in v or "\r" in v for v in values):
                message = "a value runs over several lines (a stray quote?)"
                raise HmisInvalid(_problem(name, reader.line_num, None, message))
            clean = {k: v.strip() for k, v in zip(header, values, strict=True)}
            if not clean.get("DateDeleted"):
                rows.append((reader.line_num, clean))
            elif deleted is not None:
                deleted.append((reader.line_num, clean))
    except csv.Error as error:
        raise HmisInvalid(
            _problem(name, reader.line_num, None, f"malformed CSV: {error}")
        ) from None
    return rows


def _text(name: str, line: int, row: dict[str, str], column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise _RowError(_problem(name, line, column, "must not be empty"))
    return value


def _int(name: str, line: int, row: dict[str, str], column: str, *, optional: bool = False) -> int:
    value = row.get(column, "")
    if not value and optional:
        return 0
    try:
        number = int(value)
    except ValueError:
        raise _RowError(_problem(name, line, column, f"{value!r} is not a whole number")) from None
    if number < 0:
        raise _RowError(_problem(name, line, column, f"{number} must be >= 0"))
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
            _problem(name, line, column, f"{value!r} is not a date (YYYY-MM-DD)")
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


def export_info(directory: Path) -> ExportInfo:
    """Export.csv's one row: the export's id, CSV format version and period. The
    version is ``CSVVersion``'s year ("2026 v1.0" -> "2026"), or, in an export without
    that column, "2022" when Project.csv still has FY2022's ``TrackingMethod``."""
    name = "Export.csv"
    rows = read_rows(directory, name)
    if len(rows) != 1:
        raise HmisInvalid(_problem(name, None, None, f"must hold one export, not {len(rows)}"))
    line, row = rows[0]
    try:
        start = _date(name, line, row, "ExportStartDate")
        end = _date(name, line, row, "ExportEndDate")
        exported = _date(name, line, row, "ExportDate")
    except _RowError as error:
        raise HmisInvalid(error.problem) from None
    if start is None or end is None:
        field_name = "ExportStartDate" if start is None else "ExportEndDate"
        raise HmisInvalid(_problem(name, line, field_name, "must not be empty"))
    if start > end:
        raise HmisInvalid(_problem(name, line, "ExportEndDate", f"{end} is before {start}"))
    version = (row.get("CSVVersion") or "").split(" ")[0]
    if not version:
        header = (directory / "Project.csv").read_text("utf-8-sig").split("\n", 1)[0]
        version = "2022" if "trackingmethod" in header.lower() else "unknown"
    return ExportInfo(
        row.get("ExportID", ""), version, start, end, exported, row.get("SoftwareName") or None
    )


KNOWN_VERSIONS = {"2022", "2024", "2026"}


def _export_warnings(info: ExportInfo, day: date) -> list[Problem]:
    warnings: list[Problem] = []
    if info.csv_version not in KNOWN_VERSIONS:
        warnings.append(
            _problem(
                "Export.csv",
                2,
                "CSVVersion",
                f"format {info.csv_version!r} is not one of FY{', FY'.join(sorted(KNOWN_VERSIONS))}"
                "; read as FY2026",
                "warning",
            )
        )
    if not info.covers(day):
        warnings.append(
            _problem(
                "Export.csv",
                2,
                "ExportEndDate",
                f"{day} is outside the export period {info.start} to {info.end}: "
                "beds are counted from enrolments the export may not hold",
                "warning",
            )
        )
    return warnings


def _addresses(directory: Path, warnings: list[Problem]) -> dict[str, dict[str, str]]:
    """Each project's first ProjectCoC row that has an address or ZIP code. A ZIP code
    that lies in another state than the row's State is flagged (``ZIPConflict``): the
    address is not placed by it, and the importer falls back to the CoC's area."""
    out: dict[str, dict[str, str]] = {}
    fields = ("CoCCode", "Geocode", "Address1", "Address2", "City", "State", "ZIP")
    for line, row in read_rows(directory, "ProjectCoC.csv"):
        pid = row.get("ProjectID", "")
        if not pid or (pid in out and (out[pid].get("ZIP") or out[pid].get("Address1"))):
            continue
        address = {k: row[k] for k in fields if row.get(k)}
        if not (address.get("ZIP") or address.get("Address1") or "CoCCode" in address):
            continue
        state = address.get("State", "").upper()
        in_state = zip_state(address.get("ZIP"))
        if state and in_state is not None and in_state != state:
            address["ZIPConflict"] = f"ZIP {address['ZIP']} is in {in_state}, not {state}"
            warnings.append(
                _problem(
                    "ProjectCoC.csv", line, "ZIP", address["ZIPConflict"] + "; not used", "warning"
                )
            )
        out[pid] = address
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
                raise _RowError(_problem(name, line, "ProjectID", f"{pid} is listed twice"))
            kind = _int(name, line, row, "ProjectType")
            if kind not in SERVICE_TYPE:
                what = PROJECT_TYPE_NAME.get(kind, "unknown type")
                raise _RowError(
                    _problem(name, line, "ProjectType", f"{kind} ({what}) has no beds to match")
                )
            org = _text(name, line, row, "OrganizationID")
            if org not in organizations:
                raise _RowError(_problem(name, line, "OrganizationID", f"unknown {org}"))
            start = _date(name, line, row, "OperatingStartDate")
            end = _date(name, line, row, "OperatingEndDate")
            if start is not None and start > day:
                raise _RowError(_problem(name, line, "OperatingStartDate", f"opens after {day}"))
            if end is not None and end < day:
                raise _RowError(_problem(name, line, "OperatingEndDate", f"closed before {day}"))
        except _RowError as error:
            skipped.append(error.problem)
            continue
        active[pid] = _Project(line, row, kind, org)
    return active, listed


def _beds(
    directory: Path, projects: dict[str, _Project], day: date, skipped: list[Problem]
) -> tuple[dict[tuple[str, int], list[dict[str, Any]]], set[str]]:
    """Inventory rows active on ``day``, per (project, household type), and the
    projects dropped whole because an inventory row is unreadable (a partial count
    would mislead)."""
    name = "Inventory.csv"
    out: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    broken: set[str] = set()
    for line, row in read_rows(directory, name):
        pid = row.get("ProjectID", "")
        try:
            if pid not in projects:
                raise _RowError(_problem(name, line, "ProjectID", f"unknown or skipped {pid!r}"))
            household = _int(name, line, row, "HouseholdType")
            if household not in HOUSEHOLD:
                raise _RowError(_problem(name, line, "HouseholdType", f"unknown {household}"))
            beds = _int(name, line, row, "BedInventory")
            units = _int(name, line, row, "UnitInventory", optional=True)
            start = _date(name, line, row, "InventoryStartDate")
            end = _date(name, line, row, "InventoryEndDate")
            availability = _int(name, line, row, "Availability", optional=True)
            dedicated = {c: _int(name, line, row, c, optional=True) for c in DEDICATED}
            if sum(dedicated.values()) > beds:
                raise _RowError(
                    _problem(name, line, "BedInventory", f"{beds} is fewer than its dedicated beds")
                )
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
            **dedicated,
        }
        out[(pid, household)].append(item)
    for pid in sorted(broken):
        for key in [k for k in out if k[0] == pid]:
            del out[key]
        skipped.append(
            _problem(name, None, None, f"project {pid} skipped: an inventory row is bad")
        )
    return out, broken


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
            raise HmisInvalid(_problem("Exit.csv", line, "ExitDate", "must not be empty"))
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
                raise _RowError(_problem(name, line, "EntryDate", "must not be empty"))
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


def read_export(directory: Path, day: date | None = None) -> HmisExport:
    """The export in ``directory`` as facilities with their beds in use on ``day``
    (default: the last day of the export period). Raises ``HmisInvalid`` for anything
    that aborts the import."""
    skipped: list[Problem] = []
    if not directory.is_dir():
        raise HmisInvalid(_problem(str(directory), None, None, "not a folder of export files"))
    for name in (*FILES, *OCCUPANCY_FILES):
        if not (directory / name).is_file():
            raise HmisInvalid(_problem(name, None, None, "file is missing from the export"))
    info = export_info(directory)
    day = info.end if day is None else day
    warnings = _export_warnings(info, day)
    organizations = _organizations(directory, skipped)
    projects, listed = _projects(directory, organizations, day, skipped)
    addresses = _addresses(directory, warnings)
    beds, broken = _beds(directory, projects, day, skipped)
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
    for pid, project in sorted(projects.items()):
        if pid not in types and pid not in broken:
            message = f"project {pid} has no inventory on {day}"
            skipped.append(_problem("Project.csv", project.line, "ProjectID", message))
    parts = [part for facility in facilities.values() for part in _parts(facility)]
    return HmisExport(day, parts, listed, skipped, info, warnings)


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
        "DedicatedBeds": {c: sum(int(r[c]) for r in usable) for c in DEDICATED},
        "Inventory": rows,
        "counts_open_beds": project.project_type in BED_NIGHT,
        "occupancy_estimated": False,
    }
    # A domestic-violence project's address is never kept or sent to a geocoder.
    kept = {k: v for k, v in address.items() if k in ("CoCCode", "ZIP", "State", "ZIPConflict")}
    hmis["address"] = kept if confidential else address
    target = TARGET_POPULATION.get(row.get("TargetPopulation", ""))
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
        counts_beds=project.project_type in BED_NIGHT,
        reserved_for=(target,) if target else (),
        address=hmis["address"],
        details={"hmis": hmis},
    )


POPULATION_NAME = {
    "veteran": "veterans",
    "youth": "youth",
    "chronically_homeless": "chronically homeless people",
}


def _share(count: int, part: int, whole: int) -> int:
    """``part``'s share of ``count`` people, rounded up: the parts' shares add up to at
    least ``count``, so splitting never shows more free beds than the whole has."""
    return min(part, -(-count * part // whole)) if whole else 0


def _parts(facility: Facility) -> list[Facility]:
    """A facility with dedicated beds as one program per population it has beds for
    (``hmis-<ProjectID>-<household>-<population>``, ``reserved_for`` that population)
    plus its open part under the facility's own id. HMIS does not say which bed an
    enrolment fills, so occupancy is shared in proportion to beds, rounded up in
    each part. A project reserved as a whole (DV, HIV) is not split."""
    if facility.reserved_for:
        return [facility]
    dedicated: dict[str, int] = defaultdict(int)
    for column, count in facility.details["hmis"]["DedicatedBeds"].items():
        dedicated[DEDICATED[column]] += count
    reserved = [(pop, n) for pop, n in dedicated.items() if n > 0]
    if not reserved:
        return [facility]
    sizes: list[tuple[str | None, int]] = [
        *reserved,
        (None, facility.beds - sum(dict(reserved).values())),
    ]
    parts: list[Facility] = []
    for population, beds in sizes:
        if beds <= 0:
            continue
        hmis = {
            **facility.details["hmis"],
            "occupancy_estimated": True,
            "part": population or "open",
        }
        suffix = f"-{population}" if population else ""
        parts.append(
            replace(
                facility,
                program_id=facility.program_id + suffix,
                name=facility.name
                + (f", beds for {POPULATION_NAME[population]}" if population else ""),
                beds=beds,
                occupied=_share(facility.occupied, beds, facility.beds),
                waiting=_share(facility.waiting, beds, facility.beds),
                reserved_for=(population,) if population else (),
                details={"hmis": hmis},
            )
        )
    return parts
