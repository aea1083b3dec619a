"""API keys for provider systems: long random secrets, stored only as SHA-256 hashes.

A key looks like ``lmk_<id>_<secret>``: the id finds the stored row, the secret is
compared with ``hmac.compare_digest`` on its hash. A slow password hash is not needed:
the secret has 256 random bits, so a stolen hash cannot be guessed back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "lmk"


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key as shown once to its owner, and what is stored."""

    key_id: str
    secret_hash: str
    presented: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> NewKey:
    """A fresh key."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, digest(secret), f"{PREFIX}_{key_id}_{secret}")


def split(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a presented key, or None if it is not shaped like one."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(stored_hash: str, secret: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(stored_hash, digest(secret))
