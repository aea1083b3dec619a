"""Who is asking, and may they: bearer tokens or API keys, then role and object checks.

A caller whose role may use a router, but who names someone else's organisation or
case load in the path, gets exactly the answer a missing one gets (404, same body):
nothing tells them the other exists. A role that may not use a router at all gets
403. No credentials, or bad ones, get 401.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.credentials import CredentialCache, seconds_left
from api.deps import Ctx
from matcher.service import accounts, teams
from matcher.service.accounts import Principal, Unauthenticated
from matcher.service.errors import NotFound, ServiceError

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /auth/token")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A provider system's key")


class NotAuthenticated(ServiceError):
    """401: no valid credentials."""

    rule = "unauthenticated"


class Forbidden(ServiceError):
    """403: this role may not use this part of the API."""

    rule = "forbidden"


def current_principal(
    request: Request,
    ctx: Ctx,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The account behind the request's token or key (401 if none is valid). A
    credential checked within ``MATCHER_AUTH_CACHE_SECONDS`` is not checked again; the
    window counts from that check, so steady use never stretches it."""
    cache: CredentialCache = request.app.state.credentials
    check: Callable[[Session], Principal]
    if bearer is not None:
        token = bearer.credentials
        key, valid_for = cache.key("bearer", token), seconds_left(token)
        check = partial(accounts.from_token, settings=ctx.settings, token=token)
    elif api_key is not None:
        key, valid_for = cache.key("key", api_key), None
        check = partial(accounts.from_api_key, presented=api_key)
    else:
        raise NotAuthenticated("valid credentials are required")
    principal = cache.get(key)
    if principal is None:
        try:
            principal = ctx.read(check)
        except Unauthenticated:
            raise NotAuthenticated("valid credentials are required") from None
        cache.put(key, principal, valid_for)
    request.state.principal = principal
    return principal


Me = Annotated[Principal, Depends(current_principal)]


def _role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"the {principal.role} role may not do this")


def provider_of(organization_id: str, me: Me) -> Principal:
    """A provider acting for the organisation in the path."""
    _role(me, "provider")
    if me.subject_id != organization_id:
        raise NotFound(f"no organization {organization_id}", field="organization_id")
    return me


def case_manager_of(case_manager_id: str, me: Me, ctx: Ctx) -> Principal:
    """A case manager acting on their own case load, or on a teammate's."""
    _role(me, "case_manager")
    acting = me.subject_id
    if acting != case_manager_id and not (
        acting is not None and ctx.read(lambda s: teams.may_act_for(s, acting, case_manager_id))
    ):
        raise NotFound(f"no case manager {case_manager_id}", field="case_manager_id")
    return me


def funder(me: Me) -> Principal:
    """A funder: aggregates only."""
    _role(me, "funder")
    return me


def fund_keeper(me: Me) -> Principal:
    """A funder or an admin: may add money to the fund and see its top-ups."""
    _role(me, "funder", "admin")
    return me


def referrer(me: Me) -> Principal:
    """A police officer or prosecutor referring someone into LEAD."""
    _role(me, "referrer")
    return me


def administrator(me: Me) -> Principal:
    """An admin managing accounts and programs."""
    _role(me, "admin")
    return me


def auditor(me: Me) -> Principal:
    """An admin or auditor reading the audit log."""
    _role(me, "admin", "auditor")
    return me


def expensive(ctx: Ctx, me: Me) -> Principal:
    """A solver-backed request, rate-limited per account."""
    from api.limits import check_rate

    check_rate(ctx, f"solve:{me.account_id}", ctx.settings.match_per_minute)
    return me
