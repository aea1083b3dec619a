"""``import_hsds``: read, check, map and store an HSDS feed as one unit of work.

The feed is read and checked in full before the first write, so unreadable input
(``HsdsUnreadable``) leaves the store untouched; the writes then happen in the caller's
transaction, which commits all of them or none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from matcher.interop.geocode import Locator
from matcher.interop.hsds.load import write_drafts
from matcher.interop.hsds.mapping import map_feed
from matcher.interop.hsds.problems import Problem
from matcher.interop.hsds.read import read_feed
from matcher.interop.taxonomy import Taxonomy


@dataclass
class ImportReport:
    """What an import did: program ids by outcome, services skipped and why, problems."""

    format: str
    version: str = "3.1"
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    unlocated: list[str] = field(default_factory=list)
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)
    unmapped: dict[str, list[str]] = field(default_factory=dict)

    def top_unmapped(self, n: int = 10) -> list[tuple[str, int]]:
        """The unmapped terms most programs carry, with how many."""
        counts = Counter(label for labels in self.unmapped.values() for label in set(labels))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def summary(self) -> str:
        """One line of counts."""
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped, "
            f"{len(self.unlocated)} unlocated, {len(self.unmapped)} unmapped; "
            f"{self.events} capacity event(s); {len(self.problems)} problem(s)"
        )


def import_hsds(
    session: Session,
    path: Path,
    now: datetime,
    *,
    locator: Locator | None = None,
    terms: Taxonomy | None = None,
    stale_after: timedelta = timedelta(days=30),
) -> ImportReport:
    """Import the feed at ``path`` into the store (see the package docstring).

    ``locator`` places records that have an address but no coordinates; ``terms`` maps
    taxonomy terms to service types (``matcher.interop.taxonomy.load_taxonomy()``).
    Raises ``HsdsUnreadable`` before writing anything if the input is not an HSDS feed.
    """
    feed = read_feed(path)
    mapped = map_feed(feed, now, locator=locator, terms=terms, stale_after=stale_after)
    written = write_drafts(session, mapped.drafts, now)
    return ImportReport(
        format=feed.format,
        version=feed.version,
        created=written.created,
        updated=written.updated,
        unchanged=written.unchanged,
        skipped={**mapped.skipped, **written.refused},
        unlocated=written.unlocated,
        events=written.events,
        problems=[*mapped.problems, *written.problems],
        not_read=feed.not_read,
        unmapped={k: v for k, v in mapped.unmapped.items() if k not in written.refused},
    )
