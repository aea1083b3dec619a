"""Web sessions and CSRF protection for the pages.

A sign-in puts a session token (a JWT for the web audience, lasting about a shift) in
an HttpOnly cookie; every request checks that its account is still active, exactly as
the API does for bearer tokens. Every form carries a CSRF token: an HMAC, under the
server's secret, of a random per-browser cookie and the session cookie. A page on
another site can make the browser send both cookies, but cannot read them, so it
cannot compute the token; a token is void once the session changes. The cookies are
``SameSite=Lax`` (so a link from elsewhere keeps them) and ``Secure`` outside development.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import Request, Response

from api.deps import Context
from matcher.service import accounts
from matcher.service.accounts import Principal, Unauthenticated
from matcher.settings import Settings

SESSION_COOKIE = "matcher_session"
CSRF_COOKIE = "matcher_csrf"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No valid web session: the browser is sent to the sign-in page."""


class CsrfFailed(Exception):
    """A form arrived without the token this browser's page was given."""


_PAGES = re.compile(r"^/web(?:[/?]|$)")
_NOT_BACK_TO = ("/web/sign-in", "/web/sign-out")


def safe_next(value: str | None) -> str | None:
    """``value`` if it is one of this site's pages to return to after signing in, else
    None: a path under ``/web`` only, never another site (``//host``, a scheme, a
    backslash), control characters, or the sign-in page itself."""
    if not value or len(value) > 1000:
        return None
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # a broken address ("//[::1") is no page of this site
        return None
    if parts.scheme or parts.netloc or not _PAGES.match(value):
        return None
    if parts.path.rstrip("/") in _NOT_BACK_TO:
        return None
    return value


def _secure(settings: Settings) -> bool:
    return settings.environment != "development"


def browser_key(request: Request) -> str:
    """This browser's random CSRF key (a new one when it has none yet)."""
    key = request.cookies.get(CSRF_COOKIE)
    if not key or len(key) > 100:
        key = getattr(request.state, "new_csrf_key", None) or secrets.token_urlsafe(32)
        request.state.new_csrf_key = key
    return key


def csrf_token(request: Request, settings: Settings) -> str:
    """The token forms on this page carry."""
    bound = f"{browser_key(request)}|{request.cookies.get(SESSION_COOKIE, '')}"
    secret = settings.jwt_secret.get_secret_value().encode()
    return hmac.new(secret, bound.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, settings: Settings, presented: str | None) -> None:
    """Refuse a form whose token is missing or not this browser's and session's."""
    if CSRF_COOKIE not in request.cookies or not presented:
        raise CsrfFailed
    if not hmac.compare_digest(presented, csrf_token(request, settings)):
        raise CsrfFailed


def keep_browser_key(request: Request, response: Response, settings: Settings) -> None:
    """Set the CSRF cookie if this response made the browser its first key."""
    key = getattr(request.state, "new_csrf_key", None)
    if key is not None:
        response.set_cookie(
            CSRF_COOKIE,
            key,
            httponly=True,
            secure=_secure(settings),
            samesite="lax",
            path="/",
        )


def start(response: Response, settings: Settings, principal: Principal) -> None:
    """Sign the browser in: the session cookie lasts ``session_hours``."""
    token, lifetime = accounts.issue_session(settings, principal, datetime.now(UTC))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=lifetime,
        httponly=True,
        secure=_secure(settings),
        samesite="lax",
        path="/",
    )


def end(response: Response, settings: Settings) -> None:
    """Sign the browser out."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, secure=_secure(settings), samesite="lax", path="/"
    )


def principal_of(request: Request, ctx: Context) -> Principal:
    """The signed-in account, or ``SignInRequired``."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    try:
        principal = ctx.read(lambda s: accounts.from_session(s, ctx.settings, token))
    except Unauthenticated:
        raise SignInRequired from None
    request.state.principal = principal
    return principal
