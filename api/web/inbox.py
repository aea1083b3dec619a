"""Everyone's inbox page: the account's notifications, newest first, each with its
link into the pages and a button to mark it read. A notice names its kind and at
most a pseudonym; what it is about is on the page it links to."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import RowNumber
from api.web.render import Token, WebPage
from matcher.service import notifications

router = APIRouter(include_in_schema=False)
PAGE = notifications.INBOX_PAGE

KIND_LABELS = notifications.LABELS


@router.get(PAGE, response_class=HTMLResponse)
def inbox(web: WebPage) -> HTMLResponse:
    """The signed-in account's notifications."""
    found = web.read(lambda s: notifications.inbox(s, web.me.account_id))
    return web.page("inbox.html", inbox=found, labels=KIND_LABELS)


@router.get(PAGE + "/{notification_id}")
def open_notice(web: WebPage, notification_id: RowNumber) -> RedirectResponse:
    """Open one notification (the address its e-mail gives): mark it read and go to the
    page it links to. Someone signed out signs in first and comes back here."""
    link = web.run(
        lambda s: notifications.open_link(s, web.me.account_id, notification_id, web.ctx.now)
    )
    if not link.startswith("/web") or link.startswith("//"):
        link = PAGE  # only a page of this site
    return RedirectResponse(link, status_code=303)


@router.post(PAGE + "/{notification_id}/read")
def mark_read(web: WebPage, notification_id: RowNumber, csrf_token: Token = "") -> RedirectResponse:
    """Mark one notification read."""
    web.check(csrf_token)
    web.run(lambda s: notifications.mark_read(s, web.me.account_id, notification_id, web.ctx.now))
    return web.back(PAGE, "Marked read.")
