"""Sensitive participant fields encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The keys come from configuration (``MATCHER_DATA_KEYS``: comma-separated Fernet keys,
the first one encrypts, all of them decrypt), never from the database or the
repository. Rotating means putting a new key first, running ``matcher rotate-keys``
(every row re-encrypted with it), then dropping the old key.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class KeysMissing(RuntimeError):
    """No data key is configured."""


class _Ring:
    """The process's key ring, set once from configuration."""

    def __init__(self) -> None:
        self.multi: MultiFernet | None = None

    def configure(self, keys: list[str]) -> None:
        if not keys:
            raise KeysMissing("MATCHER_DATA_KEYS: at least one key is needed")
        self.multi = MultiFernet([Fernet(k.encode()) for k in keys])

    def get(self) -> MultiFernet:
        if self.multi is None:
            raise KeysMissing("MATCHER_DATA_KEYS: the data keys were not configured")
        return self.multi


RING = _Ring()


def new_key() -> str:
    """A fresh data key."""
    return Fernet.generate_key().decode()


def encrypt(value: Any) -> str:
    return RING.get().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt(token: str) -> Any:
    try:
        return json.loads(RING.get().decrypt(token.encode()))
    except InvalidToken:
        raise KeysMissing("MATCHER_DATA_KEYS: no configured key opens this row") from None


def rotate(token: str) -> str:
    """The same value under the first key."""
    return RING.get().rotate(token.encode()).decode()


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as a Fernet token: a raw SELECT shows no plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else decrypt(str(value))
