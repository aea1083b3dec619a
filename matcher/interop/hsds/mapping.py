"""HSDS records -> the matcher's programs: one ``Draft`` per importable service.

The program id is the HSDS **service** id and the organisation id is the HSDS
organisation id, so a re-import finds what it wrote before. HSDS states capacity per
service, not per place it is delivered, so a service at several locations is one
program, placed at its first locatable location (by ``service_at_location`` id); the
other locations are kept with the program and exported again.

Service types come from the service's taxonomy terms: a term whose code is one of our
service types, or any term ``matcher.interop.taxonomy`` maps (Open Eligibility and the
LEAD extension, by id, code or name). The profile's attributes (``profile``) give the
waitlist, barriers, eligibility and LEAD-funded places. Values that cannot be used
are reported and handled as the docstrings below say; nothing here writes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from matcher.interop.geocode import Locator
from matcher.interop.hsds.problems import Problem, Severity
from matcher.interop.hsds.profile import (
    TERMS,
    TERMS_BY_ID,
    parse_value,
    service_types,
    service_types_by_term_id,
)
from matcher.interop.hsds.read import Feed, Row
from matcher.interop.hsds.schemas import parse_datetime
from matcher.interop.taxonomy import Taxonomy, name_key
from matcher.languages import known_code

Json = dict[str, Any]

SERVICE_FIELDS = ("id", "organization_id", "name", "description", "minimum_age", "maximum_age")
"""Service fields the program holds in its own columns; the rest are kept in details."""
PLACE_UNITS = frozenset(
    {"place", "bed", "slot", "seat", "unit", "space", "spot", "room", "opening", "vacancy"}
    | {"appointment", "person", "people", "client", "participant"}
)
"""Capacity units that count people's places (compared singular, in any case). Any
other unit (kilograms, meals, hours...) is kept as information, never as places."""


def is_place_unit(unit: Json) -> bool:
    """Whether a capacity's unit counts places (its name, or its identifier)."""
    names = (unit.get("name"), unit.get("identifier"))
    return any(isinstance(n, str) and name_key(n) in PLACE_UNITS for n in names)


@dataclass
class CapacityIntent:
    """What the feed says about a program's places; ``None`` = the feed says nothing.

    ``open_slots`` is set only from a usable ``service_capacity`` (``reported``); a feed
    without one leaves the program's capacity unknown, never zero."""

    reported: bool = False
    open_slots: int | None = None
    updated: datetime | None = None
    waitlist: int | None = None
    lead_reserved: int | None = None
    purchasable: int | None = None
    price: float | None = None


@dataclass
class Draft:
    """One program as the feed describes it, ready to store."""

    program_id: str
    organization_id: str
    organization_name: str
    name: str | None
    description: str | None
    service_types: list[str]
    lat: float | None
    lon: float | None
    neighborhood: str | None = None
    barriers: dict[str, bool] = field(default_factory=dict)
    eligibility: Json = field(default_factory=dict)
    serves: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    details: Json = field(default_factory=dict)
    capacity: CapacityIntent = field(default_factory=CapacityIntent)


@dataclass
class Mapped:
    """The drafts, the services left out (id -> why) and everything found wrong."""

    drafts: list[Draft] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unmapped: dict[str, list[str]] = field(default_factory=dict)
    """Services kept whose terms map to no service type: id -> the terms' labels."""


def term_label(term: Json) -> str:
    """How a taxonomy term is named in summaries: its code and name when it has both."""
    code, name = term.get("code"), term.get("name")
    parts = [str(x) for x in (code, name) if x]
    return " ".join(parts) if parts else str(term.get("id"))


def service_terms(term: Json) -> Json:
    """What a program keeps of a term to map it again later (``matcher taxonomy remap``)."""
    return {k: term[k] for k in ("id", "code", "name") if term.get(k)}


class _Context:
    def __init__(
        self, feed: Feed, locator: Locator | None, terms: Taxonomy | None, now: datetime
    ) -> None:
        self.feed = feed
        self.locator = locator
        self.terms = terms
        self.now = now
        self.problems: list[Problem] = []
        self.children: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for table, pointer in (
            ("service_at_location", "service_id"),
            ("language", "service_id"),
            ("service_area", "service_id"),
            ("service_capacity", "service_id"),
            ("attribute", "link_id"),
            ("address", "location_id"),
        ):
            for row in sorted(feed.tables[table].values(), key=lambda r: str(r.data["id"])):
                parent = row.data.get(pointer)
                if parent is not None:
                    self.children[(table, str(parent))].append(row)

    def of(self, table: str, parent: str) -> list[Row]:
        return self.children.get((table, parent), [])

    def warn(self, row: Row, name: str | None, rule: str, message: str) -> None:
        self.problems.append(Problem(row.file, row.where, name, rule, message, "warning"))

    def error(self, row: Row, name: str | None, rule: str, message: str) -> None:
        self.problems.append(Problem(row.file, row.where, name, rule, message))

    def lookup(
        self, table: str, key: object, row: Row, name: str, severity: Severity = "warning"
    ) -> Row | None:
        """The record ``key`` names, or None with a problem when it names nothing."""
        found = self.feed.tables[table].get(str(key)) if key is not None else None
        if found is None:
            message = f"{name} {key} names no {table} in the feed"
            self.problems.append(
                Problem(row.file, row.where, name, "unknown_id", message, severity)
            )
        return found


def _scalars(data: Json, leave: tuple[str, ...] = ()) -> Json:
    return {k: v for k, v in data.items() if k not in leave}


def service_types_of_term(terms: Taxonomy | None, term: Json) -> list[str]:
    """The service types one taxonomy term (its ``code``, ``id``, ``name``) means: one
    of ours named outright, else what the taxonomy and its crosswalks map it to."""
    ours = service_types()
    keys = [term.get("code"), term.get("id"), term.get("name")]
    for key in keys:
        if not isinstance(key, str) or not key.strip():
            continue
        if key in ours:
            return [key]
        by_id = service_types_by_term_id().get(key)
        if by_id is not None:
            return [by_id]
    return terms.service_types_for(*keys) if terms is not None else []


def service_types_of_terms(terms: Taxonomy | None, kept: list[Json]) -> list[str]:
    """The service types of a program's kept terms (``service_terms``), in our order."""
    kinds: list[str] = []
    for term in kept:
        kinds.extend(k for k in service_types_of_term(terms, term) if k not in kinds)
    order = {code: i for i, code in enumerate(service_types())}
    return sorted(kinds, key=lambda c: order.get(c, len(order)))


def _attributes(ctx: _Context, service: Row, draft: Draft) -> None:
    """Service types from taxonomy terms (every one kept in ``service_terms``, so that a
    changed crosswalk can map them again); profile values from the profile's terms."""
    kept: list[Json] = []
    kept_terms: list[Json] = []
    values: dict[str, list[Any]] = defaultdict(list)
    for row in ctx.of("attribute", draft.program_id):
        term_row = ctx.lookup(
            "taxonomy_term", row.data.get("taxonomy_term_id"), row, "taxonomy_term_id"
        )
        term = term_row.data if term_row else {"id": row.data.get("taxonomy_term_id")}
        profile = TERMS.get(str(term.get("code"))) or TERMS_BY_ID.get(str(term.get("id")))
        if profile is not None:
            try:
                values[profile.code].append(parse_value(profile, row.data.get("value")))
            except ValueError as error:
                ctx.warn(row, "value", "profile_value", f"{profile.code}: {error}; ignored")
            continue
        draft.details.setdefault("service_terms", []).append(service_terms(term))
        if service_types_of_term(ctx.terms, term):
            continue
        kept.append(row.data)
        if term_row is not None:
            kept_terms.append(term_row.data)
    draft.service_types = service_types_of_terms(ctx.terms, draft.details.get("service_terms", []))
    if kept:
        draft.details["attributes"] = kept
        draft.details["taxonomy_terms"] = kept_terms
    _profile_values(ctx, service, draft, values)


def _profile_values(
    ctx: _Context, service: Row, draft: Draft, values: dict[str, list[Any]]
) -> None:
    for code, found in values.items():
        if len(found) > 1 and not TERMS[code].repeatable and len(set(found)) > 1:
            ctx.warn(
                service,
                "attributes",
                "profile_value",
                f"{code} given {len(found)} times; the first is used",
            )
    first = {code: found[0] for code, found in values.items()}
    for name in (
        "excludes_active_use",
        "excludes_sex_work",
        "requires_religious_participation",
        "conversion_therapy",
        "excludes_criminal_history",
    ):
        if f"lead.barrier.{name}" in first:
            draft.barriers[name] = bool(first[f"lead.barrier.{name}"])
    if values.get("lead.eligibility.gender"):
        draft.eligibility["genders"] = sorted(set(map(str, values["lead.eligibility.gender"])))
    if values.get("lead.eligibility.household"):
        draft.eligibility["households"] = sorted(
            set(map(str, values["lead.eligibility.household"]))
        )
    for name in ("pets_allowed", "requires_id"):
        if f"lead.eligibility.{name}" in first:
            draft.eligibility[name] = bool(first[f"lead.eligibility.{name}"])
    draft.serves = sorted(set(map(str, values.get("lead.serves", []))))
    if "lead.location.neighborhood" in first:
        draft.neighborhood = str(first["lead.location.neighborhood"])
    cap = draft.capacity
    cap.waitlist = first.get("lead.capacity.waitlist")
    cap.lead_reserved = first.get("lead.capacity.lead_reserved")
    cap.purchasable = first.get("lead.capacity.purchasable")
    price = first.get("lead.capacity.price")
    cap.price = float(price) if price is not None else None


def _ages(ctx: _Context, service: Row, draft: Draft) -> None:
    """Ages are whole years: a fractional bound is rounded inwards (never widening who
    is served); bounds in the wrong order are reported and both dropped."""
    data = service.data
    low, high = data.get("minimum_age"), data.get("maximum_age")
    if isinstance(low, int | float):
        draft.eligibility["min_age"] = math.ceil(low)
    if isinstance(high, int | float):
        draft.eligibility["max_age"] = math.floor(high)
    lo, hi = draft.eligibility.get("min_age"), draft.eligibility.get("max_age")
    if lo is not None and hi is not None and lo > hi:
        ctx.warn(
            service,
            "minimum_age",
            "age_bounds",
            f"minimum_age {low} is above maximum_age {high}; both ignored",
        )
        draft.eligibility.pop("min_age")
        draft.eligibility.pop("max_age")


def _place(ctx: _Context, draft: Draft) -> None:
    """The first service_at_location whose location has coordinates, else an address
    the locator places; otherwise the program is kept unlocated."""
    sals = ctx.of("service_at_location", draft.program_id)
    locations: list[Row] = []
    for sal in sals:
        location = ctx.lookup("location", sal.data.get("location_id"), sal, "location_id")
        if location is not None:
            locations.append(location)
    draft.details["service_at_locations"] = [s.data for s in sals]
    draft.details["locations"] = [loc.data for loc in locations]
    addresses = [a.data for loc in locations for a in ctx.of("address", str(loc.data["id"]))]
    if addresses:
        draft.details["addresses"] = addresses
    for location in locations:
        lat, lon = location.data.get("latitude"), location.data.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            if -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0, 0):
                draft.lat, draft.lon = float(lat), float(lon)
                draft.details["location_method"] = "feed"
                return
            ctx.warn(
                location,
                "latitude",
                "coordinates",
                f"({lat}, {lon}) is not a place on Earth; the address is used",
            )
    if ctx.locator is not None:
        for address in addresses:
            found = ctx.locator.locate(
                address=" ".join(
                    str(address.get(k, "")) for k in ("address_1", "address_2")
                ).strip()
                or None,
                city=address.get("city"),
                state=address.get("state_province"),
                postal_code=address.get("postal_code"),
                country=address.get("country"),
            )
            if found is not None:
                draft.lat, draft.lon = found.lat, found.lon
                draft.details["location_method"] = found.method
                return
    service = ctx.feed.tables["service"][draft.program_id]
    ctx.warn(
        service,
        "service_at_locations",
        "unlocated",
        "no location with coordinates or a locatable address: imported, not matched until located",
    )


def _capacity(ctx: _Context, draft: Draft, stale_after: timedelta) -> None:
    """Free places from the service's capacity in places (bed, place, slot...), else
    its only capacity. Negative or unparseable numbers and reports older than
    ``stale_after`` are ignored (capacity stays as it was, unknown for a new program);
    ``available`` above ``maximum`` is cut to ``maximum``; fractions are rounded down."""
    rows = ctx.of("service_capacity", draft.program_id)
    if not rows:
        return

    def unit_of(row: Row) -> Json:
        unit = ctx.feed.tables["unit"].get(str(row.data.get("unit_id")))
        return unit.data if unit else {}

    def score(row: Row) -> tuple[bool, str]:
        return (is_place_unit(unit_of(row)), str(row.data.get("updated", "")))

    row = max(rows, key=score)
    if len(rows) > 1:
        ctx.warn(
            row,
            None,
            "several_capacities",
            f"service has {len(rows)} capacities; the one in {unit_of(row).get('name')} is used",
        )
    data = row.data
    draft.details["capacity"] = {
        **_scalars(data, ("service_id", "available", "updated")),
        "unit": unit_of(row),
    }
    if row.data.get("unit_id") is not None and not unit_of(row):
        ctx.warn(
            row, "unit_id", "unknown_id", f"unit_id {data.get('unit_id')} names no unit in the feed"
        )
    if not is_place_unit(unit_of(row)):
        unit = unit_of(row).get("name") or "no known unit"
        message = f"capacity in {unit} is not places: kept as information, capacity unknown"
        ctx.warn(row, "unit_id", "not_places", message)
        return
    available = data.get("available")
    try:
        updated = parse_datetime(str(data.get("updated")))
    except ValueError:
        ctx.error(row, "updated", "date-time", "not a date-time; capacity ignored")
        return
    if updated.tzinfo is None:
        ctx.warn(row, "updated", "timezone", "no time zone; read as UTC")
        updated = updated.replace(tzinfo=ctx.now.tzinfo)
    if not isinstance(available, int | float) or available < 0 or not math.isfinite(available):
        ctx.error(
            row,
            "available",
            "non_negative",
            f"available {available} is not a count; capacity ignored",
        )
        return
    if updated < ctx.now - stale_after:
        ctx.warn(
            row,
            "updated",
            "stale",
            f"updated {updated.isoformat()} is older than {stale_after.days} day(s): ignored",
        )
        return
    maximum = data.get("maximum")
    if isinstance(maximum, int | float) and available > maximum:
        ctx.warn(
            row,
            "available",
            "available_above_maximum",
            f"available {available} is above maximum {maximum}; {math.floor(maximum)} used",
        )
        available = max(0, maximum)
    if not float(available).is_integer():
        ctx.warn(row, "available", "whole_number", f"available {available} rounded down")
    draft.capacity.reported = True
    draft.capacity.open_slots = math.floor(available)
    draft.capacity.updated = updated


def _language_codes(ctx: _Context, rows: list[Row]) -> list[str]:
    """The languages' standard codes ("Spanish" -> "es"), which participants' language
    preferences are compared with; a name that is no language is reported, and kept
    with the row in the program's details."""
    codes: set[str] = set()
    for row in rows:
        names = [str(row.data[k]) for k in ("code", "name") if row.data.get(k)]
        found = next((c for c in map(known_code, names) if c is not None), None)
        if found is not None:
            codes.add(found)
        elif names:
            ctx.warn(row, "name", "unknown_language", f"{names[0]!r} is no known language")
    return sorted(codes)


def _service(ctx: _Context, service: Row, stale_after: timedelta, out: Mapped) -> None:
    data = service.data
    sid = str(data["id"])
    if data.get("status") != "active":
        out.skipped[sid] = f"status {data.get('status')}"
        ctx.warn(service, "status", "not_active", f"service is {data.get('status')}: not imported")
        return
    organization = ctx.lookup(
        "organization", data.get("organization_id"), service, "organization_id", "error"
    )
    if organization is None:
        out.skipped[sid] = "no organization"
        return
    draft = Draft(
        program_id=sid,
        organization_id=str(organization.data["id"]),
        organization_name=str(organization.data["name"]),
        name=str(data["name"]),
        description=data.get("description"),
        service_types=[],
        lat=None,
        lon=None,
    )
    draft.details["service"] = _scalars(data, SERVICE_FIELDS)
    draft.details["organization"] = _scalars(organization.data, ("id", "name"))
    _attributes(ctx, service, draft)
    if not draft.service_types:
        # Kept with its terms but never matched: a crosswalk may map them later.
        out.unmapped[sid] = [term_label(t) for t in draft.details.get("service_terms", [])]
    _ages(ctx, service, draft)
    languages = ctx.of("language", sid)
    draft.languages = _language_codes(ctx, languages)
    if languages:
        draft.details["languages"] = [r.data for r in languages]
    areas = ctx.of("service_area", sid)
    if areas:
        draft.details["service_areas"] = [r.data for r in areas]
    _place(ctx, draft)
    _capacity(ctx, draft, stale_after)
    out.drafts.append(draft)


def map_feed(
    feed: Feed,
    now: datetime,
    *,
    locator: Locator | None,
    terms: Taxonomy | None,
    stale_after: timedelta = timedelta(days=30),
) -> Mapped:
    """Every valid, active, typed service of ``feed`` as a draft program."""
    out = Mapped(skipped=dict(feed.invalid_services))
    ctx = _Context(feed, locator, terms, now)
    for sid in sorted(feed.tables["service"]):
        _service(ctx, feed.tables["service"][sid], stale_after, out)
    for table, pointer in (
        ("service_capacity", "service_id"),
        ("service_at_location", "service_id"),
    ):
        for row in feed.tables[table].values():
            key = str(row.data.get(pointer))
            if key not in feed.tables["service"] and key not in feed.invalid_services:
                ctx.warn(
                    row, pointer, "unknown_id", f"{pointer} {key} names no service in the feed"
                )
    out.problems = [*feed.problems, *ctx.problems]
    return out
