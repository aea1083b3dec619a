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

from api.web.forms import FormProblem, from_service, from_validation, labelled
from api.web.render import Web, WebPage, form_fields, service_type_labels
from matcher.populations import KNOWN as POPULATIONS
from matcher.scenario import Attributes, Location, Need, Participant, category_of
from matcher.service import funding, participants
from matcher.service import intake as intakes
from matcher.service.checks import new_need_id
from matcher.service.errors import ServiceError
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


def _types(choice: str, row: int) -> list[str]:
    labels = service_type_labels()
    if choice.endswith(".*"):
        prefix = choice[:-1]
        return sorted(code for code in labels if code.startswith(prefix))
    if choice not in labels:
        raise FormProblem(f"type_{row}", f"Need {row + 1}: choose its service from the list.")
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
        kinds = _types(choice, i)
        known = by_id.get(str(form.get(f"id_{i}") or ""))
        need_id = known.id if known else new_need_id()
        order_text = str(form.get(f"order_{i}") or "").strip()
        try:
            order = float(order_text) if order_text else float(i + 1)
        except ValueError:
            raise FormProblem(f"order_{i}", f"Need {i + 1}: its order must be a number.") from None
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


def _sent_rows(form: FormData) -> list[dict[str, Any]]:
    """The plan rows as typed, for a form shown again."""
    count = max((i + 1 for i in range(MAX_ROWS) if f"type_{i}" in form), default=0)
    return [
        {
            "id": str(form.get(f"id_{i}") or ""),
            "choice": str(form.get(f"type_{i}") or ""),
            "acute": form.get(f"acute_{i}") == "yes",
            "order": str(form.get(f"order_{i}") or ""),
        }
        for i in range(count)
    ]


def problems_of(problem: FormProblem) -> dict[str, str]:
    """The form's problems by field ("" for the form as a whole)."""
    return {problem.field or "": problem.message}


@router.get(PAGE + "/participants/{participant_id}/plan", response_class=HTMLResponse)
def plan_form(web: WebPage, participant_id: str) -> HTMLResponse:
    """The plan as editable rows, in the participant's order."""
    case_manager_id = web.case_load_of(participant_id)
    person = web.read(lambda s: participants.get(s, case_manager_id, participant_id))
    return web.page("plan.html", person=person, rows=_plan_rows(person.needs), choices=choices())


@router.post(PAGE + "/participants/{participant_id}/plan", response_model=None)
def save_plan(web: WebPage, participant_id: str, form: Form) -> HTMLResponse | RedirectResponse:
    """Replace the plan (needs with an open referral must stay); a refused plan comes
    back as the form, rows as typed, the problem beside its row."""
    case_manager_id = web.case_load_of(participant_id)
    web.check(str(form.get("csrf_token") or ""))

    def act(s: Session) -> None:
        person = participants.get(s, case_manager_id, participant_id)
        needs = read_needs(form, person.needs)
        participants.set_plan(s, case_manager_id, participant_id, needs, web.ctx.now)

    try:
        web.ctx.run(act)
    except (FormProblem, ServiceError) as error:
        problem = error if isinstance(error, FormProblem) else from_service(error)
        person = web.read(lambda s: participants.get(s, case_manager_id, participant_id))
        return web.page(
            "plan.html",
            problem.status,
            person=person,
            rows=_sent_rows(form),
            choices=choices(),
            problems=problems_of(problem),
        )
    return web.back(f"{PAGE}/participants/{participant_id}", "Plan saved.")


def neighbourhoods(s: Session) -> list[MapPoint]:
    """Where a participant may be met: the neighbourhoods' centres."""
    return funding.map_points(s)[1]


def values_of(person: Participant | None) -> dict[str, Any]:
    """The details form's values: a participant's, or a new form's."""
    if person is None:
        return {"flags": {"has_id"}, "population": set()}
    a = person.attributes
    return {
        "neighborhood": person.location.neighborhood or "",
        "max_distance_km": "" if person.max_distance_km is None else str(person.max_distance_km),
        "age": "" if a.age is None else str(a.age),
        "gender": a.gender or "",
        "household": a.household or "",
        "languages": ", ".join(person.languages),
        "flags": {flag for flag in FLAGS if getattr(a, flag)},
        "population": set(a.populations),
    }


def values_sent(form: FormData) -> dict[str, Any]:
    """The details form's values as typed, for a form shown again."""
    scalars = ("neighborhood", "lat", "lon", "max_distance_km", "age", "gender")
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in scalars}
    values |= {k: str(form.get(k) or "") for k in ("household", "languages")}
    values["flags"] = {flag for flag in FLAGS if form.get(flag) == "yes"}
    values["population"] = {str(v) for v in form.getlist("population")}
    return values


def _new_page(
    web: Web,
    status: int = 200,
    *,
    intake: str = "",
    values: dict[str, Any] | None = None,
    rows: list[dict[str, Any]] | None = None,
    problems: dict[str, str] | None = None,
) -> HTMLResponse:
    return web.page(
        "new_participant.html",
        status,
        intake=intake[:200],
        person=None,
        values=values or values_of(None),
        hoods=web.read(neighbourhoods),
        rows=rows or _plan_rows([]),
        choices=choices(),
        flags=FLAGS,
        households=HOUSEHOLDS,
        populations=POPULATIONS,
        problems=problems or {},
    )


@router.get(PAGE + "/new", response_class=HTMLResponse)
def new_form(web: WebPage, intake: str = "") -> HTMLResponse:
    """A new participant: where they are met, what they chose to share, their plan
    (``intake``: the referral into LEAD they come from)."""
    web.require("case_manager")
    return _new_page(web, intake=intake)


def _number(form: FormData, name: str) -> float | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise labelled(name, "must be a number") from None


def read_participant(
    form: FormData, hoods: list[MapPoint], base: Participant | None = None
) -> Participant:
    """The participant the form describes (``FormProblem`` naming the field): a new one,
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
            raise labelled("neighborhood", "choose the neighbourhood where you meet them")
        else:
            lat, lon = centre.lat, centre.lon
    age = _number(form, "age")
    household = str(form.get("household") or "") or None
    if household is not None and household not in HOUSEHOLDS:
        raise labelled("household", "must be single, couple or family")
    languages = [x.strip() for x in str(form.get("languages") or "").split(",") if x.strip()]
    checked = [str(v) for v in form.getlist("population")]
    if set(checked) - set(POPULATIONS):
        raise labelled("population", "choose populations from the list")
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
        raise from_validation(error) from None


@router.post(PAGE + "/new", response_model=None)
def create(web: WebPage, form: Form) -> HTMLResponse | RedirectResponse:
    """Record the participant under a pseudonym the server makes, with their plan; a
    refusal comes back as the form, everything typed kept, the problem beside its field."""
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

    try:
        participant_id = web.ctx.run(act)
    except (FormProblem, ServiceError) as error:
        problem = error if isinstance(error, FormProblem) else from_service(error)
        return _new_page(
            web,
            problem.status,
            intake=str(form.get("intake_id") or ""),
            values=values_sent(form),
            rows=_sent_rows(form),
            problems=problems_of(problem),
        )
    return web.back(f"{PAGE}/participants/{participant_id}", f"{participant_id} recorded.")
