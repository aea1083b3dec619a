"""Every request that reaches a router is recorded: who, what, which object, outcome.

The record holds ids and the route's template, never bodies or query values, so no
participant attribute reaches the log. It is written after the response is decided,
so a refused request is recorded too: by default in a transaction of its own before
the response is finished; with ``MATCHER_AUDIT_FLUSH_SECONDS`` above 0, records are
queued and written together that often (and at shutdown), which spares each request
a transaction at the price of losing the last moments' records if the process dies.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

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
    ("intake_id", "intake"),
    ("participant_id", "participant"),
    ("program_id", "program"),
    ("case_manager_id", "case_load"),
    ("organization_id", "organization"),
)


def outcome_of(status: int) -> str:
    if status < 400:
        return "allowed"
    return {401: "unauthenticated", 403: "denied", 404: "not_found", 409: "conflict"}.get(
        status, "invalid" if status < 500 else "error"
    )


class AuditLog:
    """ASGI middleware writing one audit record per routed request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in SKIP or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            entry = self._entry(scope, status)
            sink: AuditSink = scope["app"].state.audit
            if sink.batching:
                sink.queue(entry)
            else:
                await to_thread.run_sync(sink.write, [entry])

    def _entry(self, scope: Scope, status: int) -> audit.Entry:
        app = scope["app"]
        route = scope.get("route")
        template = getattr(route, "path", None) or "unrouted"
        params = scope.get("path_params") or {}
        object_type, object_id = "collection", None
        for name, kind in OBJECT_PARAMS:
            if name in params:
                object_type, object_id = kind, str(params[name])[:200]
                break
        state = scope.get("state") or {}
        principal = state.get("principal")
        return audit.Entry(
            at=app.state.clock(),
            actor=principal.account_id if principal else "anonymous",
            role=principal.role if principal else "none",
            action=f"{scope['method']} {template}"[:200],
            object_type=object_type,
            object_id=object_id,
            outcome=outcome_of(status),
            status=status,
        )


class AuditSink:
    """Where records go: straight into the store, or queued and written in batches."""

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
