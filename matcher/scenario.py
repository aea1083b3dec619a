"""The scenario contract (``lead-matcher/scenario@1``): typed, validated, round-trippable.

A scenario is one snapshot of programs, participants and the fund. These pydantic
models read and write exactly the JSON of ``spec/SCENARIO.md``. Validation is
strict about types (``"3"`` is not a count), treats ``null`` as an absent field,
ignores unknown fields and rejects a bad scenario *as a whole*, with one
``ScenarioIssue`` per problem, each naming its JSON path and the rule it breaks.
Ids in ``avoid_programs`` / ``preferred_programs`` / ``declined_programs`` /
``waitlist_positions`` that name no program are kept and reported as warnings, never
errors; a waitlist position beyond that program's ``waitlist``, or two positions on one
program, is an error.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from matcher.errors import ScenarioInvalid, ScenarioIssue
from matcher.inputs import TEXT_RULES, InputInvalid, first_text_fault, loads_json, read_text

SCENARIO_FORMAT = "lead-matcher/scenario@1"

MAX_COUNT = 1_000_000_000
MAX_AMOUNT = 1e12


def _date_time_text(value: Any) -> Any:
    """A date-time must be ISO 8601 text: a bare number is not read as a Unix time."""
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("datetime_type", "must be an ISO 8601 date-time")
    return value


# Bounds keep every count and amount far inside the engine's 64-bit integer arithmetic.
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Flag = Annotated[bool, Field(strict=True)]
Money = Annotated[float, Field(strict=True, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Whole = Annotated[int, Field(strict=True, ge=-MAX_COUNT, le=MAX_COUNT)]
DateTime = Annotated[datetime, BeforeValidator(_date_time_text)]
Text = Annotated[str, Field(strict=True)]
NonEmptyTexts = Annotated[list[Text], Field(min_length=1)]


class _Model(BaseModel):
    """Base: unknown fields ignored. ``parse_scenario`` reads ``null`` as an absent field."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Location(_Model):
    """A point in WGS84 degrees, optionally named by its neighbourhood."""

    lat: Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False)]
    neighborhood: Text | None = None


class Capacity(_Model):
    """A program's reported capacity; ``open_slots=None`` means never reported."""

    open_slots: Count | None = None
    waitlist: Count = 0
    held: Count = 0
    lead_reserved_open: Count = 0
    updated: DateTime | None = None
    purchasable: Count = 0
    price: Money = 0.0

    @model_validator(mode="after")
    def _held_within_open(self) -> Capacity:
        if self.open_slots is None and self.held > 0:
            raise PydanticCustomError(
                "held_above_open", "must be 0 when open_slots is unknown", {"field": "held"}
            )
        if self.open_slots is not None and self.held > self.open_slots:
            raise PydanticCustomError(
                "held_above_open",
                "must be <= open_slots ({open_slots})",
                {"field": "held", "open_slots": self.open_slots},
            )
        return self


class Barriers(_Model):
    """Program rules that exclude people; any one set makes a program unfundable."""

    excludes_active_use: Flag = False
    excludes_sex_work: Flag = False
    requires_religious_participation: Flag = False
    conversion_therapy: Flag = False
    excludes_criminal_history: Flag = False

    @property
    def any(self) -> bool:
        """Whether the program sets any barrier (then the fund may not buy there)."""
        return any(self.model_dump().values())


class Eligibility(_Model):
    """Who a program serves; each criterion applies only where it is set."""

    genders: NonEmptyTexts | None = None
    min_age: Whole | None = None
    max_age: Whole | None = None
    households: NonEmptyTexts | None = None
    pets_allowed: Flag = True
    requires_id: Flag = False
    reserved_for: NonEmptyTexts | None = None

    @model_validator(mode="after")
    def _age_bounds_ordered(self) -> Eligibility:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise PydanticCustomError(
                "age_bounds",
                "must be <= max_age ({max_age})",
                {"field": "min_age", "max_age": self.max_age},
            )
        return self


class Program(_Model):
    """A provider's program: what it offers, where, to whom, and its capacity."""

    id: Text
    provider_id: Text
    name: Text | None = None
    service_types: NonEmptyTexts
    location: Location
    capacity: Capacity = Field(default_factory=Capacity)
    barriers: Barriers = Field(default_factory=Barriers)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    serves: list[Text] = Field(default_factory=list)
    languages: list[Text] = Field(default_factory=list)

    @property
    def fundable(self) -> bool:
        """The fund may buy places here only if no barrier is set."""
        return not self.barriers.any


class Attributes(_Model):
    """What a participant chose to disclose; unstated fields stay ``None``."""

    age: Whole | None = None
    gender: Text | None = None
    household: Text | None = None
    active_use: Flag = False
    sex_work: Flag = False
    criminal_history: Flag = False
    has_pet: Flag = False
    has_id: Flag = True
    accepts_faith_based: Flag = False
    populations: list[Text] = Field(default_factory=list)


class StayAway(_Model):
    """A circle the participant must not enter (court order, place of harm)."""

    lat: Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False)]
    radius_m: Money


def category_of(service_type: str) -> str:
    """The service category of a type code (``housing.shelter`` -> ``housing``)."""
    return service_type.split(".")[0]


class Need(_Model):
    """One self-identified need; any of its service types meets it."""

    id: Text
    service_types: NonEmptyTexts
    acute: Flag = False
    rank: Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)] | None = None
    preferred_programs: list[Text] = Field(default_factory=list)
    # Programs already declined for this need (by the participant, or by the provider
    # as the wrong fit): never offered for it again; nothing else is affected.
    declined_programs: list[Text] = Field(default_factory=list)

    @property
    def category(self) -> str:
        """The need's service category: that of its first service type."""
        return category_of(self.service_types[0])


class WaitlistPosition(_Model):
    """Where the participant already waits on a program's community waitlist (1 = next)."""

    program_id: Text
    position: Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)]


class Participant(_Model):
    """A pseudonymous participant and their plan, in their own order."""

    id: Text
    location: Location
    attributes: Attributes = Field(default_factory=Attributes)
    prefers: list[Text] = Field(default_factory=list)
    languages: list[Text] = Field(default_factory=list)
    max_distance_km: Money | None = None
    stay_away: list[StayAway] = Field(default_factory=list)
    avoid_programs: list[Text] = Field(default_factory=list)
    waitlist_positions: list[WaitlistPosition] = Field(default_factory=list)
    needs: list[Need]

    def need_rank(self, position: int) -> int:
        """The participant's rank of the need at ``position`` (stated, else its place)."""
        rank = self.needs[position].rank
        return rank if rank is not None else position + 1


class Fund(_Model):
    """The program fund: what is left to buy new places with."""

    budget: Money = 0.0


class Scenario(_Model):
    """One snapshot the matcher decides on."""

    format: Text = SCENARIO_FORMAT
    as_of: DateTime | None = None
    fund: Fund = Field(default_factory=Fund)
    programs: list[Program]
    participants: list[Participant]

    @model_validator(mode="after")
    def _known_format(self) -> Scenario:
        if self.format != SCENARIO_FORMAT:
            raise PydanticCustomError(
                "format",
                "must be {expected}",
                {"field": "format", "expected": SCENARIO_FORMAT},
            )
        return self

    def warnings(self) -> list[str]:
        """Ids that name no program: kept, ignored for matching, reported."""
        known = {p.id for p in self.programs}
        out: list[str] = []
        for i, person in enumerate(self.participants):
            for j, pid in enumerate(person.avoid_programs):
                if pid not in known:
                    out.append(f"participants[{i}].avoid_programs[{j}]: no program {pid}")
            for j, entry in enumerate(person.waitlist_positions):
                if entry.program_id not in known:
                    out.append(
                        f"participants[{i}].waitlist_positions[{j}].program_id:"
                        f" no program {entry.program_id}"
                    )
            for k, need in enumerate(person.needs):
                if not (need.preferred_programs or need.declined_programs):
                    continue  # most needs name no program: nothing to look up
                for name in ("preferred_programs", "declined_programs"):
                    for j, pid in enumerate(getattr(need, name)):
                        if pid not in known:
                            out.append(
                                f"participants[{i}].needs[{k}].{name}[{j}]: no program {pid}"
                            )
        return out

    def to_json(self) -> dict[str, Any]:
        """The scenario as contract JSON (defaults left out, ``None`` dropped)."""
        return self.model_dump(mode="json", exclude_none=True)


# --------------------------------------------------------------------------- loading

_MESSAGES = {
    "missing": "is required",
    "greater_than_equal": "must be >= {ge}",
    "less_than_equal": "must be <= {le}",
    "too_short": "must not be empty",
    "finite_number": "must be a finite number",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "datetime_from_date_parsing": "must be an ISO 8601 date-time",
    "datetime_parsing": "must be an ISO 8601 date-time",
    "datetime_type": "must be an ISO 8601 date-time",
}


def format_path(loc: Iterable[str | int]) -> str:
    """``('programs', 3, 'capacity')`` -> ``programs[3].capacity``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "$"


def _issues_from(error: ValidationError) -> list[ScenarioIssue]:
    issues = []
    for e in error.errors(include_url=False):
        ctx = e.get("ctx") or {}
        loc = list(e["loc"])
        if "field" in ctx:
            loc.append(ctx["field"])
        template = _MESSAGES.get(e["type"])
        message = template.format(**ctx) if template else e["msg"]
        issues.append(ScenarioIssue(path=format_path(loc), rule=e["type"], message=message))
    return issues


def _duplicate_issues(data: Any) -> list[ScenarioIssue]:
    """Duplicate ids, found on the raw data so they are reported with type errors too."""
    if not isinstance(data, Mapping):
        return []
    issues: list[ScenarioIssue] = []

    def check(items: Any, where: str, seen: dict[str, str]) -> None:
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            ident = item.get("id") if isinstance(item, Mapping) else None
            if not isinstance(ident, str):
                continue
            path = f"{where}[{i}].id"
            if ident in seen:
                issues.append(
                    ScenarioIssue(
                        path, "duplicate_id", f"duplicate id {ident} (first at {seen[ident]})"
                    )
                )
            else:
                seen[ident] = path

    check(data.get("programs"), "programs", {})
    check(data.get("participants"), "participants", {})
    need_ids: dict[str, str] = {}
    people = data.get("participants")
    if isinstance(people, list):
        for i, person in enumerate(people):
            if isinstance(person, Mapping):
                check(person.get("needs"), f"participants[{i}].needs", need_ids)
    return issues


def _waitlist_issues(scenario: Scenario) -> list[ScenarioIssue]:
    """Waitlist positions beyond the program's waitlist, and two entries for one program.

    Positions on programs the scenario does not hold are warnings (``Scenario.warnings``).
    """
    waitlist = {g.id: g.capacity.waitlist for g in scenario.programs}
    issues: list[ScenarioIssue] = []
    for i, person in enumerate(scenario.participants):
        seen: dict[str, int] = {}
        for j, entry in enumerate(person.waitlist_positions):
            path = f"participants[{i}].waitlist_positions[{j}]"
            if entry.program_id in seen:
                first = f"participants[{i}].waitlist_positions[{seen[entry.program_id]}]"
                issues.append(
                    ScenarioIssue(
                        f"{path}.program_id",
                        "duplicate_waitlist",
                        f"second entry for program {entry.program_id} (first at {first})",
                    )
                )
                continue
            seen[entry.program_id] = j
            length = waitlist.get(entry.program_id)
            if length is not None and entry.position > length:
                issues.append(
                    ScenarioIssue(
                        f"{path}.position",
                        "position_beyond_waitlist",
                        f"must be <= the waitlist of program {entry.program_id} ({length})",
                    )
                )
    return issues


def _without_nulls(data: Any) -> Any:
    """The same JSON with every ``"key": null`` member removed (null means absent)."""
    if isinstance(data, Mapping):
        return {k: _without_nulls(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_nulls(v) for v in data]
    return data


def _drop_null_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if v is not None}


def parse_scenario(data: Any) -> Scenario:
    """Validate decoded JSON into a ``Scenario`` or raise ``ScenarioInvalid`` with every issue."""
    return _parse(_without_nulls(data))


def _parse(data: Any) -> Scenario:
    issues = _duplicate_issues(data)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        issues = _issues_from(error) + issues
        raise ScenarioInvalid(issues) from None
    issues += _waitlist_issues(scenario)
    if issues:
        raise ScenarioInvalid(issues)
    return scenario


def load_scenario(source: str | Path) -> Scenario:
    """Read a scenario file (``-`` is standard input, both strict UTF-8) and validate it."""
    try:
        text = read_text(source)
    except InputInvalid as error:
        raise ScenarioInvalid([ScenarioIssue("$", error.rule, error.message)]) from None
    return loads_scenario(text)


# A NUL or a UTF-16 surrogate written as an escape: such text takes the slow path,
# which finds and names the string (a surrogate pair is fine, a lone one is not).
_SUSPECT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|\x00")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run a block without the cyclic garbage collector (as it was before, after it).

    Reading a state-scale scenario makes over a million objects, none in a reference
    cycle; with the collector on, its full passes walk them again and again and take
    most of the reading time (about 9 s of 11 s measured, ``docs/benchmarks.md``).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if gc.get_freeze_count() == 0:
                # Hand the new objects to the oldest generation without a pass over them
                # (otherwise the first allocation after ``enable`` would walk them all).
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def loads_scenario(text: str) -> Scenario:
    """Parse scenario JSON text; malformed, too deep or holding text no store can keep
    (a NUL, a lone surrogate) is an issue like any other, naming its path."""
    with collector_paused():
        return _loads_scenario(text)


def _loads_scenario(text: str) -> Scenario:
    if "null" not in text and _SUSPECT.search(text) is None:
        fast = _validate_json_text(text)
        if fast is not None:
            return fast
    try:
        data = loads_json(text, object_pairs_hook=_drop_null_members)
    except InputInvalid as error:
        raise ScenarioInvalid([ScenarioIssue("$", error.rule, error.message)]) from None
    fault = first_text_fault(data)
    if fault is not None:
        raise ScenarioInvalid([ScenarioIssue(fault[0], fault[1], TEXT_RULES[fault[1]])])
    return _parse(data)


def _validate_json_text(text: str) -> Scenario | None:
    """The common case in one pass of pydantic's own JSON parser: no nulls to drop.

    Returns None when anything is wrong, so that the slower path reports every
    issue with the same paths and messages.
    """
    try:
        scenario = Scenario.model_validate_json(text)
    except ValidationError:
        return None
    programs = [g.id for g in scenario.programs]
    people = [p.id for p in scenario.participants]
    needs = [n.id for p in scenario.participants for n in p.needs]
    if any(len(set(ids)) != len(ids) for ids in (programs, people, needs)):
        return None
    if any(p.waitlist_positions for p in scenario.participants) and _waitlist_issues(scenario):
        return None
    return scenario
