"""Trusting an outside identity provider (OIDC): its signed tokens, checked against its
published keys, with issuer and audience from configuration and asymmetric
algorithms only. The token names a local account (by ``preferred_username`` or a
configured claim); the role and data scope still come from that account, so the
identity provider proves who someone is and this system decides what they may see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from matcher.security.tokens import TokenInvalid

ALGORITHMS = ["RS256", "ES256"]


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    audience: str
    username_claim: str
    jwks_url: str | None = None
    jwks: str | None = None


@lru_cache(maxsize=4)
def _client(url: str) -> PyJWKClient:
    return PyJWKClient(url, cache_keys=True, lifespan=3600)


def _key(config: OidcConfig, token: str) -> PyJWK:
    if config.jwks is not None:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = PyJWKSet.from_dict(json.loads(config.jwks)).keys
        for key in keys:
            if kid is None or key.key_id == kid:
                return key
        raise TokenInvalid("no key for this token")
    if config.jwks_url is None:
        raise TokenInvalid("no JWKS configured")
    return _client(config.jwks_url).get_signing_key_from_jwt(token)


def is_asymmetric(token: str) -> bool:
    """Whether a token is signed with an OIDC-style asymmetric algorithm."""
    try:
        return jwt.get_unverified_header(token).get("alg") in ALGORITHMS
    except jwt.PyJWTError:
        return False


def username(config: OidcConfig, token: str) -> str:
    """The local username a valid OIDC token names; ``TokenInvalid`` otherwise."""
    try:
        key = _key(config, token)
        claims = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=config.audience,
            issuer=config.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        raise TokenInvalid(str(error)) from None
    name = claims.get(config.username_claim)
    if not isinstance(name, str) or not name:
        raise TokenInvalid(f"no {config.username_claim} claim")
    return name
