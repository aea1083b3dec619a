"""The officer's page: refer someone into LEAD and see the receipt, nothing else.

A referrer (police officer, prosecutor) learns only that the referral was received
and when, as over the API (``matcher.service.intake``): no plan, no match, nothing
about treatment. A form that breaks a rule comes back with what was typed and the
rule in words.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from api.web.render import Token, WebPage
from matcher.service import intake

router = APIRouter(include_in_schema=False)
PAGE = "/web/referrer"
REFERENCE_MAX = 100
NOTE_MAX = 2000


@router.get(PAGE, response_class=HTMLResponse)
def page(web: WebPage) -> HTMLResponse:
    """The referral form."""
    web.require("referrer")
    return web.page("referrer.html", reference="", note="", problems={})


@router.post(PAGE + "/intakes", response_model=None)
def submit(
    web: WebPage,
    reference: Annotated[str, Form(max_length=10 * REFERENCE_MAX)] = "",
    note: Annotated[str, Form(max_length=10 * NOTE_MAX)] = "",
    csrf_token: Token = "",
) -> HTMLResponse | RedirectResponse:
    """Refer someone into LEAD; the receipt is shown next."""
    web.require("referrer")
    web.check(csrf_token)
    reference, note = reference.strip(), note.strip()
    problems = {}
    if not reference:
        problems["reference"] = "Give your own reference (a case or report number)."
    elif len(reference) > REFERENCE_MAX:
        problems["reference"] = f"Your reference can be at most {REFERENCE_MAX} characters."
    if len(note) > NOTE_MAX:
        problems["note"] = f"The note can be at most {NOTE_MAX} characters; it has {len(note)}."
    if problems:
        return web.page("referrer.html", 422, reference=reference, note=note, problems=problems)
    made = web.run(lambda s: intake.submit(s, web.me.account_id, reference, note, web.ctx.now))
    return web.back(f"{PAGE}/intakes/{made.intake_id}", "Referral received by the LEAD team.")


@router.get(PAGE + "/intakes/{intake_id}", response_class=HTMLResponse)
def receipt(web: WebPage, intake_id: str) -> HTMLResponse:
    """The receipt of one of the referrer's own referrals (another's looks missing)."""
    web.require("referrer")
    made = web.read(lambda s: intake.receipt(s, web.me.account_id, intake_id))
    return web.page("receipt.html", receipt=made)
