"""Request and response bodies. Separate from the tables: only these fields cross HTTP.

Participant attributes reuse the scenario contract's own types (location,
attributes, stay-away zones, needs), so the API accepts exactly what
``matcher solve`` accepts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from matcher.capacity.pools import PoolName
from matcher.inputs import TEXT_RULES, text_fault
from matcher.scenario import (
    MAX_AMOUNT,
    Attributes,
    Flag,
    Location,
    Need,
    StayAway,
    WaitlistPosition,
)
from matcher.service.checks import ID_PATTERN, MAX_AGE, MAX_ID, MAX_TEXT


def _clean(value: str) -> str:
    """Text the store can hold (no NUL, no lone surrogate); the middleware refuses
    these first, this keeps the models right on their own."""
    rule = text_fault(value)
    if rule is not None:
        raise ValueError(TEXT_RULES[rule])
    return value


def _iso_8601(value: Any) -> Any:
    """A date-time as ISO 8601 text only: ``0.5`` is not read as a Unix time."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 date-time") from None
    return value


Moment = Annotated[datetime, BeforeValidator(_iso_8601)]


def _integral(value: Any) -> Any:
    """A JSON number with no fraction (``3.0``) is the integer it names; a string is not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


"""A date-time given as ISO 8601 text (a query parameter, say)."""
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=ID_PATTERN)]
Clean = AfterValidator(_clean)
"""Put last in a string's ``Annotated``, after its ``Field`` with the length bounds."""
Text = Annotated[str, Field(strict=True, max_length=MAX_TEXT), Clean]
"""Short free text (a name, a code): clean and at most 200 characters."""
Name = Annotated[str, Field(strict=True, min_length=1, max_length=MAX_TEXT), Clean]
Note = Annotated[str, Field(strict=True, max_length=2000), Clean]
"""Longer free text (a note for the team)."""
ShortList = Annotated[list[Name], Field(max_length=100)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


# Providers


class CapacityReport(_In):
    """A provider's report: free places now (held ones included) and people waiting."""

    open_slots: Count
    waitlist: Count
    reason: Annotated[str, Field(strict=True, max_length=500), Clean] = ""


class HoldOut(_Out):
    referral_id: str
    status: str
    pool: str
    expires_at: datetime


class ProgramOut(_Out):
    program_id: str
    name: str | None
    service_types: list[str]
    open_slots: int | None = Field(description="free places now; null until first reported")
    waitlist: int
    held: int
    unused: int = Field(description="places a participant may take without bumping anyone")
    lead_reserved_open: int
    purchasable: int
    price: float
    reported_at: datetime | None
    version: int
    holds: list[HoldOut]


DeclineReason = Literal[
    "no_capacity",
    "not_eligible",
    "participant_unreachable",
    "participant_declined",
    "safety_concern",
    "other",
]
EndReason = Literal["completed", "left", "moved_on", "transferred", "other"]


AnswerNote = Annotated[
    str | None,
    Field(max_length=500, description="free text, only with reason other; no participant data"),
]


class DeclineIn(_In):
    reason: DeclineReason
    note: AnswerNote = None


class EndIn(_In):
    reason: EndReason
    note: AnswerNote = None


class ReferralOut(_Out):
    referral_id: str
    program_id: str
    participant_id: str
    need_id: str
    service_types: list[str]
    pool: str
    status: str
    price: float
    created_at: datetime
    expires_at: datetime
    decline_reason: str | None
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="for providers: only the eligibility facts the program asks about",
    )
    notice: str | None = Field(default=None, description="the 42 CFR Part 2 redisclosure notice")
    note: str | None = Field(default=None, description="the answer's free text (reason other)")
    sent_at: datetime | None = Field(default=None, description="when it was sent to the provider")
    respond_by: datetime | None = Field(
        default=None, description="the provider's answer is due by then"
    )
    overdue: bool = Field(
        default=False, description="sent, unanswered, past respond_by (case managers only)"
    )


class HistoryOut(_Out):
    status: str
    at: datetime
    actor: str
    reason: str | None


# Case managers


class LocationIn(Location):
    """Where the participant is met (within the site's area)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    neighborhood: Text | None = None


class AttributesIn(Attributes):
    """What the participant chose to disclose (see the scenario contract)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age: Annotated[int, Field(strict=True, ge=0, le=MAX_AGE), BeforeValidator(_integral)] | None = (
        None
    )
    gender: Text | None = None
    household: Text | None = None


class NeedIn(_In):
    """One need of the plan; ``id`` names one of the participant's own needs to keep
    it (and its referrals), and is left out for a new need (the server makes one)."""

    id: Id | None = None
    service_types: Annotated[list[Name], Field(min_length=1, max_length=30)]
    acute: Flag = False
    rank: (
        Annotated[int, Field(strict=True, ge=1, le=1_000_000_000), BeforeValidator(_integral)]
        | None
    ) = None
    preferred_programs: ShortList = Field(default_factory=list)
    declined_programs: ShortList = Field(
        default_factory=list,
        description=(
            "Ignored on input: derived from the need's referrals (clear one with DELETE "
            ".../needs/{need_id}/declined/{program_id}); accepted so a need read can be sent back"
        ),
    )


def _unique_ids(needs: list[NeedIn]) -> list[NeedIn]:
    seen: set[str] = set()
    for need in needs:
        if need.id is not None and need.id in seen:
            raise PydanticCustomError(
                "duplicate_id", "need {id} is twice in the plan", {"id": need.id}
            )
        seen.add(need.id or "")
    return needs


NeedsIn = Annotated[list[NeedIn], Field(max_length=50), AfterValidator(_unique_ids)]


class ParticipantFields(_In):
    """What a case manager records about a participant (under a pseudonym)."""

    location: LocationIn
    attributes: AttributesIn = Field(default_factory=AttributesIn)
    prefers: ShortList = Field(default_factory=list)
    languages: ShortList = Field(default_factory=list)
    max_distance_km: Annotated[float, Field(gt=0, le=20_000)] | None = None
    stay_away: Annotated[list[StayAway], Field(max_length=50)] = Field(default_factory=list)
    avoid_programs: ShortList = Field(default_factory=list)


class ParticipantIn(ParticipantFields):
    """A new participant; the server makes the pseudonym and the needs' ids."""

    intake_id: Id | None = Field(
        default=None, description="the intake (taken up by this case manager) it comes from"
    )
    needs: NeedsIn = Field(default_factory=list)


class IntakeOut(_Out):
    """A referral into LEAD, as case managers see it."""

    intake_id: str
    reference: str
    note: str
    received_at: datetime
    taken: bool = Field(description="taken up by this case manager")
    taken_at: datetime | None
    participant_id: str | None


class ParticipantUpdate(ParticipantFields):
    """New attributes (the plan is changed apart); ``active`` false keeps the record."""

    active: bool | None = None


class PlanIn(_In):
    """The Individual Intervention Plan's needs in the participant's own order."""

    needs: NeedsIn


class ParticipantOut(BaseModel):
    id: str
    active: bool
    version: int
    location: Location
    attributes: Attributes
    prefers: list[str]
    languages: list[str]
    max_distance_km: float | None
    stay_away: list[StayAway]
    avoid_programs: list[str]
    waitlist_positions: list[WaitlistPosition] = Field(default_factory=list)
    needs: list[Need]


class HoldIn(_In):
    participant_id: Id
    need_id: Id
    program_id: Id
    pool: PoolName = "general"


class OptionOut(_Out):
    program_id: str
    program_name: str | None
    pool: str
    distance_km: float
    price: float
    preferred: bool
    room: int


class NeedMatchOut(_Out):
    need_id: str
    service_types: list[str]
    acute: bool
    status: str = Field(description="open, or the status of the referral already made")
    referral_id: str | None
    recommended: OptionOut | None
    options: list[OptionOut]
    excluded: dict[str, int] = Field(description="programs of the type excluded, by rule")
    full: int = Field(0, description="programs the participant may use that have no place")
    would_displace: int = Field(
        0, description="of those, programs whose free places are owed to people waiting"
    )
    unreported: int = Field(
        0, description="of those, programs that never reported their free places"
    )
    reason: str | None
    detail: str | None


class WaitingOut(_Out):
    participant_id: str
    need_id: str
    service_types: list[str]
    acute: bool
    waiting_since: datetime = Field(
        description="when the need entered the plan, or its last placement ended"
    )
    days_waiting: float
    offer_id: str | None = Field(None, description="a live offer for the need, if any")
    offer_program_id: str | None
    offer_expires_at: datetime | None


class MatchOut(_Out):
    participant_id: str
    needs: list[NeedMatchOut]
    solver_status: str
    seconds: float


# Funders


class CountTableOut(_Out):
    rows: list[str]
    columns: list[str]
    cells: list[list[int | None]] = Field(description="null where a count is suppressed")
    suppressed_cells: int


class ReadableTableOut(_Out):
    table: CountTableOut
    rows: Literal["service_type", "category", "neighborhood", "district"] = Field(
        description="what the rows count by, after the roll-up"
    )
    columns: Literal["neighborhood", "district", "city", "all"] = Field(
        description="what the columns count by, after the roll-up ('all': one column)"
    )
    rolled_up: bool = Field(description="coarser than the finest table, so fewer cells hide")
    finest_hidden: int = Field(description="cells the finest table would have hidden")
    finest_cells: int = Field(description="cells of the finest table that count something")


class UnmetReadableOut(_Out):
    by_service: ReadableTableOut | None = Field(
        description="which services are lacking, and where; null when nothing is unmet"
    )
    by_area: ReadableTableOut | None = Field(
        description="where needs are unmet, whatever the service; null when nothing is unmet"
    )
    unreported: ReadableTableOut | None = Field(
        description="needs waiting on providers' reports (ask them to report; not places "
        "to buy); null when none"
    )


class WaitingSummaryOut(_Out):
    table: CountTableOut = Field(description="needs waiting, per category and days waited")
    waiting: int | None = Field(description="needs waiting; null when 1 to 10")
    offered: int | None = Field(description="of those, with an offer open; null when 1 to 10")


class FundOut(_Out):
    balance: float
    reserved: float
    available: float
    spent: float
    purchases: CountTableOut


class TopUpIn(_In):
    amount: Annotated[
        float,
        Field(
            strict=True,
            ge=0.01,
            le=MAX_AMOUNT,
            allow_inf_nan=False,
            description="Dollars added to the fund, in whole cents (a JSON number).",
            json_schema_extra={"multipleOf": 0.01},
        ),
    ]
    note: Annotated[str, Field(strict=True, max_length=500), Clean] = ""


class TopUpOut(_Out):
    id: int
    at: datetime
    amount: float
    actor: str
    note: str


class PlanSummaryOut(_Out):
    method: str
    spend: float
    needs_met: int | None = Field(description="null when 1 to 10")
    acute_met: int | None
    per_thousand: float | None = Field(description="needs met per 1,000 spent")
    status: str


class PurchaseOut(BaseModel):
    program_id: str
    places: int
    price: float
    spend: float


class PlanOut(_Out):
    budget: float
    exact: PlanSummaryOut
    naive: PlanSummaryOut
    purchases: list[PurchaseOut]
    met: CountTableOut = Field(description="needs the exact plan would meet, suppressed")
    unspent: float = Field(description="money the exact plan leaves unspent")
    why_unspent: list[str] = Field(
        description="why the money is left: each reason with how many needs it concerns "
        '("fewer than 11" for 1 to 10)'
    )


class ChangeIn(_In):
    """One program's change: a barrier dropped, ID no longer required, pets, new places."""

    program_id: Id
    drop_barrier: (
        Literal[
            "excludes_active_use",
            "excludes_sex_work",
            "requires_religious_participation",
            "conversion_therapy",
            "excludes_criminal_history",
        ]
        | None
    ) = None
    drop_id_requirement: bool = False
    allow_pets: bool = False
    add_places: Annotated[int, Field(ge=0, le=100_000)] = 0


class ImpactOut(_Out):
    change: str
    needs_met_now: int
    net_gain: int | None = Field(description="null when 1 to 10")
    acute_net_gain: int | None
    gained: CountTableOut


class GainsOut(BaseModel):
    participants: dict[str, list[str]] = Field(
        description="the case manager's own participants who would gain, with the needs"
    )


class ConsentIn(_In):
    """A participant's consent to share some categories with one recipient."""

    recipient_type: Literal["organization", "program"]
    recipient_id: Id
    categories: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=60)]], Field(min_length=1, max_length=30)
    ]
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ConsentOut(_Out):
    consent_id: str
    participant_id: str
    recipient_type: str
    recipient_id: str
    categories: list[str]
    starts_at: datetime
    ends_at: datetime | None
    revoked_at: datetime | None


class DisclosureOut(_Out):
    referral_id: str
    recipient_id: str
    fields: list[str] = Field(description="which fields were disclosed (never their values)")
    notice: bool = Field(description="whether the 42 CFR Part 2 redisclosure notice went with it")
    at: datetime
    actor: str
