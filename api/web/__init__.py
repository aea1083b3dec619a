"""Server-rendered pages for providers, case managers, funders, officers and auditors
(``/web``).

Mobile-first HTML forms that work without JavaScript, over the same service layer,
role checks and audit log as the API. ``install(app)`` adds them to an app.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.web import (
    admin,
    auditor,
    case_manager,
    funder,
    inbox,
    plans,
    provider,
    records,
    referrer,
    signin,
)
from api.web.render import HERE, PageError, WrongRole, render
from api.web.session import CsrfFailed, SignInRequired, safe_next


def install(app: FastAPI) -> None:
    """Mount the pages, their stylesheet and their error pages on ``app``."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (
        signin,
        provider,
        case_manager,
        plans,
        records,
        funder,
        inbox,
        auditor,
        referrer,
        admin,
    ):
        app.include_router(module.router)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _error: SignInRequired) -> RedirectResponse:
        back = _back_to(request)
        target = "/web/sign-in" + (f"?{urlencode({'next': back})}" if back else "")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(WrongRole)
    async def _wrong_role(request: Request, _error: WrongRole) -> HTMLResponse:
        return _error_page(request, 403, "This page is for another role.")

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _error: CsrfFailed) -> HTMLResponse:
        return _error_page(
            request,
            403,
            "This form had expired or did not come from this site. Nothing was "
            "changed. Go back, reload the page and try again.",
        )

    @app.exception_handler(PageError)
    async def _page_error(request: Request, error: PageError) -> HTMLResponse:
        return _error_page(request, error.status, error.message)


_FORM_PAGES = re.compile(r"^/web/case-manager/(new|participants/[^/]+/(plan|details))$")
_PARTICIPANT = re.compile(r"^/web/case-manager/participants/[^/]+")


def _back_to(request: Request) -> str | None:
    """Where to return after signing in again: the page asked for; for a form sent
    after the session ended, the page that shows that form, or the participant's
    page the action was taken on."""
    path = request.url.path
    if request.method == "GET":
        return safe_next(path + (f"?{request.url.query}" if request.url.query else ""))
    if _FORM_PAGES.match(path):
        return safe_next(path)
    on = _PARTICIPANT.match(path)
    return safe_next(on.group(0)) if on else None


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    from api.deps import Context

    ctx = Context(request)
    principal = getattr(request.state, "principal", None)
    return render(request, ctx, "error.html", status, me=principal, message=message)
