"""Accounts, sign-in, access tokens and API keys; who a request comes from."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from matcher.security import keys, oidc, passwords, tokens
from matcher.service import audit
from matcher.service.audit import note
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.settings import Settings
from matcher.store import tables as t

SUBJECT_ROLES = {"case_manager", "provider"}
RESERVED = {audit.SYSTEM, "anonymous"}
"""Names the audit log uses for actors that are no account."""


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


EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{1,63}")
"""A plausible e-mail address (the SMTP server has the last word)."""


def create_account(
    session: Session,
    *,
    username: str,
    role: str,
    password: str | None,
    subject_id: str | None,
    now: datetime,
    email: str | None = None,
) -> Principal:
    """A new account. Case managers and providers need the id of whose data they see;
    ``email``, where notifications are mailed, is optional."""
    if email is not None and not EMAIL.fullmatch(email):
        raise Invalid("email", "email must look like name@example.org", field="email")
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
    if username in RESERVED:
        raise Conflict("duplicate", f"username {username} is taken", field="username")
    note(session, "account.create")
    if session.exec(select(t.Account.id).where(t.Account.username == username)).first():
        raise Conflict("duplicate", f"username {username} is taken", field="username")
    if role == "case_manager" and subject_id is not None:
        _refuse_occupied(session, subject_id)
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
        email=email,
    )
    session.add(account)
    _flush_unique(session, subject_id)
    return _principal(account)


def _case_manager_on(session: Session, case_load: str, *, lock: bool = False) -> t.Account | None:
    """The active case manager account working on ``case_load``, if any."""
    query = select(t.Account).where(
        t.Account.role == "case_manager", t.Account.subject_id == case_load, t.Account.active
    )
    return session.exec(query.with_for_update() if lock else query).first()


def _refuse_occupied(session: Session, case_load: str) -> None:
    if _case_manager_on(session, case_load) is not None:
        raise Conflict(
            "case_load_taken",
            f"case load {case_load} already has an active case manager; move it instead",
            field="subject_id",
        )


def _flush_unique(session: Session, case_load: str | None) -> None:
    """Flush; a unique index refusing the row (a name or case load taken at the same
    moment by another request) is a 409, like the checks made before."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "duplicate",
            "the username or the case load was taken at the same moment",
            field="username" if case_load is None else "subject_id",
        ) from None


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
    """Stop an account from signing in or using its tokens and keys. The last active
    admin cannot be stopped (409): nobody could manage accounts any more. The active
    admins' rows are locked first, so two admins stopping each other at once cannot
    both succeed."""
    note(session, "account.deactivate")
    account = session.exec(select(t.Account).where(t.Account.username == username)).first()
    if account is None:
        raise NotFound(f"no account {username}", field="username")
    if account.role == "admin" and account.active:
        admins = session.exec(
            select(t.Account.id)
            .where(t.Account.role == "admin", t.Account.active)
            .order_by(col(t.Account.id))
            .with_for_update()
        ).all()
        if set(admins) <= {account.id}:
            raise Conflict("last_admin", "the last active admin cannot be deactivated")
    account.active = False
    session.add(account)


@dataclass(frozen=True, slots=True)
class Move:
    """A case load moved: from which account (None: it had nobody) to which."""

    case_load: str
    from_username: str | None
    to_username: str
    reason: str
    moved_by: str
    at: datetime


def move_case_load(
    session: Session, case_load: str, *, to_username: str, reason: str, by: str, now: datetime
) -> Move:
    """Give ``case_load`` to the case manager account ``to_username``, with a reason
    kept beside the audit record. An account works on one case load: the account that
    had this one is deactivated, and the receiving account leaves its previous one
    (which then has nobody until it is moved on) and is active again if it was not."""
    note(session, "case_load.move")
    reason = reason.strip()
    if not reason:
        raise Invalid("too_short", "say why the case load moves", field="reason")
    if len(reason) > 500:
        raise Invalid("too_long", "the reason is at most 500 characters", field="reason")
    target = session.exec(
        select(t.Account).where(t.Account.username == to_username).with_for_update()
    ).first()
    if target is None:
        raise NotFound(f"no account {to_username}", field="to_username")
    if target.role != "case_manager":
        raise Invalid("role", "a case load moves only to a case manager", field="to_username")
    previous = _case_manager_on(session, case_load, lock=True)
    if previous is not None and previous.id == target.id:
        raise Conflict("unchanged", f"{to_username} already has case load {case_load}")
    if previous is not None:
        previous.active = False
        session.add(previous)
        session.flush()
    target.subject_id = case_load
    target.active = True
    session.add(target)
    _flush_unique(session, case_load)
    move = t.CaseLoadMove(
        case_load=case_load,
        from_username=previous.username if previous is not None else None,
        to_username=to_username,
        reason=reason,
        moved_by=by,
        at=now,
    )
    session.add(move)
    session.flush()
    return Move(case_load, move.from_username, to_username, reason, by, now)


def moves(session: Session, case_load: str) -> list[Move]:
    """A case load's moves, oldest first."""
    rows = session.exec(
        select(t.CaseLoadMove)
        .where(t.CaseLoadMove.case_load == case_load)
        .order_by(col(t.CaseLoadMove.id))
    )
    return [
        Move(r.case_load, r.from_username, r.to_username, r.reason, r.moved_by, r.at) for r in rows
    ]


def listing(session: Session) -> list[t.Account]:
    """Every account (no hashes leave this module's callers' screens)."""
    return list(session.exec(select(t.Account).order_by(col(t.Account.username))))


def names_of(session: Session, actors: set[str]) -> dict[str, str]:
    """What people call each actor a history records: an account id or a case load's
    id becomes its account's username, the service itself "automatic"; anything else
    (a username already) is left as it is."""
    names = {a: a for a in actors}
    if audit.SYSTEM in names:
        names[audit.SYSTEM] = "automatic"
    wanted = list(actors - {audit.SYSTEM})
    if not wanted:
        return names
    rows = session.exec(
        select(t.Account).where(
            col(t.Account.id).in_(wanted)
            | (col(t.Account.subject_id).in_(wanted) & (t.Account.role == "case_manager"))
        )
    )
    for account in sorted(rows, key=lambda a: not a.active):  # an active account wins
        key = account.id if account.id in names else account.subject_id
        if key is not None and names[key] == key:
            names[key] = account.username
    return names
