"""What every page needs: the signed-in account, its role, templates, forms and flashes.

Pages call the same service functions as the API, inside the same units of work, so
a page can do nothing the account's role could not do over the API. Participant data
never goes into a URL: pages name participants by pseudonym only, actions are POSTs,
and messages after an action travel in a short-lived cookie, not a query string.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session
from starlette.datastructures import FormData

from api.auth import expensive
from api.deps import Context, Ctx
from api.limits import RateLimited
from api.problems import status_of
from api.web import session as web_session
from api.web.labels import REASON_LABELS, ago
from api.web.words import plain
from matcher.money import dollars
from matcher.paths import DATA
from matcher.rules.registry import RULES
from matcher.scenario import category_of
from matcher.service import notifications, teams
from matcher.service.accounts import Principal
from matcher.service.errors import ServiceError
from matcher.settings import Settings

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
FLASH_COOKIE = "matcher_flash"
HOME = {
    "provider": "/web/provider",
    "case_manager": "/web/case-manager",
    "funder": "/web/funder",
    "auditor": "/web/audit",
    "referrer": "/web/referrer",
    "admin": "/web/admin/deliveries",
}


Token = Annotated[str, Form(max_length=200)]
"""A form's CSRF token field."""


def form_fields(max_fields: int) -> Any:
    """A dependency giving a form of at most ``max_fields`` fields, for forms whose
    fields are numbered (plan rows) or repeated (categories)."""

    async def read(request: Request) -> FormData:
        return await request.form(max_fields=max_fields)

    return Depends(read)


class WrongRole(Exception):
    """Signed in, but this page belongs to another role."""


class PageError(Exception):
    """A refusal shown as a page: the service's own message and the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@cache
def service_type_labels() -> dict[str, str]:
    """Plain-language names of the service types, by code."""
    import csv

    with (DATA / "service_types.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["label"] for row in csv.DictReader(handle)}


RULE_PHRASES = {r.name: (r.one, r.many) for r in RULES}


def categories() -> list[str]:
    """The service categories (``housing``, ``treatment``, ...), for consents."""
    return sorted({category_of(code) for code in service_type_labels()})


def _types(codes: list[str]) -> str:
    labels = service_type_labels()
    return ", ".join(labels.get(c, c) for c in codes)


_CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")


def _named(text: str) -> str:
    """``text`` with every service-type code in it replaced by the type's label
    (explanations built for the API name types by code)."""
    labels = service_type_labels()
    return _CODE.sub(lambda m: labels.get(m.group(0), m.group(0)), text)


def _when(value: datetime | None) -> str:
    return "never" if value is None else value.strftime("%a %d %b, %H:%M UTC")


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["types"] = _types
templates.env.filters["when"] = _when
templates.env.filters["named"] = _named
templates.env.filters["money"] = dollars
templates.env.filters["ago"] = ago
templates.env.globals["RULE_PHRASES"] = RULE_PHRASES
templates.env.globals["categories"] = categories
templates.env.globals["reasons"] = REASON_LABELS


class Web:
    """One page request: the account, the unit-of-work runner, templates and flashes."""

    def __init__(self, request: Request, ctx: Ctx) -> None:
        self.request = request
        self.ctx = ctx
        self.me: Principal = web_session.principal_of(request, ctx)

    def require(self, role: str) -> str:
        """The account's subject (its organisation or case load; empty for a funder) if
        the account has ``role``."""
        if self.me.role != role:
            raise WrongRole
        if role in ("provider", "case_manager") and not self.me.subject_id:
            raise WrongRole
        return self.me.subject_id or ""

    def case_load_of(self, participant_id: str) -> str:
        """The case load of a participant this case manager may work on: their own, or
        a teammate's (a page error like a missing participant otherwise)."""
        acting = self.require("case_manager")
        return self.read(lambda s: teams.case_load_of(s, acting, participant_id))

    def limit_solver(self) -> None:
        """Count a solver-backed page against the account's limit, as the API does."""
        try:
            expensive(self.ctx, self.me)
        except RateLimited as error:
            raise PageError(
                429, f"Too many requests that run the solver: {error.message}."
            ) from None

    def check(self, token: str | None) -> None:
        """The form's CSRF token must be this browser's and session's."""
        web_session.check_csrf(self.request, self.ctx.settings, token)

    def read(self, use_case: Callable[[Session], T]) -> T:
        """A read-only unit of work; a refusal becomes an error page."""
        try:
            return self.ctx.read(use_case)
        except ServiceError as error:
            raise PageError(status_of(error), plain(error)) from None

    def run(self, use_case: Callable[[Session], T]) -> T:
        """A unit of work that changes the store; a refusal becomes an error page."""
        try:
            return self.ctx.run(use_case)
        except ServiceError as error:
            raise PageError(status_of(error), plain(error)) from None

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """The template for the signed-in account, with its unread count in the header."""
        unread = self.ctx.read(lambda s: notifications.unread(s, self.me.account_id))
        return render(
            self.request, self.ctx, template, status, me=self.me, unread=unread, **context
        )

    def back(self, url: str, message: str, kind: str = "ok") -> RedirectResponse:
        """After an action: back to ``url`` (303), the outcome shown once there."""
        response = RedirectResponse(url, status_code=303)
        flash(response, message, kind)
        return response


WebPage = Annotated[Web, Depends(Web)]


def render(
    request: Request, ctx: Context, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A template with the CSRF token, the flash message and security headers."""
    settings = ctx.settings
    context.setdefault("me", None)
    context["csrf"] = web_session.csrf_token(request, settings)
    context["flash"] = _read_flash(request)
    context["home"] = HOME
    response = templates.TemplateResponse(request, template, context, status_code=status)
    web_session.keep_browser_key(request, response, settings)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/web")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data:{_tile_origin(settings)}; style-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _tile_origin(settings: Settings) -> str:
    """The map tiles' origin, for the pages' image sources (empty without tiles)."""
    if not settings.map_tile_url:
        return ""
    parts = urlsplit(settings.map_tile_url)
    return f" {parts.scheme}://{parts.netloc}"


def flash(response: RedirectResponse, message: str, kind: str = "ok") -> None:
    value = base64.urlsafe_b64encode(json.dumps([kind, message[:500]]).encode()).decode()
    response.set_cookie(FLASH_COOKIE, value, max_age=60, httponly=True, path="/web")


def _read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, text = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, TypeError):
        return None
    return {"kind": str(kind), "text": str(text)}
