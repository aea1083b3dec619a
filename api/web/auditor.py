"""The auditor's page: the audit log filtered by account, action, object and dates,
newest first, a page at a time, and the same filtered log as a CSV download.

The filter is a GET form (it changes nothing), so a filtered view can be reloaded,
bookmarked and shared between auditors; it names accounts and ids, never participant
values, as the log itself does.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlmodel import Session

from api.web.downloads import csv_download
from api.web.render import WebPage
from matcher.service import audit

router = APIRouter(include_in_schema=False)
PAGE = "/web/audit"
PER_PAGE = 50
MOST_DOWNLOADED = 100_000
Text = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True, slots=True)
class Filter:
    """What the auditor asked for; ``problems`` names the fields that could not be read."""

    username: str = ""
    action: str = ""
    object_id: str = ""
    since: str = ""
    until: str = ""
    problems: tuple[str, ...] = ()

    def entries(self, session: Session, *, limit: int, offset: int = 0) -> list[audit.Entry]:
        """The records this filter finds (empty fields filter nothing; the "until" day
        is included)."""
        until = _day(self.until)
        return audit.query(
            session,
            username=self.username or None,
            action=self.action or None,
            object_id=self.object_id or None,
            since=_day(self.since),
            until=until + timedelta(days=1) if until else None,
            limit=limit,
            offset=offset,
        )

    def link(self, **change: object) -> str:
        """This filter's address, with ``change`` applied (``page``, ``format``)."""
        fields = {
            "username": self.username,
            "action": self.action,
            "object_id": self.object_id,
            "since": self.since,
            "until": self.until,
        } | change
        return PAGE + "?" + urlencode({k: v for k, v in fields.items() if v not in ("", None)})


def _day(text: str) -> datetime | None:
    """The start (UTC) of a ``YYYY-MM-DD`` day, or None for an empty or unreadable one."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC) if text else None
    except ValueError:
        return None


def _filter(username: str, action: str, object_id: str, since: str, until: str) -> Filter:
    problems = tuple(
        f"{name}: {value!r} is not a date (use YYYY-MM-DD); it was left out of the filter."
        for name, value in (("From", since), ("Until", until))
        if value and _day(value) is None
    )
    return Filter(username.strip(), action.strip(), object_id.strip(), since, until, problems)


@router.get(PAGE, response_model=None)
def page(
    web: WebPage,
    username: Text = "",
    action: Text = "",
    object_id: Text = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
) -> HTMLResponse | StreamingResponse:
    """The filtered log, newest first, ``PER_PAGE`` records a page; ``format=csv``
    downloads every record the filter finds (up to ``MOST_DOWNLOADED``)."""
    web.require("auditor")
    chosen = _filter(username, action, object_id, since, until)
    if format == "csv":
        rows = web.read(lambda s: chosen.entries(s, limit=MOST_DOWNLOADED))
        return csv_download("audit-log.csv", [audit.FIELDS, *(astuple(r) for r in rows)])
    entries, known = web.read(
        lambda s: (
            chosen.entries(s, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE),
            audit.actions(s),
        )
    )
    return web.page(
        "audit.html",
        entries=entries[:PER_PAGE],
        actions=known,
        chosen=chosen,
        page_number=page,
        newer=chosen.link(page=page - 1) if page > 1 else None,
        older=chosen.link(page=page + 1) if len(entries) > PER_PAGE else None,
        download=chosen.link(format="csv"),
    )
