"""Every request that reaches a router is recorded: who, what, which object, outcome.

The record holds ids and the route's template, never bodies or query values, so no
participant attribute reaches the log. It is written in a transaction of its own
after the response is decided, so a refused request is recorded too.
"""

from __future__ import annotations

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.service import audit
from matcher.store.engine import session_scope

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
            await to_thread.run_sync(self._record, scope, status)

    def _record(self, scope: Scope, status: int) -> None:
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
        entry = audit.Entry(
            at=app.state.clock(),
            actor=principal.account_id if principal else "anonymous",
            role=principal.role if principal else "none",
            action=f"{scope['method']} {template}"[:200],
            object_type=object_type,
            object_id=object_id,
            outcome=outcome_of(status),
            status=status,
        )
        with session_scope(app.state.engine) as session:
            audit.record(session, entry)
