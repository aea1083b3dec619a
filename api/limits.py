"""A request-body size limit, enforced while the body streams in (413 beyond it)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Context
from api.problems import problem
from matcher.service.errors import ServiceError
from matcher.store.ratelimit import hit


class BodyTooLarge(Exception):
    """The body went past the limit."""


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` by header or by counting."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the request body must be at most {self.max_bytes} bytes"
        await problem(413, detail, rule="body_too_large")(scope, receive, send)


class RateLimited(ServiceError):
    """429: too many requests of one kind in this minute."""

    rule = "rate_limited"


def check_rate(ctx: Context, key: str, per_minute: int) -> None:
    """Count a request against ``key``'s budget for this minute (shared by workers)."""
    now = ctx.now.timestamp()  # the app's clock: wall time, or a test's fixed clock
    window = int(now // 60)
    count = ctx.count(lambda s: hit(s, key, window))
    if count > per_minute:
        retry = int(60 - now % 60) + 1
        raise RateLimited(
            f"at most {per_minute} of these per minute; try again in {retry} s", retry_after=retry
        )
