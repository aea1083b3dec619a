"""Tables. Request and response models live in ``api/``; these are storage only.

Money is stored in whole cents. Lists and small nested objects that are always read
whole (service types, eligibility, stay-away zones) are JSON columns. Capacity counts
carry CHECK constraints so that no code path, ours or a hand-written query, can make
them negative.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from matcher.capacity.referral import OPEN, Status
from matcher.store.crypto import EncryptedJSON
from matcher.store.types import UTCDateTime

REFERRAL_STATUSES = tuple(s.value for s in Status)  # see matcher.capacity.referral
OPEN_REFERRAL_STATUSES = tuple(s.value for s in Status if s in OPEN)
_OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_REFERRAL_STATUSES) + ")"


def _json(nullable: bool = False) -> Any:
    return Field(sa_column=Column(JSON, nullable=nullable))


def _secret() -> Any:
    return Field(sa_column=Column(EncryptedJSON(), nullable=False))


def _when(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Organization(SQLModel, table=True):
    """A provider organisation."""

    id: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=300)


class Program(SQLModel, table=True):
    """A provider's program: what it offers, where, to whom. Capacity lives apart."""

    id: str = Field(primary_key=True, max_length=200)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=200)
    name: str | None = Field(default=None, max_length=300)
    service_types: list[str] = _json()
    # ``None`` until the program is located (an imported address that no geocoder or
    # ZIP centroid placed): such a program is kept but never matched.
    lat: float | None = None
    lon: float | None = None
    neighborhood: str | None = Field(default=None, max_length=200)
    excludes_active_use: bool = False
    excludes_sex_work: bool = False
    requires_religious_participation: bool = False
    conversion_therapy: bool = False
    excludes_criminal_history: bool = False
    eligibility: dict[str, Any] = _json()
    serves: list[str] = _json()
    languages: list[str] = _json()
    # Where the record came from (``local``, ``hsds``, ``hmis``) and the source's own
    # fields the model above has no place for, kept so an export gives them back.
    source: str = Field(default="local", max_length=20)
    # Days without a capacity report before the provider is told it is stale
    # (None: MATCHER_STALE_REPORT_DAYS, 7).
    stale_after_days: int | None = Field(default=None, ge=1)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )


class ProgramService(SQLModel, table=True):
    """Which service types a program offers, one row each: lets a match read only the
    programs that could serve a need instead of every program in the county."""

    __tablename__ = "program_service"

    program_id: str = Field(primary_key=True, foreign_key="program.id", max_length=200)
    service_type: str = Field(primary_key=True, index=True, max_length=200)


class ProgramCapacity(SQLModel, table=True):
    """A program's ledger state after its last event (``version`` counts events)."""

    __tablename__ = "program_capacity"
    __table_args__ = (
        CheckConstraint("open_slots IS NULL OR open_slots >= 0", name="open_slots_non_negative"),
        CheckConstraint("waitlist >= 0", name="waitlist_non_negative"),
        CheckConstraint("enrolled >= 0", name="enrolled_non_negative"),
        CheckConstraint("ended >= 0", name="ended_non_negative"),
        CheckConstraint("lead_reserved >= 0", name="lead_reserved_non_negative"),
        CheckConstraint("purchasable >= 0", name="purchasable_non_negative"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("version >= 0", name="version_non_negative"),
    )

    program_id: str = Field(primary_key=True, foreign_key="program.id", max_length=200)
    open_slots: int | None = None
    waitlist: int = 0
    reported_at: datetime | None = _when(nullable=True)
    enrolled: int = 0
    ended: int = 0
    lead_reserved: int = 0
    purchasable: int = 0
    price_cents: int = 0
    version: int = 0
    # Provider reports only: the version a provider's form is checked against, so a
    # case manager's hold or release in between does not make the form stale.
    report_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CapacityEvent(SQLModel, table=True):
    """One ledger event, append-only; ``version`` is the program's version after it."""

    __tablename__ = "capacity_event"
    __table_args__ = (
        UniqueConstraint("program_id", "version", name="one_event_per_version"),
        Index("ix_capacity_event_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: str = Field(foreign_key="program.id", index=True, max_length=200)
    version: int
    kind: str = Field(max_length=40)
    at: datetime = _when()
    actor: str = Field(max_length=200)
    reason: str = Field(default="", max_length=500)
    hold_id: str | None = Field(default=None, index=True, max_length=64)
    pool: str | None = Field(default=None, max_length=20)
    open_slots: int | None = None
    waitlist: int | None = None
    places: int = 0
    price_cents: int = 0
    expires_at: datetime | None = _when(nullable=True)
    # A waitlist_turn hold's place on the waitlist: what its room was checked against.
    position: int | None = None


class Participant(SQLModel, table=True):
    """A LEAD participant under a pseudonym. Never deleted for lack of progress."""

    id: str = Field(primary_key=True, max_length=200)
    case_manager_id: str = Field(index=True, max_length=200)
    active: bool = True
    lat: float
    lon: float
    neighborhood: str | None = Field(default=None, max_length=200)
    # Drug use, sex work, criminal history, household, where they must not go: encrypted.
    attributes: dict[str, Any] = _secret()
    prefers: list[str] = _json()
    languages: list[str] = _json()
    max_distance_km: float | None = None
    stay_away: list[dict[str, Any]] = _secret()
    avoid_programs: list[str] = _json()
    # Community waitlists the participant already waits on, as the case manager
    # recorded them: [{"program_id", "position", "recorded_at"}], one per program.
    waitlist_positions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    created_at: datetime = _when()
    updated_at: datetime = _when()
    version: int = 1
    deidentified_at: datetime | None = _when(nullable=True)


class ParticipantActivity(SQLModel, table=True):
    """Each change of a participant's ``active`` flag (an exit, a return), append-only,
    written in the transaction of the change: who and when, nothing about why."""

    __tablename__ = "participant_activity"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: str = Field(foreign_key="participant.id", index=True, max_length=200)
    active: bool
    at: datetime = _when(index=True)
    actor: str = Field(max_length=200)


class PlanNeed(SQLModel, table=True):
    """One need of a participant's Individual Intervention Plan, in their own order."""

    __tablename__ = "plan_need"
    __table_args__ = (UniqueConstraint("participant_id", "position", name="one_need_per_position"),)

    id: str = Field(primary_key=True, max_length=200)
    participant_id: str = Field(foreign_key="participant.id", index=True, max_length=200)
    position: int
    service_types: list[str] = _json()
    acute: bool = False
    rank: int | None = None
    preferred_programs: list[str] = _json()
    # When the need began waiting in LEAD's queue: its first appearance in the plan,
    # or the end of its last placement (None: rows stored before the queue existed,
    # read as the participant's creation).
    waiting_since: datetime | None = _when(nullable=True)


class Referral(SQLModel, table=True):
    """A hold and, once confirmed, the referral it becomes."""

    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in REFERRAL_STATUSES) + ")",
            name="known_status",
        ),
        CheckConstraint(
            "pool IN ('general', 'lead_reserved', 'purchase', 'waitlist_turn')", name="known_pool"
        ),
        CheckConstraint("price_cents >= 0", name="referral_price_non_negative"),
        Index("ix_referral_open", "program_id", "status"),
        # A need has at most one open referral, whatever the program: held by the
        # database, so two simultaneous holds for one need cannot both win.
        Index(
            "ux_referral_open_need",
            "need_id",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    program_id: str = Field(foreign_key="program.id", index=True, max_length=200)
    participant_id: str = Field(foreign_key="participant.id", index=True, max_length=200)
    need_id: str = Field(max_length=200)
    case_manager_id: str = Field(index=True, max_length=200)
    pool: str = Field(max_length=20)
    status: str = Field(default="held", max_length=20)
    price_cents: int = 0
    created_at: datetime = _when()
    updated_at: datetime = _when()
    expires_at: datetime = _when(index=True)
    decline_reason: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=1000)
    # When it was sent to the provider (None: never; the provider never sees it).
    sent_at: datetime | None = _when(nullable=True)
    # The provider's answer is due by then; later, the case manager sees it overdue.
    respond_by: datetime | None = _when(nullable=True)
    # The case manager cleared this decline: the program may be offered again.
    decline_cleared_at: datetime | None = _when(nullable=True)


class ReferralEvent(SQLModel, table=True):
    """A referral's history: every status change with actor and time."""

    __tablename__ = "referral_event"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=64)
    status: str = Field(max_length=20)
    at: datetime = _when()
    actor: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=40)


class Fund(SQLModel, table=True):
    """The program fund that buys places. One row (id 1)."""

    __table_args__ = (CheckConstraint("balance_cents >= 0", name="balance_non_negative"),)

    id: int = Field(default=1, primary_key=True)
    balance_cents: int = 0
    version: int = 0


MAX_BALANCE_CENTS = 2**31 - 1
"""The most the fund's balance column holds (a 32-bit integer on PostgreSQL)."""


class FundTopUp(SQLModel, table=True):
    """Money added to the fund, append-only: when, how much, who, and their note. The
    balance is raised in the same transaction (``matcher.service.fund``)."""

    __tablename__ = "fund_top_up"
    __table_args__ = (CheckConstraint("cents > 0", name="top_up_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    cents: int
    actor: str = Field(max_length=200)
    note: str = Field(default="", max_length=500)


class Purchase(SQLModel, table=True):
    """A place bought with LEAD funds."""

    __table_args__ = (
        CheckConstraint("places > 0", name="places_positive"),
        CheckConstraint("price_cents >= 0", name="purchase_price_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: str = Field(foreign_key="program.id", index=True, max_length=200)
    referral_id: str | None = Field(default=None, max_length=64)
    places: int = 1
    price_cents: int = 0
    at: datetime = _when()
    actor: str = Field(max_length=200)


class IdempotencyRecord(SQLModel, table=True):
    """The stored outcome of a request sent with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_record"

    key: str = Field(primary_key=True, max_length=300)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = _json()
    created_at: datetime = _when()


ROLES = ("admin", "case_manager", "provider", "funder", "referrer", "auditor")
ACTIVE_CASE_MANAGER = "role = 'case_manager' AND active"


class Account(SQLModel, table=True):
    """Someone who signs in: a role and, for case managers and providers, whose data
    (``subject_id``: the case manager's id or the organisation's id)."""

    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="known_role"),
        # One active case manager per case load: an admin cannot sign in as a second one.
        Index(
            "uq_account_active_case_manager",
            "subject_id",
            unique=True,
            sqlite_where=text(ACTIVE_CASE_MANAGER),
            postgresql_where=text(ACTIVE_CASE_MANAGER),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(unique=True, index=True, max_length=200)
    password_hash: str | None = Field(default=None, max_length=300)
    role: str = Field(max_length=20)
    subject_id: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = _when()
    # Where notifications are e-mailed (None: the inbox only).
    email: str | None = Field(default=None, max_length=320)


class ApiKey(SQLModel, table=True):
    """A provider system's key: only its SHA-256 hash is kept; revoked keys stay listed."""

    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=64)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)


class AuditEvent(SQLModel, table=True):
    """Who did what to which object, when, and how it ended. Append-only (UPDATE,
    DELETE and, on PostgreSQL, TRUNCATE are refused by triggers); ids, never values."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    actor: str = Field(max_length=200)
    role: str = Field(max_length=20)
    action: str = Field(max_length=200)
    object_type: str = Field(max_length=40)
    object_id: str | None = Field(default=None, index=True, max_length=200)
    outcome: str = Field(max_length=20)
    status: int
    username: str | None = Field(default=None, index=True, max_length=200)
    route: str | None = Field(default=None, max_length=300)
    participant_id: str | None = Field(default=None, index=True, max_length=200)
    program_id: str | None = Field(default=None, index=True, max_length=200)
    referral_id: str | None = Field(default=None, index=True, max_length=200)


class CaseLoadMove(SQLModel, table=True):
    """A case load moved from one case manager's account to another's, and why."""

    __tablename__ = "case_load_move"

    id: int | None = Field(default=None, primary_key=True)
    case_load: str = Field(index=True, max_length=200)
    from_username: str | None = Field(default=None, max_length=200)
    to_username: str = Field(max_length=200)
    reason: str = Field(max_length=500)
    moved_by: str = Field(max_length=200)
    at: datetime = _when()


class Consent(SQLModel, table=True):
    """A participant's consent to disclose to one recipient (an organisation or a
    program) the information of some service categories, for a period; revocable."""

    __table_args__ = (
        CheckConstraint("recipient_type IN ('organization', 'program')", name="known_recipient"),
    )

    id: str = Field(primary_key=True, max_length=64)
    participant_id: str = Field(foreign_key="participant.id", index=True, max_length=200)
    recipient_type: str = Field(max_length=20)
    recipient_id: str = Field(max_length=200)
    categories: list[str] = _json()
    starts_at: datetime = _when()
    ends_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    created_by: str = Field(max_length=200)


class Disclosure(SQLModel, table=True):
    """Information sent to a recipient under a consent: which fields, never their values."""

    id: int | None = Field(default=None, primary_key=True)
    participant_id: str = Field(foreign_key="participant.id", index=True, max_length=200)
    consent_id: str = Field(foreign_key="consent.id", max_length=64)
    referral_id: str = Field(max_length=64)
    recipient_id: str = Field(max_length=200)
    fields: list[str] = _json()
    notice: bool = False
    at: datetime = _when()
    actor: str = Field(max_length=200)


class RateWindow(SQLModel, table=True):
    """Requests counted per key and minute, shared by every worker process."""

    __tablename__ = "rate_window"

    key: str = Field(primary_key=True, max_length=300)
    window: int = Field(primary_key=True)
    count: int = 0


class Intake(SQLModel, table=True):
    """A referral into LEAD from a police officer or prosecutor. The referrer sees only
    that it was received; the free-text note is encrypted. A referrer's reference names
    one intake."""

    __table_args__ = (
        UniqueConstraint("referrer_id", "reference", name="one_intake_per_reference"),
    )

    id: str = Field(primary_key=True, max_length=64)
    referrer_id: str = Field(foreign_key="account.id", index=True, max_length=64)
    reference: str = Field(max_length=100)
    note: str = Field(sa_column=Column(EncryptedJSON(), nullable=False))
    received_at: datetime = _when()
    # The case manager who took the intake up, and the participant it became.
    taken_by: str | None = Field(default=None, index=True, max_length=200)
    taken_at: datetime | None = _when(nullable=True)
    participant_id: str | None = Field(default=None, foreign_key="participant.id", max_length=200)


class TeamMember(SQLModel, table=True):
    """Case managers who work as a team and may cover each other's case loads (LEAD
    teams share their caseloads in case conferencing and when one is away)."""

    __tablename__ = "team_member"

    team_id: str = Field(primary_key=True, max_length=200)
    case_manager_id: str = Field(primary_key=True, index=True, max_length=200)


NOTIFICATION_MODES = ("immediately", "daily", "off")


class Notification(SQLModel, table=True):
    """A notice to one account: its kind, at most a participant's pseudonym, and a
    link into the pages; never attributes, needs' details, notes or treatment
    information. ``key`` names what it announces, so each thing is announced to an
    account once (a unique key: two jobs racing write one row)."""

    __table_args__ = (UniqueConstraint("account_id", "key", name="uq_notification_once"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=64)
    kind: str = Field(max_length=40)
    pseudonym: str | None = Field(default=None, max_length=200)
    link: str = Field(max_length=300)
    key: str = Field(max_length=200)
    created_at: datetime = _when()
    read_at: datetime | None = _when(nullable=True)


class NotificationPreference(SQLModel, table=True):
    """How an account wants one kind of notice outside the inbox (e-mail): at once, in
    a daily digest, or not at all. No row: at once."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        CheckConstraint(
            "mode IN (" + ", ".join(f"'{m}'" for m in NOTIFICATION_MODES) + ")",
            name="known_notification_mode",
        ),
    )

    account_id: str = Field(primary_key=True, foreign_key="account.id", max_length=64)
    kind: str = Field(primary_key=True, max_length=40)
    mode: str = Field(max_length=20)


class Delivery(SQLModel, table=True):
    """A notification sent through a channel beyond the inbox: who, which kind, when,
    which channel; never its contents. Unique per notification and channel: it is
    claimed before sending, so two workers never both send it."""

    __table_args__ = (UniqueConstraint("notification_id", "channel", name="uq_delivery_once"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    account_id: str = Field(foreign_key="account.id", max_length=64)
    kind: str = Field(max_length=40)
    channel: str = Field(max_length=20)
    at: datetime = _when()


WEBHOOK_STATUSES = ("pending", "delivered", "failed", "skipped")
"""``skipped``: the account had turned that kind of notice off when it came."""


class WebhookEndpoint(SQLModel, table=True):
    """Where a provider account's notifications are POSTed, signed (Standard Webhooks)
    with the endpoint's secret. The secret is needed in clear to sign, so it is kept
    encrypted with the data keys, like participants' sensitive fields; it is shown once,
    when the endpoint is made. Removed endpoints stay listed (the log refers to them)."""

    __tablename__ = "webhook_endpoint"

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="account.id", index=True, max_length=64)
    url: str = Field(max_length=2000)
    secret: str = _secret()
    created_at: datetime = _when()
    created_by: str = Field(max_length=200)
    removed_at: datetime | None = _when(nullable=True)


class WebhookDelivery(SQLModel, table=True):
    """One notification to one endpoint: its state, how many attempts it took and when
    the next may start. Unique per notification and endpoint, so it is sent once; an
    attempt claims it by moving ``next_attempt_at`` on (a conditional update), so two
    workers never send the same attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "endpoint_id", name="uq_webhook_delivery_once"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in WEBHOOK_STATUSES) + ")",
            name="known_webhook_status",
        ),
        CheckConstraint("attempts >= 0", name="webhook_attempts_non_negative"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", index=True, max_length=32)
    account_id: str = Field(foreign_key="account.id", max_length=64)
    kind: str = Field(max_length=40)
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = _when()
    created_at: datetime = _when()
    finished_at: datetime | None = _when(nullable=True)


DELIVERED_ONCE = "outcome = 'delivered'"


class WebhookAttempt(SQLModel, table=True):
    """One attempt at a webhook delivery: when, the HTTP status (None: no answer) and
    the outcome; never the body. At most one attempt per delivery is a success."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (
        UniqueConstraint("delivery_id", "attempt", name="uq_webhook_attempt"),
        Index(
            "ux_webhook_attempt_delivered",
            "delivery_id",
            unique=True,
            sqlite_where=text(DELIVERED_ONCE),
            postgresql_where=text(DELIVERED_ONCE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    attempt: int
    at: datetime = _when(index=True)
    status_code: int | None = None
    outcome: str = Field(max_length=20)


class Digest(SQLModel, table=True):
    """The daily digest e-mail of one account on one day (``YYYY-MM-DD``, UTC): claimed
    before it is sent, so each account gets at most one a day."""

    account_id: str = Field(primary_key=True, foreign_key="account.id", max_length=64)
    day: str = Field(primary_key=True, max_length=10)
    sent_at: datetime = _when()
    notices: int = 0


class CapacitySignal(SQLModel, table=True):
    """Something LEAD's queue is re-solved for, not yet answered: capacity that appeared
    at a program (a report raising unused places, a hold or referral let go, a
    placement ended, places bought or reserved, a new program, money added to the fund
    at a program that sells places), or a need that entered a plan. Written in the
    transaction of the change; removed by the re-solve that answers it."""

    __tablename__ = "capacity_signal"

    id: int | None = Field(default=None, primary_key=True)
    program_id: str | None = Field(
        default=None, foreign_key="program.id", index=True, max_length=200
    )
    need_id: str | None = Field(default=None, max_length=200)
    kind: str = Field(max_length=40)
    at: datetime = _when()


class QueueLock(SQLModel, table=True):
    """One row (id 1), locked first by every hold checked against LEAD's queue and by
    every re-solve that offers places: their checks and solves then see each other
    (``matcher.service.queue.lock_queue``)."""

    __tablename__ = "queue_lock"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)


class StructureChange(SQLModel, table=True):
    """Writes to the tables a long-running re-solve keeps a copy of (participants,
    plans, programs, their service types), left by triggers: on PostgreSQL one row per
    writing transaction (its id); on SQLite row 0 counts the writes
    (``matcher.service.kept``)."""

    __tablename__ = "structure_change"
    __table_args__ = (UniqueConstraint("txid", name="one_row_per_transaction"),)

    id: int | None = Field(default=None, primary_key=True)
    txid: int = Field(sa_type=BigInteger)
