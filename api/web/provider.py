"""The provider's page: open places and waitlists, holds, and incoming referrals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from api.problems import status_of
from api.schemas import DeclineReason, EndReason
from api.web.labels import (
    DECLINE_LABELS,
    END_LABELS,
    POOL_SHORT,
    PROVIDER_STATUS,
    organization_name,
)
from api.web.render import PageError, Token, Web, WebPage
from matcher.service import capacity, referrals
from matcher.service import programs as programs_service
from matcher.service.errors import Conflict, ServiceError

router = APIRouter(include_in_schema=False)
Answer = Callable[[Session, str, str, str, str, datetime, str | None], object]
PAGE = "/web/provider"
Count = Annotated[int, Form(ge=0, le=1_000_000)]
Version = Annotated[int, Form(ge=0, le=999_999_999)]  # as If-Match: nine digits at most
Note = Annotated[str, Form(max_length=500)]


def _state(session: Session, organization_id: str, web: Web) -> dict[str, Any]:
    now = web.ctx.now
    programs = capacity.list_programs(session, organization_id, now)
    incoming = referrals.incoming(session, organization_id, now)
    fresh_for = timedelta(days=web.ctx.settings.report_fresh_days)
    organization = programs_service.organization_name(session, organization_id)
    return {
        "programs": programs,
        "waiting": [r for r in incoming if r.status == "referred"],
        "placed": [r for r in incoming if r.status == "enrolled"],
        "names": {p.program_id: p.name or p.program_id for p in programs},
        "organization": organization_name(organization_id, organization),
        "stale_reports": {p.program_id for p in programs if capacity.is_stale(p, now, fresh_for)},
        "fresh_days": web.ctx.settings.report_fresh_days,
        "now": now,
    }


def _page(web: Web, organization_id: str, status: int = 200, **extra: Any) -> HTMLResponse:
    state = web.read(lambda s: _state(s, organization_id, web))
    return web.page(
        "provider.html",
        status,
        decline_labels=DECLINE_LABELS,
        end_labels=END_LABELS,
        statuses=PROVIDER_STATUS,
        pools=POOL_SHORT,
        **({"conflicts": {}} | extra),
        **state,
    )


@router.get(PAGE, response_class=HTMLResponse)
def page(web: WebPage) -> HTMLResponse:
    """The organisation's programs and the referrals waiting for an answer."""
    return _page(web, web.require("provider"))


@router.post(PAGE + "/programs/{program_id}/capacity", response_model=None)
def report(
    web: WebPage,
    program_id: str,
    open_slots: Count,
    waitlist: Count,
    version: Version,
    csrf_token: Token = "",
) -> HTMLResponse | RedirectResponse:
    """Save one program's numbers, unless someone saved newer ones since the page loaded."""
    organization_id = web.require("provider")
    web.check(csrf_token)
    typed = {"open_slots": open_slots, "waitlist": waitlist}
    view = _save(
        web,
        organization_id,
        program_id,
        typed,
        lambda s: capacity.report_capacity(
            s,
            organization_id,
            program_id,
            **typed,
            actor=web.me.username,
            now=web.ctx.now,
            expected_version=version,
            reason="web",
        ),
    )
    if isinstance(view, HTMLResponse):
        return view
    name = view.name or view.program_id
    return web.back(
        PAGE, f"Saved {name}: {view.open_slots} open, {view.waitlist} waiting, {view.unused} free."
    )


@router.post(PAGE + "/programs/{program_id}/still-correct", response_model=None)
def still_correct(
    web: WebPage, program_id: str, version: Version, csrf_token: Token = ""
) -> HTMLResponse | RedirectResponse:
    """One tap: the program's current numbers are recorded again as today's report,
    through the same version check as a typed report."""
    organization_id = web.require("provider")
    web.check(csrf_token)
    view = _save(
        web,
        organization_id,
        program_id,
        {},
        lambda s: capacity.still_correct(
            s,
            organization_id,
            program_id,
            actor=web.me.username,
            now=web.ctx.now,
            expected_version=version,
        ),
    )
    if isinstance(view, HTMLResponse):
        return view
    return web.back(
        PAGE,
        f"Confirmed {view.name or view.program_id}: still {view.open_slots} open, "
        f"{view.waitlist} waiting.",
    )


def _save(
    web: Web,
    organization_id: str,
    program_id: str,
    typed: dict[str, int],
    use_case: Callable[[Session], capacity.ProgramView],
) -> capacity.ProgramView | HTMLResponse:
    """Run a report; a stale form comes back as the page (409) with the current
    numbers beside what was typed, any other refusal as an error page."""
    try:
        return web.ctx.run(use_case)
    except Conflict as error:
        if error.rule != "stale_version":
            raise PageError(409, error.message) from None
        return _page(web, organization_id, 409, conflicts={program_id: typed})
    except ServiceError as error:
        raise PageError(status_of(error), error.message) from None


@router.post(PAGE + "/referrals/{referral_id}/enrol")
def enrol(web: WebPage, referral_id: str, csrf_token: Token = "") -> RedirectResponse:
    """Accept a referral: the participant is enrolled and the place filled."""
    organization_id = web.require("provider")
    web.check(csrf_token)
    web.run(
        lambda s: referrals.enrol(s, organization_id, referral_id, web.me.username, web.ctx.now)
    )
    return web.back(PAGE, "Enrolled. The place is now filled.")


@router.post(PAGE + "/referrals/{referral_id}/decline")
def decline(
    web: WebPage,
    referral_id: str,
    reason: Annotated[DeclineReason, Form()],
    note: Note = "",
    csrf_token: Token = "",
) -> RedirectResponse:
    """Decline a referral with a structured reason (words for "other"); the place is freed."""
    web.check(csrf_token)
    _answer(web, referral_id, reason, note, referrals.decline)
    return web.back(PAGE, "Declined. The case manager sees the reason.")


@router.post(PAGE + "/referrals/{referral_id}/end")
def end(
    web: WebPage,
    referral_id: str,
    reason: Annotated[EndReason, Form()],
    note: Note = "",
    csrf_token: Token = "",
) -> RedirectResponse:
    """A placement ended: its place is free again until the next report."""
    web.check(csrf_token)
    _answer(web, referral_id, reason, note, referrals.end_placement)
    return web.back(PAGE, "Placement ended. Report your open places when they change.")


def _answer(web: Web, referral_id: str, reason: str, note: str, act: Answer) -> None:
    """The provider's answer to one of its referrals: a structured reason, and the
    provider's words only with "other" (a note typed before another reason was
    chosen is dropped, not refused)."""
    organization_id = web.require("provider")
    words = note.strip() if reason == "other" else ""
    web.run(
        lambda s: act(
            s, organization_id, referral_id, reason, web.me.username, web.ctx.now, words or None
        )
    )
