"""Sign-in: an OAuth2 password grant that returns a short-lived bearer token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.auth import Me, NotAuthenticated
from api.deps import Ctx
from api.limits import check_rate
from api.problems import RESPONSES
from matcher.service import accounts
from matcher.service.accounts import Unauthenticated

router = APIRouter(prefix="/auth", tags=["everyone"], responses=RESPONSES)


class SignInForm(OAuth2PasswordRequestForm):
    """The OAuth2 password grant's form, with the name and password required non-empty
    (so the schema says what the endpoint accepts)."""

    def __init__(
        self,
        *,
        username: Annotated[str, Form(min_length=1, max_length=200)],
        password: Annotated[str, Form(min_length=1, max_length=200)],
        grant_type: Annotated[str, Form(pattern="^password$")] = "password",
        scope: Annotated[str, Form(max_length=1000)] = "",
    ) -> None:
        super().__init__(grant_type=grant_type, username=username, password=password, scope=scope)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    username: str
    role: str
    subject_id: str | None


@router.post("/token", response_model=TokenOut, responses={401: {"description": "bad credentials"}})
def token(request: Request, form: Annotated[SignInForm, Depends()], ctx: Ctx) -> TokenOut:
    """Exchange a username and password for an access token (rate-limited per name)."""
    check_rate(ctx, f"login:{form.username[:200]}", ctx.settings.login_per_minute)
    try:
        principal = ctx.read(lambda s: accounts.sign_in(s, form.username, form.password))
    except Unauthenticated:
        raise NotAuthenticated("wrong username or password") from None
    request.state.principal = principal
    # Token times are wall-clock times: they are checked against the wall clock.
    access, lifetime = accounts.issue_token(ctx.settings, principal, datetime.now(UTC))
    return TokenOut(access_token=access, expires_in=lifetime)


@router.get("/me", response_model=MeOut)
def me(principal: Me) -> MeOut:
    """Who the credentials belong to."""
    return MeOut(username=principal.username, role=principal.role, subject_id=principal.subject_id)
