"""Checks of a participant's record that the API and the pages share.

The JSON API's request models refuse malformed input first, but the pages build
participants from forms, so the rules that matter to the store and to matching live
here, once, and every edge calls them: pseudonyms and need ids follow the API's own
pattern; an age is a person's age; a participant is met within the site's area (a
centre and a radius from the settings), so no typo places someone across the
country; the plan's need ids are unique, and a need id a caller sends must be one
of the participant's own (an unknown id is refused the same way whether it is free
or another case load's, so ids reveal nothing). Each refusal is ``Invalid`` naming
the field and the rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence

from matcher.inputs import TEXT_RULES, text_fault
from matcher.scenario import Need, Participant, Scenario
from matcher.service.errors import Invalid
from matcher.site import SiteArea

ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
"""Pseudonyms, need ids and every other id the API accepts."""
MAX_ID = 200
MAX_TEXT = 200
MAX_AGE = 130
_ID = re.compile(ID_PATTERN)


def check_id(value: str, field: str) -> None:
    """An id the API would accept: 1 to 200 letters, digits or ``._:-``."""
    if not 0 < len(value) <= MAX_ID:
        raise Invalid("string_too_long", f"{field}: must be 1 to {MAX_ID} characters", field=field)
    if _ID.match(value) is None:
        raise Invalid(
            "string_pattern_mismatch",
            f"{field}: only letters, digits and . _ : - are allowed",
            field=field,
        )


def check_text(value: str, field: str, max_length: int = MAX_TEXT) -> None:
    """Free text the store can hold: no NUL, no lone surrogate, not over-long."""
    rule = text_fault(value)
    if rule is not None:
        raise Invalid(rule, f"{field}: {TEXT_RULES[rule]}", field=field)
    if len(value) > max_length:
        raise Invalid(
            "string_too_long", f"{field}: must be at most {max_length} characters", field=field
        )


def check_needs(needs: Sequence[Need]) -> None:
    """A plan's needs: ids in the API's pattern, each once, with clean service types."""
    seen: set[str] = set()
    for i, need in enumerate(needs):
        check_id(need.id, f"needs[{i}].id")
        if need.id in seen:
            raise Invalid(
                "duplicate_id", f"needs[{i}].id: need {need.id} is twice in the plan", field="needs"
            )
        seen.add(need.id)
        for j, kind in enumerate(need.service_types):
            check_text(kind, f"needs[{i}].service_types[{j}]")
        for j, program in enumerate(need.preferred_programs):
            check_text(program, f"needs[{i}].preferred_programs[{j}]")


def check_participant(person: Participant, area: SiteArea | None = None) -> None:
    """Everything the store and matching rely on about a participant (``area``: refuse
    a location outside it)."""
    check_id(person.id, "id")
    age = person.attributes.age
    if age is not None and not 0 <= age <= MAX_AGE:
        raise Invalid("age", f"attributes.age: must be from 0 to {MAX_AGE}", field="attributes.age")
    for name in ("gender", "household"):
        value = getattr(person.attributes, name)
        if value is not None:
            check_text(value, f"attributes.{name}")
    if person.location.neighborhood is not None:
        check_text(person.location.neighborhood, "location.neighborhood")
    for name in ("prefers", "languages", "avoid_programs"):
        for i, value in enumerate(getattr(person, name)):
            check_text(value, f"{name}[{i}]")
    if area is not None:
        away = area.distance_km(person.location.lat, person.location.lon)
        if away > area.radius_km:
            raise Invalid(
                "outside_site_area",
                f"location: {away:,.0f} km from the site's centre; participants are met "
                f"within {area.radius_km:g} km of it",
                field="location",
            )
    check_needs(person.needs)


def new_need_id() -> str:
    """A need id that says nothing about the person or the need."""
    return f"n-{uuid.uuid4().hex[:12]}"


def need_ids(wanted: Sequence[str | None], own: Collection[str]) -> list[str]:
    """The ids of a plan a caller sent: a given id must name one of the participant's
    ``own`` needs (any other answers alike, free or not), a missing one is made."""
    out: list[str] = []
    for i, need_id in enumerate(wanted):
        if need_id is None:
            out.append(new_need_id())
            continue
        if need_id not in own:
            raise Invalid(
                "unknown_need",
                f"needs[{i}].id: not one of this participant's needs; leave id out for a new need",
                field=f"needs[{i}].id",
            )
        out.append(need_id)
    return out


def with_travel_limit(person: Participant, default_km: float | None) -> Participant:
    """``person`` with the site's default travel limit when they set none of their own."""
    if default_km is None or person.max_distance_km is not None:
        return person
    return person.model_copy(update={"max_distance_km": default_km})


def too_long_for_the_store(scenario: Scenario) -> list[str]:
    """Where a scenario holds an id or a name longer than the store's columns (200
    characters; a program's name 300): the import refuses it whole, naming each place."""
    found: list[str] = []

    def check(value: str | None, where: str, limit: int = MAX_ID) -> None:
        if value is not None and len(value) > limit:
            found.append(f"{where}: must be at most {limit} characters")

    for i, program in enumerate(scenario.programs):
        check(program.id, f"programs[{i}].id")
        check(program.provider_id, f"programs[{i}].provider_id")
        check(program.name, f"programs[{i}].name", 300)
        check(program.location.neighborhood, f"programs[{i}].location.neighborhood")
        for j, kind in enumerate(program.service_types):
            check(kind, f"programs[{i}].service_types[{j}]")
    for i, person in enumerate(scenario.participants):
        check(person.id, f"participants[{i}].id")
        check(person.location.neighborhood, f"participants[{i}].location.neighborhood")
        for j, need in enumerate(person.needs):
            check(need.id, f"participants[{i}].needs[{j}].id")
    return found
