"""A short memory of checked credentials, so a busy client's every request does not
cost a database transaction to learn what the last one learned.

A token or key checked within ``MATCHER_AUTH_CACHE_SECONDS`` is taken as still
valid: a deactivation or key revocation made through this process's API clears the
memory at once; one made elsewhere (another worker, the command line) takes effect
within that many seconds. Keys are hashes of the credentials, never the
credentials. 0 turns the memory off.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

import jwt

from matcher.service.accounts import Principal

MAX_ENTRIES = 10_000


class CredentialCache:
    """Principal by credential hash, for a few seconds; thread-safe, bounded."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(kind: str, credential: str) -> str:
        return f"{kind}:{hashlib.sha256(credential.encode()).hexdigest()}"

    def get(self, key: str) -> Principal | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if hit[0] < time.monotonic():
                del self._entries[key]
                return None
            return hit[1]

    def put(self, key: str, principal: Principal, valid_for: float | None = None) -> None:
        """Remember ``principal`` for ``seconds``, or less if the credential itself
        expires sooner (``valid_for`` seconds from now)."""
        if self.seconds <= 0:
            return
        seconds = self.seconds if valid_for is None else min(self.seconds, valid_for)
        if seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, principal)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (an account was deactivated or a key revoked)."""
        with self._lock:
            self._entries.clear()


def seconds_left(token: str) -> float | None:
    """How long a token that was just verified stays valid (None: no expiry read)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    expires = claims.get("exp")
    return float(expires) - time.time() if isinstance(expires, int | float) else None
