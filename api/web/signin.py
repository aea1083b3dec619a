"""Sign in and out, and the front door that sends each role to its page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Ctx
from api.limits import check_rate
from api.web import session as web_session
from api.web.render import HOME, render
from api.web.session import safe_next
from matcher.service import accounts
from matcher.service.accounts import Unauthenticated
from matcher.service.errors import ServiceError

router = APIRouter(include_in_schema=False)


@router.get("/")
def front_door() -> RedirectResponse:
    """The app's root opens the pages."""
    return RedirectResponse("/web", status_code=303)


@router.get("/web")
def home(request: Request, ctx: Ctx) -> RedirectResponse:
    """Each role's own page, or the sign-in page."""
    try:
        me = web_session.principal_of(request, ctx)
    except web_session.SignInRequired:
        return RedirectResponse("/web/sign-in", status_code=303)
    return RedirectResponse(HOME.get(me.role, "/web/sign-in?role"), status_code=303)


@router.get("/web/sign-in", response_class=HTMLResponse)
def sign_in_form(
    request: Request, ctx: Ctx, next: Annotated[str, Query(max_length=1000)] = ""
) -> HTMLResponse:
    """The sign-in form (``next``: the page to return to, kept only if it is safe)."""
    return render(request, ctx, "sign_in.html", roles=", ".join(sorted(HOME)), next=safe_next(next))


@router.post("/web/sign-in", response_model=None)
def sign_in(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse | RedirectResponse:
    """Check the password (rate-limited per name, like the API) and start a session;
    then back to ``next`` when it is one of this site's pages, else the role's page."""
    web_session.check_csrf(request, ctx.settings, csrf_token)
    back = safe_next(next)
    try:
        check_rate(ctx, f"login:{username[:200]}", ctx.settings.login_per_minute)
        me = ctx.read(lambda s: accounts.sign_in(s, username, password))
    except (Unauthenticated, ServiceError) as error:
        message = (
            error.message if isinstance(error, ServiceError) else "Wrong username or password."
        )
        return render(
            request, ctx, "sign_in.html", 401, error=message, username=username, next=back
        )
    request.state.principal = me
    if me.role not in HOME:
        return render(
            request,
            ctx,
            "sign_in.html",
            403,
            error="This account's role has no pages; it uses the API.",
            username=username,
        )
    response = RedirectResponse(back or HOME[me.role], status_code=303)
    web_session.start(response, ctx.settings, me)
    return response


@router.post("/web/sign-out")
def sign_out(
    request: Request, ctx: Ctx, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> RedirectResponse:
    web_session.check_csrf(request, ctx.settings, csrf_token)
    response = RedirectResponse("/web/sign-in", status_code=303)
    web_session.end(response, ctx.settings)
    return response
