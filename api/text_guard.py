"""Refuse text the store cannot hold before any route sees it, naming where it was.

PostgreSQL refuses a NUL character in text, and a lone UTF-16 surrogate has no UTF-8
form, so the database driver cannot send it: either used to end as a server error
deep in a handler. This middleware checks every string a request carries (the path,
the query, the headers and a JSON or form body, keys and values) with the same rules
as the command line (``matcher.inputs``) and answers 422 problem details naming the
field and the rule. A query parameter given twice is refused too (every one is a
single value), and headers longer than ``MAX_HEADER`` characters (400).
A clean body is passed on unchanged; the common case costs one scan of the bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem
from matcher.inputs import TEXT_RULES, first_text_fault, shown, text_fault

MAX_HEADER = 8_192
# A NUL byte, or a NUL or UTF-16 surrogate written as a JSON escape: only then is the
# body decoded to find the field (a surrogate pair is fine, a lone one is not).
_SUSPECT = re.compile(rb"\x00|\\u(?:0000|[dD][89a-fA-F])")


def _body_fault(body: bytes, content_type: str) -> tuple[str, str] | None:
    """The field and rule of the first bad string in a body, or None."""
    if "json" in content_type:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:  # JSON travels as UTF-8 (RFC 8259); the parser would
            return "body", "encoding"  # otherwise read an encoded surrogate as a string
        if _SUSPECT.search(body) is None:
            return None
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None  # malformed: the route's own parser says so
        return first_text_fault(data)
    if "x-www-form-urlencoded" in content_type and (b"%00" in body or b"\x00" in body):
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            for text in (name, value):
                rule = text_fault(text)
                if rule is not None:
                    return shown(name), rule
    return None


def _scope_fault(scope: Scope) -> tuple[int, str, str] | None:
    """Status, field and rule of the first bad path, query or header value, or None."""
    rule = text_fault(scope["path"])
    if rule is not None:
        return 422, "path", rule
    query = scope.get("query_string", b"").decode("latin-1")
    seen: set[str] = set()
    for name, value in parse_qsl(query, keep_blank_values=True):
        for text in (name, value):
            rule = text_fault(text)
            if rule is not None:
                return 422, shown(name), rule
        if name in seen:  # every query parameter is one value: a second is not ignored
            return 422, name, "repeated_parameter"
        seen.add(name)
    for name, value in scope.get("headers") or []:
        header = name.decode("latin-1")
        if len(value) > MAX_HEADER:
            return 400, header, "header_too_long"
        if b"\x00" in value:
            return 422, header, "nul_character"
    return None


MESSAGES = {
    **TEXT_RULES,
    "encoding": "must be UTF-8 text",
    "repeated_parameter": "must be given once",
    "header_too_long": f"must be at most {MAX_HEADER} characters",
}


def _refusal(status: int, field: str, rule: str) -> JSONResponse:
    message = MESSAGES[rule]
    return problem(status, f"{field}: {message}", rule=rule, field=field)


class TextGuard:
    """ASGI middleware: 422 for a NUL or lone surrogate anywhere in a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault = _scope_fault(scope)
        if fault is not None:
            await _refusal(*fault)(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE") or not content_type:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        found = _body_fault(body, content_type)
        if found is not None:
            await _refusal(422, *found)(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


NO_NUL = "^[^\\u0000]*$"


def document_text_rules(schema: dict[str, Any]) -> dict[str, Any]:
    """Say in an OpenAPI document what the middleware enforces: every string without a
    pattern, format or enumeration of its own gets ``NO_NUL`` as its pattern, and so
    does every object's property names (and the values of properties an object
    ignores). And a
    header or query parameter is never ``null`` on the wire (absent is how it is left
    out), so its schema does not offer ``null``."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                options = parameter.get("schema", {}).get("anyOf")
                if options and {"type": "null"} in options:
                    rest = [o for o in options if o != {"type": "null"}]
                    if len(rest) == 1:
                        parameter["schema"].pop("anyOf")
                        parameter["schema"].update(rest[0])
                    else:
                        parameter["schema"]["anyOf"] = rest
    any_value = {"$ref": "#/components/schemas/AnyCleanValue"}
    schema.setdefault("components", {}).setdefault("schemas", {})["AnyCleanValue"] = {
        "description": "any JSON value whose strings and keys hold no NUL",
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": any_value},
            {"type": "object", "additionalProperties": any_value},
        ],
    }
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            plain = not {"pattern", "format", "enum", "const"} & node.keys()
            if node.get("type") == "string" and plain:
                node["pattern"] = NO_NUL
            if node.get("type") == "object" and "propertyNames" not in node:
                node["propertyNames"] = {"pattern": NO_NUL}
                node.setdefault("additionalProperties", any_value)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return schema
