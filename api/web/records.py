"""A participant's record beyond the plan: their details (and whether they are still
active), their consents, and what was disclosed under them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session
from starlette.datastructures import FormData

from api.web.forms import FormProblem, from_service
from api.web.plans import (
    FLAGS,
    HOUSEHOLDS,
    neighbourhoods,
    problems_of,
    read_participant,
    values_of,
    values_sent,
)
from api.web.render import PageError, Token, Web, WebPage, form_fields
from matcher.populations import KNOWN as POPULATIONS
from matcher.service import consent, participants
from matcher.service.errors import ServiceError

router = APIRouter(include_in_schema=False)
PAGE = "/web/case-manager/participants/{participant_id}"


Fields = Annotated[FormData, form_fields(100)]


def _details_page(
    web: Web, case_manager_id: str, participant_id: str, status: int = 200, **shown: Any
) -> HTMLResponse:
    def read(s: Session) -> dict[str, Any]:
        person = participants.get(s, case_manager_id, participant_id)
        return {
            "person": person,
            "values": values_of(person),
            "active": participants.is_active(s, case_manager_id, participant_id),
            "version": participants.version_of(s, case_manager_id, participant_id),
            "hoods": neighbourhoods(s),
        }

    return web.page(
        "details.html",
        status,
        flags=FLAGS,
        households=HOUSEHOLDS,
        populations=POPULATIONS,
        **(web.read(read) | shown),
    )


@router.get(PAGE + "/details", response_class=HTMLResponse)
def details_form(web: WebPage, participant_id: str) -> HTMLResponse:
    """The participant's details as a form, with the version it was read at."""
    return _details_page(web, web.case_load_of(participant_id), participant_id)


@router.post(PAGE + "/details", response_model=None)
def save_details(
    web: WebPage, participant_id: str, form: Fields
) -> HTMLResponse | RedirectResponse:
    """Replace the details, unless a colleague saved newer ones since the form loaded;
    a refusal comes back as the form, as typed, the problem beside its field."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(str(form.get("csrf_token") or ""))
    version_text = str(form.get("version") or "")
    if not (version_text.isascii() and version_text.isdigit()) or len(version_text) > 9:
        raise PageError(422, "The form lost its version: reload the page.")

    def act(s: Session) -> None:
        base = participants.get(s, case_manager_id, participant_id)
        person = read_participant(form, neighbourhoods(s), base)
        participants.update(
            s,
            case_manager_id,
            person,
            web.ctx.now,
            expected_version=int(version_text),
            active=form.get("active") == "yes",
            area=web.ctx.settings.site_area(),
        )

    try:
        web.ctx.run(act)
    except (FormProblem, ServiceError) as error:
        problem = error if isinstance(error, FormProblem) else from_service(error)
        status = problem.status
        if isinstance(error, ServiceError) and error.rule == "stale_version":
            problem = FormProblem(
                None,
                "Not saved: a colleague changed this record after you opened it. What you "
                "typed is below; the record now holds their version: reload to see it.",
            )
        return _details_page(
            web,
            case_manager_id,
            participant_id,
            status,
            values=values_sent(form),
            active=form.get("active") == "yes",
            version=int(version_text),
            problems=problems_of(problem),
        )
    return web.back(f"/web/case-manager/participants/{participant_id}", "Details saved.")


@router.post(PAGE + "/consents/{consent_id}/revoke")
def revoke(
    web: WebPage, participant_id: str, consent_id: str, csrf_token: Token = ""
) -> RedirectResponse:
    """The participant takes a consent back: nothing more is disclosed under it."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(csrf_token)
    web.run(lambda s: consent.revoke(s, case_manager_id, participant_id, consent_id, web.ctx.now))
    return web.back(
        f"/web/case-manager/participants/{participant_id}",
        "Consent revoked. Providers see no more under it.",
    )


@router.post(PAGE + "/consents")
def grant(
    web: WebPage,
    participant_id: str,
    form: Fields,
) -> RedirectResponse:
    """Record the participant's consent to share some categories with one provider."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(str(form.get("csrf_token") or ""))
    recipient = str(form.get("organization_id") or "")
    categories = [str(c) for c in form.getlist("category")][:30]
    if not recipient:
        raise PageError(422, "choose the provider the participant consents to share with")
    if not categories:
        raise PageError(422, "tick what may be shared, or everything")
    ends = str(form.get("ends_on") or "")
    try:
        ends_at = datetime.fromisoformat(ends).replace(tzinfo=UTC) if ends else None
    except ValueError:
        raise PageError(422, "the end date must be a date") from None
    web.run(
        lambda s: consent.grant(
            s,
            case_manager_id,
            participant_id,
            recipient_type="organization",
            recipient_id=recipient,
            categories=categories,
            starts_at=web.ctx.now,
            ends_at=ends_at,
            now=web.ctx.now,
        )
    )
    return web.back(f"/web/case-manager/participants/{participant_id}", "Consent recorded.")
