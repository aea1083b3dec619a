"""What every route needs: a unit of work on the store, the clock and the settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Request
from sqlalchemy import Engine
from sqlmodel import Session

from api.audit import AUDITED, NOTE, entry_of
from matcher.service import audit
from matcher.service.queue import QueueCheck
from matcher.settings import Settings
from matcher.store.engine import session_scope

T = TypeVar("T")


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class Context:
    """The app's engine, settings and clock, for one request."""

    def __init__(self, request: Request) -> None:
        self.request = request
        state = request.app.state
        self.engine: Engine = state.engine
        self.settings: Settings = state.settings
        self.now: datetime = state.clock()

    @property
    def ttl(self) -> timedelta:
        """How long a hold lasts."""
        return timedelta(hours=self.settings.hold_ttl_hours)

    @property
    def queue_check(self) -> QueueCheck:
        """How a case manager's hold is checked against LEAD's queue."""
        return QueueCheck(self.settings.default_max_distance_km, self.settings.solver_time_limit)

    @property
    def offer_for(self) -> timedelta:
        """How long an offer waits for the case manager's answer."""
        return timedelta(hours=self.settings.offer_hours)

    @property
    def respond_within(self) -> timedelta:
        """How long a provider has to answer a sent referral."""
        return timedelta(days=self.settings.response_days)

    def run(self, use_case: Callable[[Session], T]) -> T:
        """Run one use case in one transaction with its audit record: both committed,
        or both rolled back (on a refusal, or when the record cannot be written; the
        audit middleware then records the refusal in a transaction of its own)."""
        with session_scope(self.engine) as session:
            try:
                result = use_case(session)
                route = self.request.scope.get("route")
                status = getattr(route, "status_code", None) or 200
                audit.record(session, entry_of(self.request.scope, status, audit.noted(session)))
            finally:
                self._keep_note(session)
        setattr(self.request.state, AUDITED, True)
        return result

    def count(self, use_case: Callable[[Session], T]) -> T:
        """Run a unit of work that keeps only the service's own tallies (rate limits):
        it changes no record anyone acts on, so it writes no audit record of its own."""
        with session_scope(self.engine) as session:
            return use_case(session)

    def read(self, use_case: Callable[[Session], T]) -> T:
        """Run a use case that only reads (on SQLite it runs beside writers); the audit
        middleware records it, with what the use case noted, before the answer leaves."""
        with session_scope(self.engine, read_only=True) as session:
            try:
                return use_case(session)
            finally:
                self._keep_note(session)

    def _keep_note(self, session: Session) -> None:
        """What the use case noted, for the record the middleware writes."""
        found = audit.noted(session)
        if found is not None:
            setattr(self.request.state, NOTE, found)


Ctx = Annotated[Context, Depends(Context)]

MAX_ROW = 2**31 - 1
RowNumber = Annotated[int, Path(ge=1, le=MAX_ROW, description="A row's number (from 1)")]
"""A stored row's number in a path (rows are numbered in integer columns): a larger
number is refused with 422, never sent to the database, where PostgreSQL would refuse
it as out of range."""


class Page:
    """``limit`` (1-500, default 100) and ``offset`` of a list; answers are never longer."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many items")] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many")] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset

    def of(self, items: list[T]) -> list[T]:
        return items[self.offset : self.offset + self.limit]


Paged = Annotated[Page, Depends(Page)]
