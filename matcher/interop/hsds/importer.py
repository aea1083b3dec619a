"""``import_hsds``: read, check, map and store an HSDS feed as one unit of work.

The feed is read and checked in full before the first write, so unreadable input
(``HsdsUnreadable``) leaves the store untouched; the writes then happen in the caller's
transaction, which commits all of them or none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from matcher.interop.geocode import Locator
from matcher.interop.hsds.load import write_drafts
from matcher.interop.hsds.mapping import map_feed
from matcher.interop.hsds.read import read_feed
from matcher.interop.summary import ImportSummary
from matcher.interop.taxonomy import Taxonomy


def import_hsds(
    session: Session,
    path: Path,
    now: datetime,
    *,
    locator: Locator | None = None,
    terms: Taxonomy | None = None,
    stale_after: timedelta = timedelta(days=30),
) -> ImportSummary:
    """Import the feed at ``path`` into the store (see the package docstring).

    ``locator`` places records that have an address but no coordinates; ``terms`` maps
    taxonomy terms to service types (``matcher.interop.taxonomy.load_taxonomy()``).
    Raises ``HsdsUnreadable`` before writing anything if the input is not an HSDS feed.
    """
    feed = read_feed(path)
    mapped = map_feed(feed, now, locator=locator, terms=terms, stale_after=stale_after)
    written = write_drafts(session, mapped.drafts, now)
    return ImportSummary(
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
