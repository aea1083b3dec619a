"""The case manager's pages: the case load, a participant's plan, places, referrals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from api.web.labels import POOL_LABELS, STATUS_LABELS, organization_name
from api.web.render import PageError, Token, Web, WebPage, service_type_labels
from api.web.words import plain
from matcher.capacity.pools import POOL_NAMES as POOLS
from matcher.capacity.pools import PoolName
from matcher.service import (
    accounts,
    caseload,
    consent,
    intake,
    matching,
    offers,
    participants,
    programs,
    referrals,
    teams,
)
from matcher.service.errors import ServiceError
from matcher.service.referrals import ReferralView

router = APIRouter(include_in_schema=False)
PAGE = "/web/case-manager"
Ident = Annotated[str, Form(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")]
MAX_PICKS = 30
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")


@dataclass(frozen=True, slots=True)
class Pick:
    """One starred pick of Find places: a need, a program and the pool to hold from."""

    need_id: str
    program_id: str
    pool: PoolName

    @classmethod
    def parse(cls, text: str) -> Pick:
        """A pick from its form value, ``need program pool`` (the page writes them)."""
        parts = text.split(" ")
        if len(parts) != 3 or not all(_ID.match(x) for x in parts) or parts[2] not in POOLS:
            raise PageError(
                422, "This list of picks is not one Find places made. Find places again."
            )
        return cls(parts[0], parts[1], parts[2])


def _participant_url(participant_id: str) -> str:
    return f"{PAGE}/participants/{participant_id}"


SHOW_LABELS: dict[caseload.Show, str] = {
    "all": "Everyone",
    "waiting": "Waiting for a place",
    "offered": "A place offered",
    "held": "A place held",
    "awaiting": "Awaiting a provider's answer",
    "overdue": "Answer overdue",
    "expired": "A hold or referral expired",
    "unmet": "A need no place can meet now",
    "acute": "Has an acute need",
}
SORT_LABELS: dict[caseload.Sort, str] = {
    "waiting": "Waiting longest first",
    "deadline": "Soonest deadline first",
    "name": "Pseudonym",
}
ACTIVITY_LABELS: dict[caseload.Activity, str] = {
    "active": "Active",
    "inactive": "Inactive",
    "all": "Active and inactive",
}


def _one_of(value: str, allowed: dict[Any, str], default: str, name: str) -> tuple[str, str]:
    """``value`` if it is one of ``allowed``'s keys, else ``default`` and a message."""
    if not value or value in allowed:
        return value or default, ""
    choices = ", ".join(f"“{label}”" for label in allowed.values())
    return default, f"{name} can be {choices}; showing “{allowed[default]}”."


@router.get(PAGE, response_class=HTMLResponse)
def case_load(
    web: WebPage,
    q: Annotated[str, Query(max_length=200)] = "",
    show: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The case load as a dashboard: who waits and since when, what is held or awaits an
    answer, what expired, which needs no place can meet now and why; searched,
    filtered and sorted by the query string, so a view can be bookmarked or shared."""
    case_manager_id = web.require("case_manager")
    show, bad_show = _one_of(show, SHOW_LABELS, "all", "Show")
    status, bad_status = _one_of(status, ACTIVITY_LABELS, "active", "Status")
    sort, bad_sort = _one_of(sort, SORT_LABELS, "waiting", "Sort")
    try:
        web.limit_solver()
        solved = True
    except PageError:  # past the solver's limit: the dashboard still shows the rest
        solved = False

    def read(s: Session) -> dict[str, Any]:
        answer = (
            matching.batch_match(
                s,
                case_manager_id,
                web.ctx.now,
                web.ctx.settings.solver_time_limit,
                default_max_distance_km=web.ctx.settings.default_max_distance_km,
            )
            if solved
            else None
        )
        everyone = caseload.rows(s, case_manager_id, web.ctx.now, answer)
        chosen = caseload.choose(
            everyone,
            search=q,
            show=cast(caseload.Show, show),
            activity=cast(caseload.Activity, status),
            sort=cast(caseload.Sort, sort),
        )
        held = {r.program_id for row in chosen for r in row.holds + row.awaiting + row.expired}
        return {
            "rows": chosen,
            "total": len(everyone),
            "names": programs.names(s, held),
            "intakes": [i for i in intake.queue(s, case_manager_id) if i.participant_id is None],
            "team": {
                mate: [p for p, _ in participants.listing(s, mate, True)]
                for mate in teams.teammates(s, case_manager_id)
            },
            "mates": accounts.names_of(s, set(teams.teammates(s, case_manager_id))),
        }

    return web.page(
        "case_load.html",
        query={"q": q, "show": show, "status": status, "sort": sort},
        shows=SHOW_LABELS,
        sorts=SORT_LABELS,
        activities=ACTIVITY_LABELS,
        problems=[m for m in (bad_show, bad_status, bad_sort) if m],
        solved=solved,
        now=web.ctx.now,
        **web.read(read),
    )


def _participant_state(web: Web, case_manager_id: str, participant_id: str) -> dict[str, Any]:
    def read(s: Session) -> dict[str, Any]:
        person = participants.get(s, case_manager_id, participant_id)
        active = participants.is_active(s, case_manager_id, participant_id)
        mine = referrals.case_manager_referrals(s, case_manager_id, participant_id, now=web.ctx.now)
        steps = {r.referral_id: referrals.history(s, case_manager_id, r.referral_id) for r in mine}
        given = consent.consents(s, case_manager_id, participant_id)
        shared = consent.disclosures(s, case_manager_id, participant_id)
        organizations = programs.organizations(s)
        return {
            "person": person,
            "active": active,
            "covering": (
                accounts.names_of(s, {case_manager_id})[case_manager_id]
                if case_manager_id != web.me.subject_id
                else None
            ),
            "consents": given,
            "organizations": organizations,
            "org_names": {o: organization_name(o, name) for o, name in organizations},
            "actors": accounts.names_of(s, {e.actor for h in steps.values() for e in h}),
            "disclosures": shared,
            "referrals": list(reversed(mine)),
            "declined": {n.id: n.declined_programs for n in person.needs},
            "history": steps,
            "names": programs.names(
                s,
                {r.program_id for r in mine}
                | {g for n in person.needs for g in n.declined_programs}
                | {c.recipient_id for c in given}
                | {d.recipient_id for d in shared},
            ),
        }

    return web.read(read)


@router.get(PAGE + "/participants/{participant_id}", response_class=HTMLResponse)
def participant(web: WebPage, participant_id: str) -> HTMLResponse:
    """A participant's plan in their own order, with their holds and referrals."""
    case_manager_id = web.case_load_of(participant_id)
    state = _participant_state(web, case_manager_id, participant_id)
    return web.page("participant.html", pools=POOL_LABELS, statuses=STATUS_LABELS, **state)


@router.get(PAGE + "/participants/{participant_id}/places", response_class=HTMLResponse)
def find_places(web: WebPage, participant_id: str) -> HTMLResponse:
    """The options for each open need, best first, and why other programs are out.

    A GET that changes nothing, so Back and Reload simply run it again (rate-limited
    per account, like the API's match); the page is never cached (``no-store``), as
    its answer depends on the moment's capacity."""
    case_manager_id = web.case_load_of(participant_id)
    web.limit_solver()
    result = web.read(
        lambda s: matching.match_participant(
            s,
            case_manager_id,
            participant_id,
            web.ctx.now,
            web.ctx.settings.solver_time_limit,
            default_max_distance_km=web.ctx.settings.default_max_distance_km,
        )
    )
    state = _participant_state(web, case_manager_id, participant_id)
    starred = [n for n in result.needs if n.recommended is not None]
    return web.page(
        "options.html",
        result=result,
        starred=starred,
        pools=POOL_LABELS,
        statuses=STATUS_LABELS,
        **state,
    )


def _hold(web: Web, case_manager_id: str, participant_id: str, pick: Pick) -> ReferralView:
    return web.ctx.run(
        lambda s: referrals.place_hold(
            s,
            case_manager_id,
            participant_id=participant_id,
            need_id=pick.need_id,
            program_id=pick.program_id,
            pool=pick.pool,
            now=web.ctx.now,
            ttl=web.ctx.ttl,
            queue=web.ctx.queue_check,
        )
    )


@router.post(PAGE + "/participants/{participant_id}/holds")
def hold_starred(
    web: WebPage,
    participant_id: str,
    pick: Annotated[list[str], Form(max_length=200)],
    csrf_token: Token = "",
) -> RedirectResponse:
    """Hold every starred pick in one step, each in its own transaction: a pick that
    cannot be held leaves the others held, and the message says which were and which
    not, and why. Each hold is still only a hold: confirming it asks for consent."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(csrf_token)
    picks = [Pick.parse(p) for p in pick[:MAX_PICKS]]
    names = web.read(lambda s: programs.names(s, {p.program_id for p in picks}))
    kinds = web.read(lambda s: _need_kinds(s, case_manager_id, participant_id))
    held: list[str] = []
    refused: list[str] = []
    for p in picks:
        where = names.get(p.program_id, "the program")
        what = kinds.get(p.need_id, "a need")
        try:
            view = _hold(web, case_manager_id, participant_id, p)
        except ServiceError as error:
            refused.append(f"{where} for {what}: {plain(error, where)}")
        else:
            held.append(f"{where} for {what} (until {_until(view.expires_at)})")
    return web.back(_participant_url(participant_id), *_outcome(held, refused))


def _need_kinds(s: Session, case_manager_id: str, participant_id: str) -> dict[str, str]:
    person = participants.get(s, case_manager_id, participant_id)
    labels = service_type_labels()
    return {n.id: " or ".join(labels.get(c, c) for c in n.service_types) for n in person.needs}


def _until(moment: datetime) -> str:
    return moment.strftime("%H:%M UTC on %d %b")


def _outcome(held: list[str], refused: list[str]) -> tuple[str, str]:
    """The flash after holding several picks: what was held, what not and why."""
    parts = []
    if held:
        parts.append(f"Held {len(held)} place{'s' if len(held) != 1 else ''}: {'; '.join(held)}.")
    if refused:
        parts.append(f"Not held: {'; '.join(refused)}.")
    if not held and not refused:
        parts.append("No starred pick to hold.")
    kind = "ok" if not refused else ("warn" if held else "error")
    return " ".join(parts), kind


@router.post(PAGE + "/holds")
def hold(
    web: WebPage,
    participant_id: Ident,
    need_id: Ident,
    program_id: Ident,
    pool: Annotated[PoolName, Form()],
    csrf_token: Token = "",
) -> RedirectResponse:
    """Hold one place for a need until the hold expires (a refusal comes back in
    words on the participant's page)."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(csrf_token)
    pick = Pick(need_id, program_id, pool)
    try:
        view = _hold(web, case_manager_id, participant_id, pick)
    except ServiceError as error:
        name = web.read(lambda s: programs.names(s, [program_id])).get(program_id)
        return web.back(
            _participant_url(participant_id), f"Not held: {plain(error, name)}.", "error"
        )
    return web.back(
        _participant_url(participant_id),
        f"Place held until {_until(view.expires_at)}. Confirm it with the participant before then.",
    )


Action = Literal["confirm", "decline", "release", "accept", "pass"]


@router.post(PAGE + "/referrals/{referral_id}/{action}")
def act(
    web: WebPage,
    referral_id: str,
    action: Action,
    participant_id: Ident,
    consent: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Token = "",
) -> RedirectResponse:
    """Confirm (with the participant's consent to share), decline or release a hold;
    accept or pass on an offer."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(csrf_token)
    now, ttl, within = web.ctx.now, web.ctx.ttl, web.ctx.respond_within
    if action == "confirm":
        if consent != "yes":
            raise PageError(
                409,
                "Confirming sends the referral to the provider: tick the box to record that "
                "the participant consents to sharing it.",
            )
        web.run(
            lambda s: referrals.confirm_with_consent(
                s, case_manager_id, referral_id, now, ttl, within
            )
        )
        message = "Referral sent. The provider now sees it."
    elif action == "accept":
        web.run(lambda s: offers.accept(s, case_manager_id, referral_id, now, ttl))
        message = "Offer accepted: the place is held. Confirm it with the participant."
    elif action == "pass":
        web.run(lambda s: offers.pass_offer(s, case_manager_id, referral_id, now))
        message = "Passed. It costs the participant nothing; the place goes to the next need."
    elif action == "decline":
        web.run(lambda s: referrals.withdraw(s, case_manager_id, referral_id, now))
        message = "Declined for the participant. The place is free for others."
    else:
        web.run(lambda s: referrals.release(s, case_manager_id, referral_id, now))
        message = "Hold released. The place is free for others."
    return web.back(_participant_url(participant_id), message)


@router.post(PAGE + "/participants/{participant_id}/needs/{need_id}/declined/{program_id}/clear")
def clear_decline(
    web: WebPage, participant_id: str, need_id: str, program_id: str, csrf_token: Token = ""
) -> RedirectResponse:
    """The participant changed their mind: the declined program may be offered again."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(csrf_token)
    web.run(
        lambda s: referrals.clear_decline(
            s, case_manager_id, participant_id, need_id, program_id, web.ctx.now
        )
    )
    return web.back(
        _participant_url(participant_id), "Decline cleared. The program may be offered again."
    )


@router.post(PAGE + "/intakes/{intake_id}/take")
def take_intake(web: WebPage, intake_id: str, csrf_token: Token = "") -> RedirectResponse:
    """Take a referral into LEAD up: it leaves the other case managers' list."""
    case_manager_id = web.require("case_manager")
    web.check(csrf_token)
    view = web.run(lambda s: intake.take(s, case_manager_id, intake_id, web.ctx.now))
    return web.back(PAGE, f"Referral {view.reference} is yours. Record the participant when met.")
