"""Accounts, sign-in, access tokens and API keys; who a request comes from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from matcher.security import keys, oidc, passwords, tokens
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.settings import Settings
from matcher.store import tables as t

SUBJECT_ROLES = {"case_manager", "provider"}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an account, its role, and whose data it may see."""

    account_id: str
    username: str
    role: str
    subject_id: str | None


class Unauthenticated(Exception):
    """No valid credentials (every cause answers the same)."""


def _principal(account: t.Account) -> Principal:
    return Principal(account.id, account.username, account.role, account.subject_id)


def create_account(
    session: Session,
    *,
    username: str,
    role: str,
    password: str | None,
    subject_id: str | None,
    now: datetime,
) -> Principal:
    """A new account. Case managers and providers need the id of whose data they see."""
    if role not in t.ROLES:
        raise Invalid("enum", f"role must be one of {', '.join(t.ROLES)}", field="role")
    if (role in SUBJECT_ROLES) != (subject_id is not None):
        raise Invalid(
            "subject",
            "case managers and providers need --subject; other roles take none",
            field="subject_id",
        )
    if role == "provider" and session.get(t.Organization, subject_id) is None:
        raise NotFound(f"no organization {subject_id}", field="subject_id")
    if session.exec(select(t.Account.id).where(t.Account.username == username)).first():
        raise Conflict("duplicate", f"username {username} is taken", field="username")
    try:
        hashed = passwords.hash_password(password) if password is not None else None
    except ValueError as error:
        raise Invalid("length", str(error), field="password") from error
    account = t.Account(
        id=uuid.uuid4().hex,
        username=username,
        password_hash=hashed,
        role=role,
        subject_id=subject_id,
        active=True,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return _principal(account)


def sign_in(session: Session, username: str, password: str) -> Principal:
    """The account whose password this is; ``Unauthenticated`` otherwise (same cost)."""
    account = session.exec(select(t.Account).where(t.Account.username == username)).first()
    stored = account.password_hash if account is not None and account.active else None
    if not passwords.verify_password(stored, password) or account is None:
        raise Unauthenticated
    return _principal(account)


def issue_token(settings: Settings, principal: Principal, now: datetime) -> tuple[str, int]:
    """An access token and its lifetime in seconds."""
    lifetime = timedelta(minutes=settings.token_minutes)
    token = tokens.issue(
        principal.account_id,
        secret=settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        now=now,
        lifetime=lifetime,
    )
    return token, int(lifetime.total_seconds())


def from_token(session: Session, settings: Settings, token: str) -> Principal:
    """The active account a bearer token names: one of ours (HS256), or, when an OIDC
    issuer is configured, one of its (RS256/ES256) naming a local account."""
    if settings.oidc_issuer is not None and oidc.is_asymmetric(token):
        config = oidc.OidcConfig(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience or settings.jwt_audience,
            username_claim=settings.oidc_username_claim,
            jwks_url=settings.oidc_jwks_url,
            jwks=settings.oidc_jwks,
        )
        try:
            name = oidc.username(config, token)
        except tokens.TokenInvalid:
            raise Unauthenticated from None
        account = session.exec(select(t.Account).where(t.Account.username == name)).first()
        if account is None or not account.active:
            raise Unauthenticated
        return _principal(account)
    return _from_ours(session, settings, token, settings.jwt_audience)


def web_audience(settings: Settings) -> str:
    """The audience of web session tokens: a session cookie is no bearer token, and a
    bearer token is no session."""
    return f"{settings.jwt_audience}:web"


def issue_session(settings: Settings, principal: Principal, now: datetime) -> tuple[str, int]:
    """A web session token (kept in an HttpOnly cookie) and its lifetime in seconds."""
    lifetime = timedelta(hours=settings.session_hours)
    token = tokens.issue(
        principal.account_id,
        secret=settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=web_audience(settings),
        now=now,
        lifetime=lifetime,
    )
    return token, int(lifetime.total_seconds())


def from_session(session: Session, settings: Settings, token: str) -> Principal:
    """The active account a web session token names."""
    return _from_ours(session, settings, token, web_audience(settings))


def _from_ours(session: Session, settings: Settings, token: str, audience: str) -> Principal:
    try:
        claims = tokens.read(
            token,
            secret=settings.jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            audience=audience,
        )
    except tokens.TokenInvalid:
        raise Unauthenticated from None
    account = session.get(t.Account, claims.account_id)
    if account is None or not account.active:
        raise Unauthenticated
    return _principal(account)


def from_api_key(session: Session, presented: str) -> Principal:
    """The active account an unrevoked API key belongs to."""
    parts = keys.split(presented)
    if parts is None:
        raise Unauthenticated
    key = session.get(t.ApiKey, parts[0])
    if key is None or key.revoked_at is not None or not keys.matches(key.secret_hash, parts[1]):
        raise Unauthenticated
    account = session.get(t.Account, key.account_id)
    if account is None or not account.active:
        raise Unauthenticated
    return _principal(account)


def create_key(session: Session, username: str, now: datetime) -> str:
    """A new API key for ``username``'s account, shown once."""
    account = session.exec(select(t.Account).where(t.Account.username == username)).first()
    if account is None:
        raise NotFound(f"no account {username}", field="username")
    if account.role != "provider":
        raise Invalid("role", "API keys are for provider systems only", field="username")
    made = keys.new_key()
    session.add(
        t.ApiKey(
            id=made.key_id, account_id=account.id, secret_hash=made.secret_hash, created_at=now
        )
    )
    session.flush()
    return made.presented


def revoke_key(session: Session, key_id: str, now: datetime) -> None:
    """Revoke a key (it stays listed, with the time of revocation)."""
    key = session.get(t.ApiKey, key_id)
    if key is None:
        raise NotFound(f"no key {key_id}", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = now
        session.add(key)


def deactivate(session: Session, username: str) -> None:
    """Stop an account from signing in or using its tokens and keys."""
    account = session.exec(select(t.Account).where(t.Account.username == username)).first()
    if account is None:
        raise NotFound(f"no account {username}", field="username")
    account.active = False
    session.add(account)


def listing(session: Session) -> list[t.Account]:
    """Every account (no hashes leave this module's callers' screens)."""
    return list(session.exec(select(t.Account).order_by(col(t.Account.username))))
