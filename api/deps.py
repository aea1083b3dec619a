"""What every route needs: a unit of work on the store, the clock and the settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from sqlalchemy import Engine
from sqlmodel import Session

from matcher.settings import Settings
from matcher.store.engine import session_scope

T = TypeVar("T")


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class Context:
    """The app's engine, settings and clock, for one request."""

    def __init__(self, request: Request) -> None:
        state = request.app.state
        self.engine: Engine = state.engine
        self.settings: Settings = state.settings
        self.now: datetime = state.clock()

    @property
    def ttl(self) -> timedelta:
        """How long a hold lasts."""
        return timedelta(hours=self.settings.hold_ttl_hours)

    @property
    def respond_within(self) -> timedelta:
        """How long a provider has to answer a sent referral."""
        return timedelta(days=self.settings.response_days)

    def run(self, use_case: Callable[[Session], T]) -> T:
        """Run one use case in one transaction: committed, or rolled back on refusal."""
        with session_scope(self.engine) as session:
            return use_case(session)

    def read(self, use_case: Callable[[Session], T]) -> T:
        """Run a use case that only reads (on SQLite it runs beside writers)."""
        with session_scope(self.engine, read_only=True) as session:
            return use_case(session)


Ctx = Annotated[Context, Depends(Context)]


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
