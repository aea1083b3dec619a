"""Languages stored as standard codes

Revision ID: 0015
Revises: 0010
Create Date: 2026-11-25 14:00:00

Languages are now written as BCP 47 language codes (``matcher.languages``):
"Spanish" is ``es``. Rows written before keep names until rewritten, and matching
compares exact strings, so the programs' and participants' languages are normalised
here. No schema changes. Downgrade leaves the codes: the names they came from are not
kept (HSDS imports keep theirs in ``details``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matcher.languages import to_codes

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("program", "participant")


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        table = sa.table(name, sa.column("id", sa.String()), sa.column("languages", sa.JSON()))
        for row_id, languages in bind.execute(sa.select(table.c.id, table.c.languages)).all():
            before = [str(x) for x in languages or []]
            after = to_codes(before)
            if after != before:
                bind.execute(table.update().where(table.c.id == row_id).values(languages=after))


def downgrade() -> None:
    """Nothing to undo in the schema; the codes stay."""
