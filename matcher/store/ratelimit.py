"""A fixed-window rate limit kept in the database, so every worker shares it."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from matcher.store.tables import RateWindow


def hit(session: Session, key: str, window: int) -> int:
    """Count one request for ``key`` in ``window``; returns the count so far."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = SQLModel.metadata.tables[str(RateWindow.__tablename__)]
    statement = (
        insert(table)
        .values(key=key, window=window, count=1)
        .on_conflict_do_update(index_elements=["key", "window"], set_={"count": table.c.count + 1})
        .returning(table.c.count)
    )
    count = int(session.execute(statement).scalar_one())
    if count == 1:  # the first hit of a window clears windows long gone
        session.execute(delete(table).where(table.c.window < window - 60))
    return count
