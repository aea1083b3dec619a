"""``Idempotency-Key``: a retried request gets the first answer instead of acting twice.

The key, a hash of the request and the response are stored in the same transaction as
the change itself, so every worker process sees them and a crash leaves neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.deps import Context
from matcher.service.errors import Conflict, Invalid
from matcher.store.tables import IdempotencyRecord

MAX_KEY = 200
M = TypeVar("M", bound=BaseModel)

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=MAX_KEY,
        description="Any unique string (at most 200 characters): a retry with the same key "
        "and body gets the first answer (with Idempotent-Replayed: true) instead of acting "
        "twice; the same key with another body is refused (409)",
    ),
]


def request_hash(scope: str, payload: BaseModel, extra: str = "") -> str:
    """A digest of what the request asks for."""
    data = json.dumps([scope, payload.model_dump(mode="json"), extra], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def once(
    ctx: Context, key: str | None, scope: str, digest: str, act: Callable[[Session], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Run ``act`` once per key; returns the body and whether it was replayed."""
    if key is None:
        return ctx.run(act), False
    if not 0 < len(key) <= MAX_KEY:
        raise Invalid(
            "length", f"Idempotency-Key must be 1 to {MAX_KEY} characters", field="Idempotency-Key"
        )
    full = f"{scope}:{key}"

    def first_or_replay(session: Session) -> tuple[dict[str, Any], bool]:
        seen = session.get(IdempotencyRecord, full)
        if seen is not None:
            if seen.request_hash != digest:
                raise Conflict(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request",
                    field="Idempotency-Key",
                )
            return seen.body, True
        # Claim the key before acting: a concurrent twin waits on it (PostgreSQL) or on
        # the write lock (SQLite), then finds the record and replays.
        record = IdempotencyRecord(
            key=full, request_hash=digest, status_code=0, body={}, created_at=ctx.now
        )
        session.add(record)
        session.flush()
        body = act(session)
        record.status_code, record.body = 200, body
        session.add(record)
        session.flush()
        return body, False

    try:
        return ctx.run(first_or_replay)
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        return ctx.run(first_or_replay)


def create_once(
    ctx: Context,
    response: Response,
    key: str | None,
    scope: str,
    body: BaseModel,
    out: type[M],
    act: Callable[[Session], M],
) -> M:
    """A creating POST run at most once per ``Idempotency-Key``: ``act`` makes the object
    and its answer in one transaction; a replay gets the stored answer back."""
    data, replayed = once(
        ctx, key, scope, request_hash(scope, body), lambda s: act(s).model_dump(mode="json")
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return out.model_validate(data)
