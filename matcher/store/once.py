"""Writes that happen once: ``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and
PostgreSQL alike, so two writers racing on the same unique key make one row and
neither fails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_once(
    session: Session, table: type[SQLModel], rows: Sequence[dict[str, Any]], keys: list[str]
) -> int:
    """Insert the rows whose ``keys`` are not taken yet; how many were new."""
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    primary = table.__table__.primary_key.columns  # type: ignore[attr-defined]
    statement = (
        dialect.insert(table)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*primary)
    )
    return len(session.connection().execute(statement).all())
