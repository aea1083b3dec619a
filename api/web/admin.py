"""The admin's page: the webhook delivery log, newest first, a page at a time,
optionally only the deliveries that were given up. It names accounts, kinds, times,
attempts and HTTP statuses; never what was sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.web.render import WebPage
from matcher.service import notifications, webhooks

router = APIRouter(include_in_schema=False)
PAGE = notifications.ADMIN_DELIVERIES_PAGE
PER_PAGE = 50


@router.get(PAGE, response_class=HTMLResponse)
def deliveries(
    web: WebPage,
    failed: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The delivery log and the endpoints it goes to."""
    web.require("admin")
    status = "failed" if failed else None
    attempts, endpoints = web.read(
        lambda s: (
            webhooks.log(s, status=status, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE),
            webhooks.listing(s),
        )
    )
    query = "failed=true&" if failed else ""
    return web.page(
        "deliveries.html",
        attempts=attempts[:PER_PAGE],
        endpoints=endpoints,
        failed=failed,
        labels=notifications.LABELS,
        newer=f"{PAGE}?{query}page={page - 1}" if page > 1 else None,
        older=f"{PAGE}?{query}page={page + 1}" if len(attempts) > PER_PAGE else None,
    )
