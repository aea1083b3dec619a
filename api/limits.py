"""A request-body size limit, enforced while the body streams in (413 beyond it)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Context
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
            await self._refuse(send)
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
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body: dict[str, Any] = {
            "type": "https://lead-matcher.invalid/problems/body_too_large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"the request body must be at most {self.max_bytes} bytes",
            "rule": "body_too_large",
        }
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


class RateLimited(ServiceError):
    """429: too many requests of one kind in this minute."""

    rule = "rate_limited"


def check_rate(ctx: Context, key: str, per_minute: int) -> None:
    """Count a request against ``key``'s budget for this minute (shared by workers)."""
    now = ctx.now.timestamp()  # the app's clock: wall time, or a test's fixed clock
    window = int(now // 60)
    count = ctx.run(lambda s: hit(s, key, window))
    if count > per_minute:
        retry = int(60 - now % 60) + 1
        raise RateLimited(
            f"at most {per_minute} of these per minute; try again in {retry} s", retry_after=retry
        )
