"""RFC 9457 problem details: every error names its field and the rule it broke."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, is_dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.service.errors import Conflict, Invalid, NotFound, ServiceError
from matcher.store.crypto import KeysMissing

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
}


def problem(
    status: int, detail: str, *, rule: str | None = None, field: str | None = None, **extra: Any
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": f"https://lead-matcher.invalid/problems/{rule or status}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if rule is not None:
        body["rule"] = rule
    if field is not None:
        body["field"] = field
    for key, value in extra.items():
        body[key] = asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM)


def status_of(error: ServiceError) -> int:
    if error.rule == "unauthenticated":
        return 401
    if error.rule == "forbidden":
        return 403
    if error.rule == "rate_limited":
        return 429
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, Invalid):
        return 422
    return 400


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or ".".join(str(p) for p in loc)


def _methods_of(request: Request) -> list[str]:
    """Every method the schema documents for the requested path."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into problem details."""

    @app.exception_handler(ServiceError)
    async def _service(_request: Request, error: ServiceError) -> JSONResponse:
        status = status_of(error)
        response = problem(status, error.message, rule=error.rule, field=error.field, **error.extra)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if status == 429:
            response.headers["Retry-After"] = str(error.extra.get("retry_after", 60))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_path(tuple(e.get("loc", ()))),
                "rule": e.get("type", "invalid"),
                "message": e.get("msg", ""),
            }
            for e in error.errors()
        ]
        first = errors[0] if errors else {"field": None, "rule": "invalid", "message": "invalid"}
        return problem(
            422,
            f"{first['field']}: {first['message']}",
            rule=str(first["rule"]),
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        response = problem(error.status_code, str(error.detail))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        if error.status_code == 405:  # every method of the path, not only one route's
            response.headers["Allow"] = ", ".join(_methods_of(request))
        return response

    app.add_middleware(Unexpected)


class Unexpected:
    """ASGI middleware answering an unexpected error with a bare 500 problem and
    logging only the error's kind and the route's template (and, for a missing data key,
    its message: where keys come from, no data). The error goes no further:
    the server would log its traceback, whose text (a database error's detail, say) may
    carry participant data. Registered by ``install``; it must be the outermost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            template = getattr(scope.get("route"), "path", None) or "unrouted"
            # A missing data key's message names no participant, only what to fix.
            fix = f": {error}" if isinstance(error, KeysMissing) else ""
            kind = type(error).__name__
            log.error("unexpected %s in %s %s%s", kind, scope["method"], template, fix)
            if not started:
                response = problem(500, "the server could not complete the request")
                await response(scope, receive, send)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    rule: str | None = None
    field: str | None = None


def _described(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "model": Problem,
        "content": {PROBLEM: {"schema": Problem.model_json_schema()}},
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("the body could not be parsed"),
    401: _described("no valid credentials"),
    403: _described("this role may not use this part of the API"),
    404: _described("no such object, or one that belongs to someone else"),
    409: _described("the current state forbids it: capacity, version, status, consent"),
    413: _described("the body is too large"),
    422: _described("invalid input, naming the field and the rule"),
    429: _described("too many requests of this kind this minute"),
}
