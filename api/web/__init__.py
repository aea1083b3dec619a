"""Server-rendered pages for providers, case managers, funders, officers and auditors
(``/web``).

Mobile-first HTML forms that work without JavaScript, over the same service layer,
role checks and audit log as the API. ``install(app)`` adds them to an app.
"""

from __future__ import annotations

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
from api.web.session import CsrfFailed, SignInRequired


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
    async def _sign_in(_request: Request, _error: SignInRequired) -> RedirectResponse:
        return RedirectResponse("/web/sign-in", status_code=303)

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


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    from api.deps import Context

    ctx = Context(request)
    principal = getattr(request.state, "principal", None)
    return render(request, ctx, "error.html", status, me=principal, message=message)
