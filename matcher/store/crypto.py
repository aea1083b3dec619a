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
    """No data key is configured, or none of those configured opens a stored value; the
    message says where keys come from (never a key)."""


def where_keys_come_from() -> str:
    """Where the process finds its data keys, for an operator to fix a missing one: the
    environment, or the development key file in the working directory."""
    from pathlib import Path

    from matcher.settings import DEV_KEY_FILE

    return (
        "data keys come from MATCHER_DATA_KEYS (comma-separated Fernet keys, the first "
        f"encrypts) or, in development when it is unset, from the file {DEV_KEY_FILE} in "
        f"the working directory ({Path.cwd()}), made there on first use"
    )


def _missing(what: str, fix: str) -> KeysMissing:
    return KeysMissing(f"MATCHER_DATA_KEYS: {what}; {where_keys_come_from()}: {fix}")


class _Ring:
    """The process's key ring, set once from configuration."""

    def __init__(self) -> None:
        self.multi: MultiFernet | None = None

    def configure(self, keys: list[str]) -> None:
        if not keys:
            raise _missing("at least one key is needed", "set at least one key")
        self.multi = MultiFernet([Fernet(k.encode()) for k in keys])

    def get(self) -> MultiFernet:
        if self.multi is None:
            raise _missing(
                "the data keys were not configured",
                "set MATCHER_DATA_KEYS, or configure the keys before reading the store",
            )
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
        raise _missing(
            "no configured key opens this row (it was written with another key)",
            "set MATCHER_DATA_KEYS to the keys the store was written with, or run from the "
            "directory whose key file wrote it",
        ) from None


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
