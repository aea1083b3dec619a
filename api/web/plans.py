"""Case managers record a participant and edit their plan from the street.

A plan is a list of rows: a service type (or "any" of a category), whether the need
is acute, and its place in the participant's own order. Rows left blank are ignored,
so the form works without JavaScript: a few blank rows are always offered. A new
participant is placed at the centre of the neighbourhood where the case manager meets
them (exact coordinates are optional): LEAD meets people where they are.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from api.web.render import PageError, WebPage, form_fields, service_type_labels
from matcher.populations import KNOWN as POPULATIONS
from matcher.scenario import Attributes, Location, Need, Participant, category_of
from matcher.service import funding, participants
from matcher.service import intake as intakes
from matcher.service.checks import new_need_id
from matcher.service.funding import MapPoint

router = APIRouter(include_in_schema=False)
PAGE = "/web/case-manager"
BLANK_ROWS = 3
MAX_ROWS = 30
HOUSEHOLDS = ("single", "couple", "family")
FLAGS = {
    "active_use": "Uses drugs now",
    "sex_work": "Involved in sex work",
    "criminal_history": "Has a criminal record",
    "has_pet": "Has a pet",
    "has_id": "Has government ID",
    "accepts_faith_based": "Open to faith-based programs",
}


Form = Annotated[FormData, form_fields(400)]


def choices() -> list[tuple[str, str]]:
    """The plan's service-type choices: each category as a whole, then each type."""
    labels = service_type_labels()
    categories = sorted({category_of(code) for code in labels})
    whole = [(f"{c}.*", f"Any {c.replace('_', ' ')}") for c in categories]
    return whole + sorted(labels.items(), key=lambda item: item[1])


def _types(choice: str) -> list[str]:
    labels = service_type_labels()
    if choice.endswith(".*"):
        prefix = choice[:-1]
        return sorted(code for code in labels if code.startswith(prefix))
    if choice not in labels:
        raise PageError(422, f"unknown service type {choice!r}")
    return [choice]


def _choice_of(need: Need) -> str:
    labels = service_type_labels()
    kinds = sorted(need.service_types)
    category = category_of(kinds[0])
    whole = sorted(code for code in labels if code.startswith(f"{category}."))
    return f"{category}.*" if len(kinds) > 1 and kinds == whole else kinds[0]


def read_needs(form: FormData, existing: list[Need]) -> list[Need]:
    """The plan's rows, in the order the case manager numbered them (ties keep the
    form's order); a row's need keeps its id when its kind is unchanged."""
    by_id = {n.id: n for n in existing}
    rows: list[tuple[float, int, Need]] = []
    for i in range(MAX_ROWS):
        choice = str(form.get(f"type_{i}") or "").strip()
        if not choice:
            continue
        kinds = _types(choice)
        known = by_id.get(str(form.get(f"id_{i}") or ""))
        need_id = known.id if known else new_need_id()
        order_text = str(form.get(f"order_{i}") or "").strip()
        try:
            order = float(order_text) if order_text else float(i + 1)
        except ValueError:
            raise PageError(422, f"row {i + 1}: order must be a number") from None
        acute = form.get(f"acute_{i}") == "yes"
        rows.append((order, i, Need(id=need_id, service_types=kinds, acute=acute)))
    return [need for *_, need in sorted(rows, key=lambda r: (r[0], r[1]))]


def _plan_rows(needs: list[Need]) -> list[dict[str, Any]]:
    rows = [
        {"id": n.id, "choice": _choice_of(n), "acute": n.acute, "order": k + 1}
        for k, n in enumerate(needs)
    ]
    blanks = [
        {"id": "", "choice": "", "acute": False, "order": len(needs) + k + 1}
        for k in range(BLANK_ROWS)
    ]
    return rows + blanks


@router.get(PAGE + "/participants/{participant_id}/plan", response_class=HTMLResponse)
def plan_form(web: WebPage, participant_id: str) -> HTMLResponse:
    """The plan as editable rows, in the participant's order."""
    case_manager_id = web.case_load_of(participant_id)
    person = web.read(lambda s: participants.get(s, case_manager_id, participant_id))
    return web.page("plan.html", person=person, rows=_plan_rows(person.needs), choices=choices())


@router.post(PAGE + "/participants/{participant_id}/plan")
def save_plan(web: WebPage, participant_id: str, form: Form) -> RedirectResponse:
    """Replace the plan (needs with an open referral must stay)."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(str(form.get("csrf_token") or ""))

    def act(s: Session) -> None:
        person = participants.get(s, case_manager_id, participant_id)
        needs = read_needs(form, person.needs)
        participants.set_plan(s, case_manager_id, participant_id, needs, web.ctx.now)

    web.run(act)
    return web.back(f"{PAGE}/participants/{participant_id}", "Plan saved.")


def neighbourhoods(s: Session) -> list[MapPoint]:
    """Where a participant may be met: the neighbourhoods' centres."""
    return funding.map_points(s)[1]


@router.get(PAGE + "/new", response_class=HTMLResponse)
def new_form(web: WebPage, intake: str = "") -> HTMLResponse:
    """A new participant: where they are met, what they chose to share, their plan
    (``intake``: the referral into LEAD they come from)."""
    web.require("case_manager")
    return web.page(
        "new_participant.html",
        intake=intake[:200],
        person=None,
        hoods=web.read(neighbourhoods),
        rows=_plan_rows([]),
        choices=choices(),
        flags=FLAGS,
        households=HOUSEHOLDS,
        populations=POPULATIONS,
    )


def _number(form: FormData, name: str) -> float | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise PageError(422, f"{name.replace('_', ' ')} must be a number") from None


def read_participant(
    form: FormData, hoods: list[MapPoint], base: Participant | None = None
) -> Participant:
    """The participant the form describes (``PageError`` naming the field): a new one,
    or ``base`` with new details (its pseudonym, plan and lists kept). Without exact
    coordinates, the place is the neighbourhood's centre, or ``base``'s own place
    while its neighbourhood is unchanged."""
    if base is None:
        pseudonym = participants.new_pseudonym()  # never chosen: ids reveal nothing
        needs = read_needs(form, [])
        kept: dict[str, Any] = {}
    else:
        pseudonym, needs = base.id, base.needs
        kept = {
            "prefers": base.prefers,
            "stay_away": base.stay_away,
            "avoid_programs": base.avoid_programs,
        }
    hood = str(form.get("neighborhood") or "")
    lat, lon = _number(form, "lat"), _number(form, "lon")
    centre = next((h for h in hoods if h.name == hood), None)
    if lat is None or lon is None:
        if base is not None and hood == (base.location.neighborhood or ""):
            lat, lon = base.location.lat, base.location.lon
        elif centre is None:
            raise PageError(422, "choose the neighbourhood where you meet the participant")
        else:
            lat, lon = centre.lat, centre.lon
    age = _number(form, "age")
    household = str(form.get("household") or "") or None
    if household is not None and household not in HOUSEHOLDS:
        raise PageError(422, "household must be single, couple or family")
    languages = [x.strip() for x in str(form.get("languages") or "").split(",") if x.strip()]
    checked = [str(v) for v in form.getlist("population")]
    if unknown := sorted(set(checked) - set(POPULATIONS)):
        raise PageError(422, f"unknown population {unknown[0]!r}")
    # Populations the form does not offer (recorded through the API) are kept.
    others = (
        [] if base is None else [x for x in base.attributes.populations if x not in POPULATIONS]
    )
    populations = [code for code in POPULATIONS if code in checked] + others
    try:
        return Participant(
            id=pseudonym,
            location=Location(lat=lat, lon=lon, neighborhood=hood or None),
            attributes=Attributes(
                age=None if age is None else int(age),
                gender=str(form.get("gender") or "").strip() or None,
                household=household,
                populations=populations,
                **{flag: form.get(flag) == "yes" for flag in FLAGS},
            ),
            languages=languages,
            max_distance_km=_number(form, "max_distance_km"),
            needs=needs,
            **kept,
        )
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise PageError(422, f"{where}: {problem['msg']}") from None


@router.post(PAGE + "/new")
def create(web: WebPage, form: Form) -> RedirectResponse:
    """Record the participant under a pseudonym the server makes, with their plan."""
    case_manager_id = web.require("case_manager")
    web.check(str(form.get("csrf_token") or ""))

    def act(s: Session) -> str:
        person = read_participant(form, neighbourhoods(s))
        participants.create(
            s, case_manager_id, person, web.ctx.now, area=web.ctx.settings.site_area()
        )
        came_from = str(form.get("intake_id") or "")
        if came_from:
            intakes.link(s, case_manager_id, came_from, person.id)
        return person.id

    participant_id = web.run(act)
    return web.back(f"{PAGE}/participants/{participant_id}", f"{participant_id} recorded.")
