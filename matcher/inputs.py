"""Reading and writing what users hand the engine, without crashing on what they hand it.

Text the store cannot hold is refused at every edge with the same rule names: a NUL
character (PostgreSQL refuses it in text) and a lone UTF-16 surrogate (it has no
UTF-8 form, so neither the database driver nor a JSON file can carry it). Files are
read as strict UTF-8, JSON is parsed with a bound on nesting, and files are written
whole or not at all. Every refusal is an ``InputInvalid`` naming where and why, which
the command line turns into exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from matcher.errors import MatcherError

MAX_DEPTH = 200
"""Deepest nesting of JSON arrays and objects accepted (real inputs need fewer than 10)."""


class InputInvalid(MatcherError):
    """Input that cannot be read: ``where`` (a file, a JSON path) and what is wrong."""

    def __init__(self, where: str, rule: str, message: str) -> None:
        self.where = where
        self.rule = rule
        self.message = message
        super().__init__(f"{where}: {message}")


TEXT_RULES = {
    "nul_character": "must not contain a NUL character",
    "lone_surrogate": "must not contain a lone UTF-16 surrogate (not valid Unicode)",
}


def text_fault(value: str) -> str | None:
    """The rule a string breaks (``nul_character``, ``lone_surrogate``), or None."""
    if "\x00" in value:
        return "nul_character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "lone_surrogate"
    return None


def _walk(data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every key and string in decoded JSON with its path, depth first (no recursion,
    so no nesting exhausts the stack)."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            items = [((*path, str(k)), v) for k, v in value.items()]
            for key_path, _ in items:
                yield key_path, str(key_path[-1])
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, i), v) for i, v in enumerate(value)]))


def shown(text: str) -> str:
    """``text`` safe to print or send back: a NUL or lone surrogate written as an escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def json_path(parts: tuple[str | int, ...]) -> str:
    """``('needs', 0, 'id')`` -> ``needs[0].id`` (keys shown safely)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{shown(part)}" if out else shown(part))
    return out or "$"


def first_text_fault(data: Any) -> tuple[str, str] | None:
    """The JSON path and rule of the first key or string in ``data`` that breaks a text
    rule, or None when every string is clean."""
    for path, value in _walk(data):
        rule = text_fault(value)
        if rule is not None:
            return json_path(path), rule
    return None


def check_json_text(data: Any, where: str = "") -> None:
    """Refuse decoded JSON holding a string the store cannot keep."""
    fault = first_text_fault(data)
    if fault is not None:
        path, rule = fault
        raise InputInvalid(f"{where}{path}" if where else path, rule, TEXT_RULES[rule])


def decode_utf8(raw: bytes, where: str) -> str:
    """``raw`` as UTF-8 (a leading byte-order mark is dropped); anything else is refused."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputInvalid(
            where,
            "encoding",
            f"is not UTF-8 text (byte {error.start} is {raw[error.start : error.start + 1]!r});"
            " save it as UTF-8",
        ) from None


def read_text(source: str | Path) -> str:
    """A file's text (``-``: standard input), strictly UTF-8 (``OSError`` when unreadable)."""
    if str(source) == "-":
        return decode_utf8(sys.stdin.buffer.read(), "stdin")
    return decode_utf8(Path(source).read_bytes(), str(source))


def loads_json(text: str, where: str = "$", **options: Any) -> Any:
    """Parse JSON text; too deep, malformed or holding NaN/Infinity is refused."""
    if _depth_exceeds(text, MAX_DEPTH):
        raise InputInvalid(where, "too_deep", f"nests arrays or objects deeper than {MAX_DEPTH}")
    options.setdefault("parse_constant", _reject_constant)
    try:
        return json.loads(text, **options)
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise InputInvalid(where, "too_deep", "nests too deeply") from None
    except ValueError as error:
        raise InputInvalid(where, "json", f"not valid JSON: {error}") from None


def read_json(source: str | Path) -> Any:
    """A JSON file (``-``: standard input) with every string clean."""
    data = loads_json(read_text(source), str(source))
    check_json_text(data, f"{source}: ")
    return data


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (a cheap pre-scan, so
    the recursive parser never meets a document that would exhaust the stack)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, then
    renamed over it. Text that cannot be encoded is refused before anything is made."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputInvalid(
            str(path), "lone_surrogate", f"output would hold invalid Unicode ({error.reason})"
        ) from None
    write_bytes_atomic(path, lambda handle: handle.write(data))


def write_bytes_atomic(path: Path, fill: Callable[[Any], object]) -> None:
    """Run ``fill`` on a binary temporary file beside ``path``; on success rename it over
    ``path``, on failure remove it (so no partial or empty file is left)."""
    directory = path.parent if str(path.parent) else Path(".")
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed or removed
        "wb", dir=directory, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            fill(handle)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
