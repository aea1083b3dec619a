"""Read an HSDS 3.1 feed into flat tables of records, each remembering where it was.

Two publication formats are read: JSON (a list of services, a paginated page of them
with ``contents``, or one fully nested service; one file or a directory of files) and
the tabular datapackage (``datapackage.json`` and its CSV files). Nested JSON is
flattened into the same tables the CSVs hold, with the parent ids a CSV row would
carry, so the mapping that follows sees one shape.

Every record is checked against the vendored schema first. A record that breaks it is
reported (file, row or JSON path, field, rule) and left out; in JSON, a service is one
record with everything nested in it. Input that cannot be read at all raises
``HsdsUnreadable`` before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jsonschema import ValidationError
from jsonschema.protocols import Validator

from matcher.interop.hsds.problems import HsdsUnreadable, Problem
from matcher.interop.hsds.schemas import csv_path, tabular_schema, tabular_validator, validator

Json = dict[str, Any]

TABLES = (
    "organization",
    "service",
    "location",
    "address",
    "service_at_location",
    "language",
    "service_area",
    "attribute",
    "taxonomy",
    "taxonomy_term",
    "service_capacity",
    "unit",
)
"""The tables the import reads; a datapackage's other tables are listed as not read."""

# (parent table, nested key) -> (child table, how the child points at its parent)
_LISTS: dict[tuple[str, str], tuple[str, str]] = {
    ("service", "service_at_locations"): ("service_at_location", "service_id"),
    ("service", "languages"): ("language", "service_id"),
    ("service", "service_areas"): ("service_area", "service_id"),
    ("service", "capacities"): ("service_capacity", "service_id"),
    ("service", "attributes"): ("attribute", "link_id"),
    ("organization", "locations"): ("location", "organization_id"),
    ("location", "addresses"): ("address", "location_id"),
    ("service_at_location", "service_areas"): ("service_area", "service_at_location_id"),
}
# (parent table, nested key) -> (child table, the parent's field that names the child)
_OBJECTS: dict[tuple[str, str], tuple[str, str]] = {
    ("service", "organization"): ("organization", "organization_id"),
    ("service_at_location", "location"): ("location", "location_id"),
    ("service_capacity", "unit"): ("unit", "unit_id"),
    ("attribute", "taxonomy_term"): ("taxonomy_term", "taxonomy_term_id"),
    ("taxonomy_term", "taxonomy_detail"): ("taxonomy", "taxonomy_id"),
}


@dataclass(slots=True)
class Row:
    """One record of one table and where it came from."""

    table: str
    data: Json
    file: str
    where: str


@dataclass
class Feed:
    """An HSDS feed as tables of valid records, with what was found wrong."""

    format: Literal["json", "tabular"]
    version: str = "3.1"
    tables: dict[str, dict[str, Row]] = field(default_factory=lambda: {t: {} for t in TABLES})
    problems: list[Problem] = field(default_factory=list)
    invalid_services: dict[str, str] = field(default_factory=dict)
    not_read: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        """Keep ``row``; a second copy of an id fills gaps, and a conflicting value is
        reported and the first copy's value kept."""
        key = str(row.data["id"])
        table = self.tables[row.table]
        first = table.get(key)
        if first is None:
            table[key] = row
            return
        for name, value in row.data.items():
            if name not in first.data:
                first.data[name] = value
            elif first.data[name] != value and not isinstance(value, list | dict):
                self.problems.append(
                    Problem(
                        row.file,
                        row.where,
                        name,
                        "duplicate_id",
                        f"{row.table} {key} appears again with another {name}; "
                        f"the copy at {first.file}: {first.where} is kept",
                        "warning",
                    )
                )


_REQUIRED = re.compile(r"'([^']+)' is a required property")


def _json_path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(error: ValidationError, prefix: list[str | int]) -> tuple[str, str | None]:
    """Where a schema error is (a JSON path) and the field it is about."""
    parts: list[str | int] = [*prefix, *error.absolute_path]
    if error.validator == "required":
        match = _REQUIRED.search(error.message)
        return _json_path(parts) or "(record)", match.group(1) if match else None
    name = parts[-1] if parts and isinstance(parts[-1], str) else None
    where = _json_path(parts[:-1] if name is not None else parts)
    return where or "(record)", name


def schema_problems(
    check: Validator, record: Any, file: str, prefix: list[str | int], where: str | None = None
) -> list[Problem]:
    """Every way ``record`` breaks the schema of ``check``, as problems."""
    out: list[Problem] = []
    for error in sorted(check.iter_errors(record), key=lambda e: list(map(str, e.absolute_path))):
        path, name = describe(error, prefix)
        out.append(Problem(file, where or path, name, str(error.validator), error.message))
    return out


# JSON -------------------------------------------------------------------------------


def _services_in(data: object, file: str) -> list[tuple[list[str | int], object]]:
    if isinstance(data, list):
        return [([i], item) for i, item in enumerate(data)]
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return [(["contents", i], item) for i, item in enumerate(data["contents"])]
    if isinstance(data, dict) and "id" in data and ("name" in data or "status" in data):
        return [([], data)]
    raise HsdsUnreadable(
        file, "not HSDS: expected a service, a list of services or a page with contents", "not_hsds"
    )


def _flatten(feed: Feed, table: str, record: Json, file: str, path: list[str | int]) -> None:
    data = dict(record)
    for (parent, key), (child, pointer) in _OBJECTS.items():
        if parent == table and isinstance(data.get(key), dict):
            nested = data.pop(key)
            data.setdefault(pointer, nested.get("id"))
            _flatten(feed, child, nested, file, [*path, key])
    for (parent, key), (child, pointer) in _LISTS.items():
        if parent == table and isinstance(data.get(key), list):
            for i, nested in enumerate(data.pop(key)):
                item = {pointer: record["id"], **nested}
                if child == "attribute":
                    item.setdefault("link_entity", table)
                _flatten(feed, child, item, file, [*path, key, i])
    feed.add(Row(table, data, file, _json_path(path) or "(record)"))


def _read_json_file(feed: Feed, path: Path, shown: str) -> None:
    data = json.loads(_text(path, shown))
    check = validator("service")
    for prefix, item in _services_in(data, shown):
        found = schema_problems(check, item, shown, prefix)
        if found or not isinstance(item, dict):
            feed.problems.extend(found)
            key = item.get("id") if isinstance(item, dict) else None
            feed.invalid_services[str(key) if key is not None else _json_path(prefix)] = (
                found[0].message if found else "not an object"
            )
            continue
        _flatten(feed, "service", item, shown, prefix)


def _text(path: Path, shown: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise HsdsUnreadable(shown, f"cannot read: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise HsdsUnreadable(
            shown, f"not UTF-8 text (byte {error.start}): re-save the file as UTF-8", "encoding"
        ) from None


# Tabular ----------------------------------------------------------------------------


def _cell(value: str, spec: Json) -> Any:
    """A CSV cell as the schema's type; text that does not fit stays text (and fails)."""
    kind = spec.get("type")
    try:
        if kind == "number":
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
        if kind == "integer":
            return int(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _resources(package: Path, shown: str) -> dict[str, str]:
    try:
        meta = json.loads(_text(package, shown))
    except json.JSONDecodeError as error:
        raise HsdsUnreadable(shown, f"not JSON: {error.msg} at line {error.lineno}") from None
    resources = meta.get("resources") if isinstance(meta, dict) else None
    if not isinstance(resources, list):
        raise HsdsUnreadable(shown, "a datapackage needs a list of resources", "not_hsds")
    out: dict[str, str] = {}
    for item in resources:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            out[str(item.get("name") or Path(item["path"]).stem)] = item["path"]
    return out


def _read_table(feed: Feed, table: str, path: Path, shown: str) -> None:
    reader = csv.DictReader(io.StringIO(_text(path, shown), newline=""))
    if reader.fieldnames is None or "id" not in reader.fieldnames:
        raise HsdsUnreadable(shown, "no id column: not an HSDS table", "not_hsds")
    properties = tabular_schema(table)["properties"]
    check = tabular_validator(table)
    for raw in reader:
        where = f"row {reader.line_num}"
        if None in raw:
            feed.problems.append(
                Problem(shown, where, None, "columns", "more cells than the header has columns")
            )
        record = {
            k: _cell(v, properties.get(k, {}))
            for k, v in raw.items()
            if k is not None and isinstance(v, str) and v != ""
        }
        found = schema_problems(check, record, shown, [], where)
        if found:
            feed.problems.extend(found)
            if table == "service" and "id" in record:
                feed.invalid_services[str(record["id"])] = found[0].message
            continue
        feed.add(Row(table, record, shown, where))


def _read_package(feed: Feed, folder: Path, shown: str) -> None:
    resources = _resources(folder / "datapackage.json", f"{shown}/datapackage.json")
    by_path = {Path(p).name: name for name, p in resources.items()}
    for name, listed in resources.items():
        table = name if name in TABLES else None
        if table is None:
            table = next((t for t in TABLES if csv_path(t) == Path(listed).name), None)
        if table is None:
            feed.not_read.append(name)
    paths = {
        t: resources.get(t) or (csv_path(t) if csv_path(t) in by_path else None) for t in TABLES
    }
    if paths["service"] is None:
        raise HsdsUnreadable(f"{shown}/datapackage.json", "no service resource", "not_hsds")
    for table in TABLES:
        given = paths[table]
        if given is None:
            continue
        relative: str = given
        name = Path(relative).name
        found = [folder / relative, folder / name, folder / "data" / name]
        target = next((f for f in found if f.is_file()), None)
        if target is None and table == "service":
            raise HsdsUnreadable(f"{shown}/{relative}", "listed in datapackage.json but missing")
        if target is None:
            message = f"listed in datapackage.json as {relative} but not found: not read"
            feed.problems.append(
                Problem(f"{shown}/datapackage.json", "", table, "missing", message, "warning")
            )
            continue
        shown_table = f"{shown}/{target.relative_to(folder)}"
        try:
            _read_table(feed, table, target, shown_table)
        except HsdsUnreadable as error:
            if table == "service":
                raise
            feed.problems.append(
                Problem(shown_table, "", None, error.rule, f"{error.message}: table not read")
            )


def _unzip(path: Path, into: Path) -> Path:
    """Extract a zipped package (refusing members that would land outside ``into``) and
    return the folder holding its ``datapackage.json`` (or its tables)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                target = (into / member).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise HsdsUnreadable(str(path), f"unsafe member path {member!r}")
            archive.extractall(into)
    except (zipfile.BadZipFile, OSError) as error:
        raise HsdsUnreadable(str(path), f"not a readable zip file: {error}") from None
    found = sorted(into.rglob("datapackage.json"), key=lambda p: len(p.parts))
    if found:
        return found[0].parent
    tables = sorted(into.rglob("services.csv"), key=lambda p: len(p.parts))
    return tables[0].parent if tables else into


def _read_tabular(folder: Path, shown: str) -> Feed:
    """A tabular package, HSDS 3.x or (told by its tables) 1.x / 2.0."""
    from matcher.interop.hsds.legacy import legacy_version, package_meta, read_legacy, table_stems

    package = folder / "datapackage.json"
    meta = package_meta(package, f"{shown}/datapackage.json") if package.is_file() else {}
    version = legacy_version(table_stems(folder, meta))
    if version is not None:
        feed = Feed("tabular", version)
        read_legacy(feed, folder, shown, meta)
        return feed
    if not package.is_file():
        raise HsdsUnreadable(shown, "no datapackage.json and no JSON files", "not_hsds")
    feed = Feed("tabular")
    _read_package(feed, folder, shown)
    return feed


def read_feed(path: Path) -> Feed:
    """Read the feed at ``path`` (a JSON file, a directory of them, a datapackage
    directory, its ``datapackage.json``, or a ``.zip`` of a datapackage; HSDS 3.x, or
    a 1.x / 2.0 tabular package). Raises ``HsdsUnreadable``."""
    shown = str(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory() as scratch:
            return _read_tabular(_unzip(path, Path(scratch)), shown)
    if path.is_file() and path.name == "datapackage.json":
        path = path.parent
        shown = str(path)
    if path.is_dir():
        if (path / "datapackage.json").is_file() or (path / "services.csv").is_file():
            return _read_tabular(path, shown)
        files = sorted(path.glob("*.json"))
        if not files:
            raise HsdsUnreadable(shown, "no datapackage.json and no JSON files", "not_hsds")
    elif path.is_file():
        files = [path]
    else:
        raise HsdsUnreadable(shown, "no such file or directory")
    feed = Feed("json")
    for file in files:
        name = str(file)
        try:
            _read_json_file(feed, file, name)
        except json.JSONDecodeError as error:
            raise HsdsUnreadable(
                name, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
            ) from None
    return feed
