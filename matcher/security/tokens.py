"""Short-lived access tokens: JWT signed with HS256, the algorithm pinned on reading,
and issuer, audience and expiry always checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Claims:
    """What a valid token says: whose account it is."""

    account_id: str


class TokenInvalid(Exception):
    """Expired, tampered, wrongly signed, for another audience or issuer: all alike."""


def issue(
    account_id: str, *, secret: str, issuer: str, audience: str, now: datetime, lifetime: timedelta
) -> str:
    """A signed token for ``account_id`` that expires after ``lifetime``."""
    claims = {
        "sub": account_id,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read(token: str, *, secret: str, issuer: str, audience: str) -> Claims:
    """The claims of a valid token; ``TokenInvalid`` for anything else."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise TokenInvalid(str(error)) from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenInvalid("no subject")
    return Claims(subject)
