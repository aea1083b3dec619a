"""HSDS fixtures: small feeds, the clock they are read at, and an import helper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import func, select

from matcher.interop.geocode import Locator
from matcher.interop.hsds import ImportSummary, import_hsds
from matcher.interop.taxonomy import load_taxonomy
from matcher.store import tables as t
from matcher.store.engine import session_scope

FIXTURES = Path(__file__).resolve().parent / "fixtures"
JSON_FEED = FIXTURES / "feed.json"
CSV_FEED = FIXTURES / "feed-csv"
MALFORMED = FIXTURES / "malformed.json"
NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)

SHELTER = "5a8c3f0e-1d2b-4c6a-9e7f-000000000001"
CLINIC = "5a8c3f0e-1d2b-4c6a-9e7f-000000000002"
PANTRY = "5a8c3f0e-1d2b-4c6a-9e7f-000000000003"
KITES = "5a8c3f0e-1d2b-4c6a-9e7f-000000000004"
HARBOR = "0f6e2a41-8b3c-4d5e-a6f7-00000000000a"


def run_import(engine: Engine, path: Path, now: datetime = NOW) -> ImportSummary:
    """Import ``path`` in one transaction, offline (ZIP centroids only)."""
    with session_scope(engine) as session:
        return import_hsds(
            session,
            path,
            now,
            locator=Locator(),
            terms=load_taxonomy(),
            stale_after=timedelta(days=30),
        )


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows each table an import writes holds."""
    tables = (t.Organization, t.Program, t.ProgramService, t.ProgramCapacity, t.CapacityEvent)
    with session_scope(engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in tables
        }
