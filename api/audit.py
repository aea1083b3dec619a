"""Every request that reaches a router is recorded: who, what, which objects, outcome.

The record holds ids, the action in words and the route's template, never bodies or
query values, so no participant attribute reaches the log. Three paths, one rule
(nothing done or shown without its record):

- a unit of work that changes the store writes its record in its own transaction
  (``api.deps.Context.run``): the change and its record commit together or neither;
- everything else (reads, refusals, failures) is recorded by this middleware when the
  response starts, before any of it leaves: if that record cannot be written, the
  client gets a 500 instead of the answer;
- with ``MATCHER_AUDIT_FLUSH_SECONDS`` above 0, records of *refused* requests (status
  400 and above, nothing changed, nothing shown) are queued and written together that
  often and at shutdown; a crash loses only those. Writes and reads are never queued.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

import anyio
from anyio import to_thread
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.service import audit
from matcher.store.engine import session_scope

log = logging.getLogger(__name__)

SKIP = ("/health", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc")
OBJECT_PARAMS = (
    ("referral_id", "referral"),
    ("consent_id", "consent"),
    ("intake_id", "intake"),
    ("participant_id", "participant"),
    ("program_id", "program"),
    ("case_manager_id", "case_load"),
    ("organization_id", "organization"),
)
NOTED_OBJECTS = ("participant_id", "program_id", "referral_id")
IRREGULAR = {"matches": "match"}
NOT_COLLECTIONS = {"details", "hsds", "trends", "status"}  # plural-looking, one thing
VERBS = {"GET": "read", "PUT": "update", "PATCH": "update", "DELETE": "delete", "POST": "create"}
AUDITED = "audited"
NOTE = "audit_note"
_WORD = re.compile(r"[a-z_]{1,40}")


def outcome_of(status: int) -> str:
    if status < 400:
        return "allowed"
    return {401: "unauthenticated", 403: "denied", 404: "not_found", 409: "conflict"}.get(
        status, "invalid" if status < 500 else "error"
    )


def _word(segment: str) -> str:
    return segment.replace("-", "_").lower()


def _collection(segment: str) -> bool:
    word = _word(segment)
    return word.endswith("s") and not word.endswith("ss") and word not in NOT_COLLECTIONS


def _singular(segment: str) -> str:
    word = _word(segment)
    if word in IRREGULAR:
        return IRREGULAR[word]
    if not _collection(word):
        return word
    return word[:-3] + "y" if word.endswith("ies") else word[:-1]


def action_of(method: str, template: str, params: Mapping[str, Any]) -> str:
    """The action in words, from the route: ``POST .../referrals/{referral_id}/confirm``
    is ``referral.confirm``, ``GET .../participants/{participant_id}`` is
    ``participant.read``, ``POST .../participants`` is ``participant.create``. A
    ``{action}`` segment is replaced by its value (one word, else ``unknown``)."""
    segments = [s for s in template.strip("/").split("/") if s]
    if segments and segments[-1] == "{action}":
        value = str(params.get("action", ""))
        segments[-1] = value if _WORD.fullmatch(value) else "unknown"
    verb = VERBS.get(method, method.lower())
    if not segments:
        return f"app.{verb}"
    last = segments[-1]
    if last.startswith("{"):  # one object: .../participants/{participant_id}
        owner = _singular(segments[-2]) if len(segments) > 1 else "object"
        return f"{owner}.{verb}"
    before = segments[-3:-1]  # .../referrals/{referral_id}/confirm, or /funders/fund
    owner = ""
    if before:
        owner = _singular(before[0] if before[-1].startswith("{") else before[-1])
    if _collection(last):
        return f"{_singular(last)}.{'list' if method == 'GET' else verb}"
    if method == "POST":
        return f"{owner}.{_word(last)}" if owner else f"{_word(last)}.do"
    return f"{owner}.{_word(last)}.{verb}" if owner else f"{_word(last)}.{verb}"


def entry_of(scope: Scope, status: int, note: Mapping[str, Any] | None = None) -> audit.Entry:
    """The record of the request in ``scope`` answered with ``status``; a use case's
    ``note`` (``matcher.service.audit.note``) names the action and objects."""
    app = scope["app"]
    method = str(scope.get("method", ""))
    route = scope.get("route")
    template = getattr(route, "path", None) or "unrouted"
    params = scope.get("path_params") or {}
    object_type, object_id = "collection", None
    for name, kind in OBJECT_PARAMS:
        if name in params:
            object_type, object_id = kind, str(params[name])[:200]
            break
    objects = {name: params.get(name) for name in NOTED_OBJECTS}
    action = action_of(method, template, params) if route is not None else "unrouted"
    if note:
        action = str(note.get("action") or action)
        objects.update({k: note[k] for k in NOTED_OBJECTS if note.get(k) is not None})
    state = scope.get("state") or {}
    principal = state.get("principal")
    return audit.Entry(
        at=app.state.clock(),
        actor=principal.account_id if principal else "anonymous",
        role=principal.role if principal else "none",
        action=action[:200],
        object_type=object_type,
        object_id=object_id,
        outcome=outcome_of(status),
        status=status,
        username=principal.username if principal else None,
        route=f"{method} {template}"[:300],
        **{k: (str(v)[:200] if v is not None else None) for k, v in objects.items()},
    )


class AuditLog:
    """ASGI middleware recording each routed request before its response leaves,
    unless its unit of work already recorded it in the same transaction."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in SKIP or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        started = withheld = False

        async def watch(message: Message) -> None:
            nonlocal started, withheld
            if withheld:
                return  # the answer whose record failed is never sent
            if message["type"] == "http.response.start":
                started = True
                try:
                    await self._record(scope, int(message["status"]))
                except Exception as error:
                    log.error("audit record failed: %s", type(error).__name__)
                    withheld = True
                    await _internal_error(send)
                    return
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if not started:
                try:
                    await self._record(scope, 500)
                except Exception as error:
                    log.error("audit record failed: %s", type(error).__name__)
            raise

    async def _record(self, scope: Scope, status: int) -> None:
        state = scope.get("state") or {}
        if state.get(AUDITED) and status < 400:
            return  # written with the change it records
        entry = entry_of(scope, status, state.get(NOTE))
        sink: AuditSink = scope["app"].state.audit
        if sink.batching and status >= 400:
            sink.queue(entry)
        else:
            await to_thread.run_sync(sink.write, [entry])


async def _internal_error(send: Send) -> None:
    from api.problems import problem

    response = problem(500, "the server could not complete the request")
    await send({"type": "http.response.start", "status": 500, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class AuditSink:
    """Where records go: straight into the store, or (refusals only) queued and
    written in batches."""

    def __init__(self, engine: Engine, flush_seconds: float) -> None:
        self.engine = engine
        self.flush_seconds = flush_seconds
        self._queue: deque[audit.Entry] = deque()
        self._writing = threading.Lock()

    @property
    def batching(self) -> bool:
        return self.flush_seconds > 0

    def queue(self, entry: audit.Entry) -> None:
        self._queue.append(entry)

    def write(self, entries: list[audit.Entry]) -> None:
        """Write ``entries`` in one transaction."""
        if entries:
            with session_scope(self.engine) as session:
                audit.record_many(session, entries)

    def flush(self) -> int:
        """Write everything queued so far; how many records. A failed write puts the
        records back at the front, to be tried again."""
        with self._writing:
            batch = [self._queue.popleft() for _ in range(len(self._queue))]
            try:
                self.write(batch)
            except Exception:
                self._queue.extendleft(reversed(batch))
                raise
            return len(batch)

    async def run(self) -> None:
        """Flush every ``flush_seconds`` until cancelled (then the lifespan flushes)."""
        while True:
            await anyio.sleep(self.flush_seconds)
            try:
                await to_thread.run_sync(self.flush)
            except Exception as error:
                log.error("audit flush failed: %s", type(error).__name__)
