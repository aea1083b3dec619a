"""Re-encrypt every encrypted column under the first configured key."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from matcher.store import crypto

ENCRYPTED = {"participant": ("attributes", "stay_away")}


def rotate_keys(session: Session) -> int:
    """Rows re-encrypted. Afterwards the old keys can be dropped from configuration."""
    count = 0
    for table, columns in ENCRYPTED.items():
        listed = ", ".join(columns)
        rows = session.execute(text(f"SELECT id, {listed} FROM {table}")).all()
        for row in rows:
            values = {c: crypto.rotate(str(v)) for c, v in zip(columns, row[1:], strict=True)}
            assignments = ", ".join(f"{c} = :{c}" for c in columns)
            session.execute(
                text(f"UPDATE {table} SET {assignments} WHERE id = :id"),
                {**values, "id": row[0]},
            )
            count += 1
    return count
