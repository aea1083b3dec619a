"""Read HSDS 1.x and 2.0 tabular datapackages into the same tables as HSDS 3.x.

Many 211s still publish the older tabular formats: ``services.csv``,
``services_at_location.csv`` (1.x) or ``service_at_location.csv`` (2.0),
``physical_addresses.csv``, ``eligibility.csv``, and the taxonomy as ``taxonomy.csv``
with ``service_taxonomy.csv`` (1.x) or ``taxonomy_terms.csv`` with
``service_attributes.csv`` (2.0), often zipped. Each row becomes the 3.x record the
mapping reads (``organization``, ``service``, ``location``, ``address``,
``service_at_location``, ``language``, ``taxonomy_term``, ``attribute``).

Published packages are messy, so reading is forgiving and says what it did: a resource
whose path does not match is looked for beside ``datapackage.json`` and under
``data/``; a listed table that is absent, unreadable or broken is reported and the rest
is read; headers are matched without regard to case, spaces or a few common spellings;
a blank ``status`` is active; an eligibility row naming no service is reported. Only a
package with no readable services table is refused (``HsdsUnreadable``).

Plain ``csv`` reads the tables: the older formats' own schemas are not the vendored
3.1 ones, the path repairs above are outside what a package library resolves, and a
county feed is read in a second or two this way.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from matcher.interop.hsds.problems import HsdsUnreadable, Problem
from matcher.interop.hsds.read import Feed, Json, Row

LEGACY_TABLES = (
    "organizations",
    "services",
    "locations",
    "services_at_location",
    "service_at_location",
    "physical_addresses",
    "languages",
    "eligibility",
    "taxonomy",
    "service_taxonomy",
    "taxonomy_terms",
    "service_attributes",
)
"""The older formats' tables this reader uses (by file stem)."""

MARKERS_1X = {"service_taxonomy", "taxonomy", "services_at_location"}
MARKERS_2X = {"service_attributes", "physical_addresses"}
MARKERS_3X = {"attributes", "addresses", "service_capacity"}

ALIASES = {
    "address1": "address_1",
    "address2": "address_2",
    "street": "address_1",
    "zip": "postal_code",
    "zip_code": "postal_code",
    "zipcode": "postal_code",
    "postcode": "postal_code",
    "state": "state_province",
    "province": "state_province",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "org_id": "organization_id",
    "organisation_id": "organization_id",
    "service": "service_id",
    "location": "location_id",
    "website": "url",
    "term": "term",
    "taxonomy_code": "code",
    "min_age": "minimum_age",
    "max_age": "maximum_age",
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def header_key(name: str) -> str:
    """A column name as compared: lower case, words joined by ``_``, known aliases."""
    key = _NOT_WORD.sub("_", name.strip().lower()).strip("_")
    return ALIASES.get(key, key)


def legacy_version(stems: set[str]) -> str | None:
    """``"1.x"`` or ``"2.0"`` for an older package, told by its tables (a datapackage's
    own ``version`` is the data's, not the format's), None for 3.x."""
    if stems & MARKERS_3X:
        return None
    if stems & MARKERS_1X:
        return "1.x"
    if stems & MARKERS_2X:
        return "2.0"
    return None


def table_stems(folder: Path, meta: Json) -> set[str]:
    """The tables a package has: its CSV files' names and its listed resources."""
    stems = {p.stem.lower() for p in folder.rglob("*.csv")}
    for item in meta.get("resources") or []:
        if isinstance(item, dict):
            stems.add(str(item.get("name") or Path(str(item.get("path", ""))).stem).lower())
    return stems


class _Files:
    """Where each table's file is: the path the package gives, else a file of that name
    beside ``datapackage.json``, under ``data/``, or anywhere below."""

    def __init__(self, folder: Path, listed: dict[str, str]) -> None:
        self.folder = folder
        self.listed = listed
        self.found: dict[str, Path] = {}
        for path in sorted(folder.rglob("*.csv"), key=lambda p: (len(p.parts), str(p))):
            self.found.setdefault(path.stem.lower(), path)

    def stems(self) -> set[str]:
        return set(self.found) | {Path(p).stem.lower() for p in self.listed.values()}

    def path(self, table: str) -> Path | None:
        given = self.listed.get(table)
        candidates = []
        if given is not None:
            candidates += [self.folder / given, self.folder / Path(given).name]
        candidates += [self.folder / f"{table}.csv", self.folder / "data" / f"{table}.csv"]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return self.found.get(table)


Rows = list[tuple[str, str, Json]]
"""A table's rows as (file shown, where, record)."""


def _rows(path: Path, shown: str, problems: list[Problem]) -> Rows | None:
    """A table's rows with normalised headers and empty cells left out, or None when
    the table cannot be read at all (reported). A broken row is reported and skipped;
    broken quoting ends the table there, reported."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(shown, "", None, "unreadable", f"table not read: {error}"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: Rows = []
    try:
        header = [header_key(h) for h in next(reader, [])]
        if "id" not in header:
            message = "no id column: table not read"
            problems.append(Problem(shown, "row 1", "id", "not_hsds", message))
            return None
        for values in reader:
            where = f"row {reader.line_num}"
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                message = f"{len(values)} cells for {len(header)} columns: row skipped"
                problems.append(Problem(shown, where, None, "columns", message))
                continue
            record = {k: v.strip() for k, v in zip(header, values, strict=True) if v.strip()}
            if not record.get("id"):
                problems.append(Problem(shown, where, "id", "required", "no id: row skipped"))
                continue
            rows.append((shown, where, record))
    except csv.Error as error:
        message = f"malformed CSV ({error}): the rest of the table is not read"
        problems.append(Problem(shown, f"row {reader.line_num}", None, "unreadable", message))
    return rows


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _pick(record: Json, *names: str) -> Json:
    return {n: record[n] for n in names if n in record}


def read_legacy(feed: Feed, folder: Path, shown: str, meta: Json) -> None:
    """Fill ``feed``'s 3.x tables from the older package in ``folder``."""
    listed: dict[str, str] = {}
    for item in meta.get("resources") or []:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            name = str(item.get("name") or Path(item["path"]).stem).lower()
            listed[name] = item["path"]
    files = _Files(folder, listed)
    tables: dict[str, Rows] = {}
    for name, given in sorted(listed.items()):
        if files.path(name) is None:
            message = f"listed in datapackage.json as {given} but not found: not read"
            feed.problems.append(
                Problem(f"{shown}/datapackage.json", "", name, "missing", message, "warning")
            )
    for table in LEGACY_TABLES:
        path = files.path(table)
        if path is None:
            continue
        where_shown = f"{shown}/{path.relative_to(folder)}"
        rows = _rows(path, where_shown, feed.problems)
        if rows is not None:
            tables[table] = rows
    used = set(tables) | {"services_at_location", "service_at_location"}
    feed.not_read = sorted(s for s in files.stems() if s not in used and s != "datapackage")
    if "services" not in tables:
        raise HsdsUnreadable(f"{shown}", "no readable services table (services.csv)", "not_hsds")
    _convert(feed, tables)


def _add(feed: Feed, table: str, file: str, where: str, data: Json) -> None:
    feed.add(Row(table, data, file, where))


def _convert(feed: Feed, tables: dict[str, Rows]) -> None:
    for file, where, r in tables.get("organizations", []):
        if "name" not in r:
            feed.problems.append(
                Problem(file, where, "name", "required", "organization without a name: skipped")
            )
            continue
        org = _pick(r, "id", "name", "description", "email")
        if "url" in r:
            org["website"] = r["url"]
        _add(feed, "organization", file, where, org)
    eligibility: dict[str, list[str]] = defaultdict(list)
    ages: dict[str, Json] = defaultdict(dict)
    service_ids = {r["id"] for _, _, r in tables["services"]}
    for file, where, r in tables.get("eligibility", []):
        sid = str(r.get("service_id"))
        if sid not in service_ids:
            message = f"eligibility row names no service ({sid!r}): ignored"
            feed.problems.append(
                Problem(file, where, "service_id", "unknown_id", message, "warning")
            )
            continue
        if r.get("eligibility"):
            eligibility[sid].append(r["eligibility"])
        for bound in ("minimum_age", "maximum_age"):
            number = _number(r.get(bound, "x"))
            if number is not None:
                ages[sid][bound] = number
    for file, where, r in tables["services"]:
        missing = [n for n in ("name", "organization_id") if n not in r]
        if missing:
            message = f"service without {missing[0]}: skipped"
            feed.problems.append(Problem(file, where, missing[0], "required", message))
            feed.invalid_services[r["id"]] = message
            continue
        status = r.get("status", "").lower() or "active"
        data: Json = {
            **_pick(
                r,
                "id",
                "organization_id",
                "name",
                "description",
                "email",
                "url",
                "fees",
                "application_process",
                "wait_time",
                "interpretation_services",
            ),
            "status": status,
        }
        if eligibility.get(r["id"]):
            data["eligibility_description"] = "; ".join(eligibility[r["id"]])
        for bound in ("minimum_age", "maximum_age"):
            number = _number(r.get(bound, "x"))
            value = number if number is not None else ages[r["id"]].get(bound)
            if value is not None:
                data[bound] = value
        _add(feed, "service", file, where, data)
    for file, where, r in tables.get("locations", []):
        data = _pick(r, "id", "organization_id", "name", "description")
        for axis in ("latitude", "longitude"):
            number = _number(r.get(axis, "x"))
            if number is not None:
                data[axis] = number
        _add(feed, "location", file, where, {**data, "location_type": "physical"})
    for key in ("services_at_location", "service_at_location"):
        for file, where, r in tables.get(key, []):
            _add(
                feed,
                "service_at_location",
                file,
                where,
                _pick(r, "id", "service_id", "location_id"),
            )
    for file, where, r in tables.get("physical_addresses", []):
        data = _pick(
            r,
            "id",
            "location_id",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
        )
        data["country"] = r.get("country", "US")
        _add(feed, "address", file, where, {**data, "address_type": "physical"})
    for file, where, r in tables.get("languages", []):
        if r.get("service_id") and r.get("language"):
            _add(
                feed,
                "language",
                file,
                where,
                {"id": r["id"], "service_id": r["service_id"], "name": r["language"]},
            )
    _taxonomy(feed, tables)


def _taxonomy(feed: Feed, tables: dict[str, Rows]) -> None:
    """1.x: ``taxonomy`` (id, name, parent_id, vocabulary) and ``service_taxonomy``
    (service_id, taxonomy_id); 2.0: ``taxonomy_terms`` (id, term, parent_id, taxonomy)
    and ``service_attributes`` (service_id, taxonomy_term_id). A 211 feed's term id is
    often its AIRS code, and is kept as the code too."""
    for key in ("taxonomy", "taxonomy_terms"):
        for file, where, r in tables.get(key, []):
            data: Json = {"id": r["id"], "name": r.get("name") or r.get("term") or r["id"]}
            data["code"] = r.get("code") or r["id"]
            if r.get("parent_id"):
                data["parent_id"] = r["parent_id"]
            vocabulary = r.get("vocabulary") or r.get("taxonomy")
            if vocabulary:
                data["taxonomy"] = vocabulary
            _add(feed, "taxonomy_term", file, where, data)
    links = (("service_taxonomy", "taxonomy_id"), ("service_attributes", "taxonomy_term_id"))
    for key, pointer in links:
        for file, where, r in tables.get(key, []):
            if not r.get("service_id") or not r.get(pointer):
                message = f"needs service_id and {pointer}: ignored"
                feed.problems.append(Problem(file, where, pointer, "required", message, "warning"))
                continue
            data = {
                "id": f"{key}-{r['id']}",
                "link_id": r["service_id"],
                "link_type": "service",
                "link_entity": "service",
                "taxonomy_term_id": r[pointer],
            }
            _add(feed, "attribute", file, where, data)


def package_meta(path: Path, shown: str) -> Json:
    """``datapackage.json`` as JSON (refused when it is not)."""
    try:
        meta: Any = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HsdsUnreadable(shown, f"datapackage.json cannot be read: {error}") from None
    if not isinstance(meta, dict):
        raise HsdsUnreadable(shown, "datapackage.json is not an object", "not_hsds")
    return meta
