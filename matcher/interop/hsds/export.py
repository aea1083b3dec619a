"""The store as HSDS 3.1: flat tables for the datapackage, nested services for the API.

Each program is one HSDS ``service`` (its id), run by its organisation. What an import
kept in the program's ``details`` (locations, addresses, the capacity's unit, other
taxonomy attributes, fields the matcher has no column for) is given back; the rest is
made from the program's columns, with ids minted by the profile (UUID 5). Capacity is
read from the ledger at ``now``: ``available`` is the free places a provider last
reported less this system's enrolments since (places held for pending referrals still
count, as they do in a provider's own report); a program whose free places are
unknown has no ``service_capacity``, so a consumer never reads it as zero. The
profile's attributes carry the waitlist, barriers, eligibility and LEAD-funded places.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from matcher.capacity.ledger import ProgramLedger
from matcher.interop.hsds.mapping import SERVICE_FIELDS
from matcher.interop.hsds.profile import (
    BARRIERS,
    PROFILE_TAXONOMY,
    PROFILE_URI,
    SERVICE_TYPE_TAXONOMY,
    TERMS,
    format_value,
    mint,
    service_types,
)
from matcher.interop.hsds.read import TABLES
from matcher.interop.hsds.schemas import (
    HSDS_VERSION,
    csv_path,
    is_scalar,
    object_schema,
    tabular_schema,
)
from matcher.languages import to_code
from matcher.store import tables as t
from matcher.store.ledger import load_many

Json = dict[str, Any]

PLACE_UNIT = {"id": mint("unit", "place"), "name": "place"}


@dataclass
class Directory:
    """HSDS records by table, in a stable order."""

    tables: dict[str, dict[str, Json]] = field(
        default_factory=lambda: {name: {} for name in TABLES}
    )

    def put(self, table: str, record: Json) -> None:
        self.tables[table].setdefault(str(record["id"]), record)

    def of(self, table: str, key: str, value: str) -> list[Json]:
        return [r for r in self.tables[table].values() if r.get(key) == value]


def _attribute(
    directory: Directory, service_id: str, term: Json, link_type: str | None, value: str | None
) -> None:
    directory.put("taxonomy_term", term)
    record: Json = {
        "id": mint("attribute", service_id, str(term["id"]), value or ""),
        "link_id": service_id,
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "label": term["name"],
    }
    if link_type is not None:
        record["link_type"] = link_type
    if value is not None:
        record["value"] = value
    directory.put("attribute", record)


def _profile(directory: Directory, row: t.Program, state: ProgramLedger) -> None:
    def put(code: str, value: object) -> None:
        term = TERMS[code]
        _attribute(directory, row.id, term.record(), term.link_type, format_value(term, value))

    put("lead.capacity.waitlist", state.waitlist)
    put("lead.capacity.lead_reserved", state.lead_reserved)
    put("lead.capacity.purchasable", state.purchasable)
    put("lead.capacity.price", state.price_cents / 100)
    for name in BARRIERS:
        put(f"lead.barrier.{name}", getattr(row, name))
    for gender in row.eligibility.get("genders") or []:
        put("lead.eligibility.gender", gender)
    for household in row.eligibility.get("households") or []:
        put("lead.eligibility.household", household)
    put("lead.eligibility.pets_allowed", row.eligibility.get("pets_allowed", True))
    put("lead.eligibility.requires_id", row.eligibility.get("requires_id", False))
    for population in row.serves:
        put("lead.serves", population)
    if row.neighborhood:
        put("lead.location.neighborhood", row.neighborhood)


def _service_types(directory: Directory, row: t.Program) -> None:
    known = service_types()
    for code in row.service_types:
        if code in known:
            _attribute(directory, row.id, known[code].record(), None, None)


def _places(directory: Directory, row: t.Program) -> None:
    details = row.details
    locations = [dict(x) for x in details.get("locations", [])]
    sals = [dict(x) for x in details.get("service_at_locations", [])]
    if row.lat is not None and row.lon is not None:
        if not locations:
            locations = [{"id": mint("location", row.id), "location_type": "physical"}]
            if row.neighborhood:
                locations[0]["name"] = row.neighborhood
        locations[0]["latitude"], locations[0]["longitude"] = row.lat, row.lon
    if locations and not sals:
        sals = [{"id": mint("service_at_location", row.id), "location_id": locations[0]["id"]}]
    for location in locations:
        directory.put("location", location)
    for sal in sals:
        directory.put("service_at_location", {**sal, "service_id": row.id})
    for address in details.get("addresses", []):
        directory.put("address", dict(address))
    for area in details.get("service_areas", []):
        directory.put("service_area", {**area, "service_id": row.id})
    # Stored languages are codes (``matcher.languages``): find each one's source record.
    kept = {to_code(str(x.get("name") or x.get("code"))): x for x in details.get("languages", [])}
    for name in row.languages:
        record = kept.get(name) or {"id": mint("language", row.id, name), "name": name}
        directory.put("language", {**record, "service_id": row.id})


def _capacity(directory: Directory, row: t.Program, state: ProgramLedger, now: datetime) -> None:
    cap = state.capacity_at(now)
    if cap.open_slots is None:
        return
    kept: Json = dict(row.details.get("capacity", {}))
    unit = kept.pop("unit", None) or PLACE_UNIT
    directory.put("unit", unit)
    record: Json = {
        **{k: v for k, v in kept.items() if k != "maximum"},
        "id": kept.get("id") or mint("service_capacity", row.id),
        "service_id": row.id,
        "unit_id": unit["id"],
        "available": cap.open_slots,
        "updated": (cap.updated or now).isoformat().replace("+00:00", "Z"),
    }
    maximum = kept.get("maximum")
    if isinstance(maximum, int | float) and maximum >= cap.open_slots:
        record["maximum"] = maximum
    directory.put("service_capacity", record)


def _other_attributes(directory: Directory, row: t.Program) -> None:
    for term in row.details.get("taxonomy_terms", []):
        directory.put("taxonomy_term", dict(term))
    for attribute in row.details.get("attributes", []):
        directory.put("attribute", {**attribute, "link_id": row.id})


def build_directory(
    session: Session, now: datetime, program_ids: list[str] | None = None
) -> Directory:
    """Every program (or those named) as HSDS records, capacity read at ``now``."""
    query = select(t.Program).order_by(col(t.Program.id))
    if program_ids is not None:
        query = query.where(col(t.Program.id).in_(program_ids))
    rows = list(session.exec(query))
    ledgers = load_many(session, [r.id for r in rows])
    names = {o.id: o.name for o in session.exec(select(t.Organization))}
    directory = Directory()
    directory.put("taxonomy", dict(SERVICE_TYPE_TAXONOMY))
    directory.put("taxonomy", dict(PROFILE_TAXONOMY))
    for row in rows:
        state = ledgers[row.id].state if row.id in ledgers else ProgramLedger()
        org_details = dict(row.details.get("organization", {}))
        directory.put(
            "organization",
            {
                **org_details,
                "id": row.organization_id,
                "name": names.get(row.organization_id, row.organization_id),
                "description": org_details.get("description")
                or names.get(row.organization_id, row.organization_id),
            },
        )
        service: Json = {
            **{k: v for k, v in row.details.get("service", {}).items() if k not in SERVICE_FIELDS},
            "id": row.id,
            "organization_id": row.organization_id,
            "name": row.name or row.id,
        }
        service.setdefault("status", "active")
        if row.description:
            service["description"] = row.description
        for ours, theirs in (("min_age", "minimum_age"), ("max_age", "maximum_age")):
            if row.eligibility.get(ours) is not None:
                service[theirs] = row.eligibility[ours]
        directory.put("service", service)
        _places(directory, row)
        _capacity(directory, row, state, now)
        _service_types(directory, row)
        _profile(directory, row, state)
        _other_attributes(directory, row)
    return directory


# Nested objects for the API ---------------------------------------------------------


def _scalars(record: Json) -> Json:
    return {k: v for k, v in record.items() if not isinstance(v, list | dict)}


def _nested_attribute(directory: Directory, attribute: Json) -> Json:
    out = dict(attribute)
    term = directory.tables["taxonomy_term"].get(str(attribute.get("taxonomy_term_id")))
    if term is not None:
        out["taxonomy_term"] = dict(term)
    return out


def nested_service(directory: Directory, service_id: str) -> Json:
    """One service with everything linked to it nested, as ``GET /services/{id}`` gives."""
    service = dict(directory.tables["service"][service_id])
    org = directory.tables["organization"].get(str(service.get("organization_id")))
    if org is not None:
        service["organization"] = _scalars(org)
    sals = []
    for sal in directory.of("service_at_location", "service_id", service_id):
        item = _scalars(sal)
        location = directory.tables["location"].get(str(sal.get("location_id")))
        if location is not None:
            item["location"] = {
                **_scalars(location),
                "addresses": directory.of("address", "location_id", str(location["id"])),
            }
        sals.append(item)
    service["service_at_locations"] = sals
    service["languages"] = directory.of("language", "service_id", service_id)
    service["service_areas"] = directory.of("service_area", "service_id", service_id)
    service["capacities"] = [
        {**c, "unit": directory.tables["unit"].get(str(c.get("unit_id")), PLACE_UNIT)}
        for c in directory.of("service_capacity", "service_id", service_id)
    ]
    service["attributes"] = [
        _nested_attribute(directory, a) for a in directory.of("attribute", "link_id", service_id)
    ]
    return service


def nested_service_at_location(directory: Directory, sal_id: str) -> Json:
    """One service_at_location with its location and its service nested."""
    sal = directory.tables["service_at_location"][sal_id]
    out = _scalars(sal)
    location = directory.tables["location"].get(str(sal.get("location_id")))
    if location is not None:
        out["location"] = {
            **_scalars(location),
            "addresses": directory.of("address", "location_id", str(location["id"])),
        }
    out["service"] = nested_service(directory, str(sal["service_id"]))
    return out


def api_meta(openapi_url: str) -> Json:
    """What ``GET /`` of an HSDS API says about itself."""
    return {"version": HSDS_VERSION, "profile": PROFILE_URI, "openapi_url": openapi_url}


# The tabular datapackage ------------------------------------------------------------


def _field(name: str, spec: Json, required: bool) -> Json:
    kind = spec.get("type", "string")
    fmt = spec.get("format")
    out: Json = {"name": name, "type": kind}
    if fmt == "date-time":
        out["type"] = "datetime"
    elif fmt == "date":
        out["type"] = "date"
    elif fmt is not None:
        out["format"] = fmt
    if "title" in spec:
        out["title"] = spec["title"]
    out["constraints"] = {"required": required}
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_datapackage(session: Session, now: datetime, directory: Path) -> dict[str, int]:
    """Write ``datapackage.json`` and one CSV per table into ``directory``; returns the
    number of rows per table."""
    records = build_directory(session, now)
    directory.mkdir(parents=True, exist_ok=True)
    resources: list[Json] = []
    counts: dict[str, int] = defaultdict(int)
    for table in TABLES:
        schema = tabular_schema(table)
        columns = list(schema["properties"])
        required = set(schema["required"])
        path = csv_path(table)
        with (directory / path).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for key in sorted(records.tables[table]):
                record = records.tables[table][key]
                writer.writerow([_cell(record.get(c)) for c in columns])
                counts[table] += 1
        resources.append(
            {
                "name": table,
                "path": path,
                "description": object_schema(table).get("description", ""),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": {
                    "primaryKey": "id",
                    "fields": [
                        _field(c, object_schema(table)["properties"][c], c in required)
                        for c in columns
                        if is_scalar(object_schema(table)["properties"][c])
                    ],
                },
            }
        )
    package = {
        "name": "lead-matcher-hsds",
        "title": "LEAD matcher programs as Human Services Data Specification 3.1",
        "profile": "tabular-data-package",
        "version": HSDS_VERSION,
        "homepage": PROFILE_URI,
        "created": now.isoformat().replace("+00:00", "Z"),
        "resources": resources,
    }
    (directory / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return dict(counts)
