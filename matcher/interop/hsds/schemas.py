"""The vendored HSDS 3.1 JSON Schemas, as validators.

The per-object schemas in ``data/vendor/hsds-3.1/schema`` refer to one another by file
name (``"$ref": "unit.json"``). They are registered with ``referencing`` under one base
URI so those references resolve offline, against the vendored files only. A tabular
(CSV) row is checked against the same object schema cut down to its one-to-one fields,
with the schema's ``tabular_required`` fields (the parent ids a nested JSON object does
not need) added to ``required``.

Formats are checked for ``date-time`` only: feeds in the field often use ids that are
not UUIDs, and HSDS tools accept them; a time that cannot be read is an error.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from matcher.paths import DATA

SCHEMA_DIR = DATA / "vendor" / "hsds-3.1" / "schema"
BASE_URI = "https://lead-matcher.invalid/hsds/3.1/schema/"
HSDS_VERSION = "3.1"

Json = dict[str, Any]


def parse_datetime(value: str) -> datetime:
    """An ISO 8601 / RFC 3339 date-time (``Z`` accepted); raises ``ValueError``."""
    text = value.strip()
    if "T" not in text and " " not in text:
        raise ValueError("a date-time needs a time")
    return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parse_datetime(value)
    except ValueError:
        return False
    return True


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(_is_datetime)


@cache
def object_schema(name: str) -> Json:
    """The vendored schema of one HSDS object (``service``, ``unit``, ...)."""
    data: Json = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


@cache
def registry() -> Registry[Any]:
    """Every per-object schema and the compiled ones, under ``BASE_URI``."""
    resources: list[tuple[str, Resource[Any]]] = []
    for path in sorted([*SCHEMA_DIR.glob("*.json"), *(SCHEMA_DIR / "compiled").glob("*.json")]):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text(encoding="utf-8"))
        relative = path.relative_to(SCHEMA_DIR).as_posix()
        resources.append((BASE_URI + relative, DRAFT202012.create_resource(contents)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Validator:
    """A validator for the object ``name`` (or ``compiled/...``), references resolved."""
    schema = {"$ref": BASE_URI + (name if name.endswith(".json") else f"{name}.json")}
    return Draft202012Validator(schema, registry=registry(), format_checker=FORMATS)


def is_scalar(spec: Json) -> bool:
    """Whether a property holds one value (a CSV column), not an object or a list."""
    return "$ref" not in spec and spec.get("type") not in ("array", "object")


@cache
def tabular_schema(name: str) -> Json:
    """The schema of one CSV row of table ``name``: one-to-one fields, tabular ids."""
    full = object_schema(name)
    properties = {k: v for k, v in full["properties"].items() if is_scalar(v)}
    required = [k for k in full.get("required", []) if k in properties]
    required += [k for k in full.get("tabular_required", []) if k in properties]
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(set(required)),
    }


@cache
def tabular_validator(name: str) -> Validator:
    """A validator for one CSV row of table ``name``."""
    return Draft202012Validator(tabular_schema(name), format_checker=FORMATS)


def csv_path(name: str) -> str:
    """The file a table lives in, in a datapackage (``services.csv`` for ``service``)."""
    path: str = object_schema(name)["path"]
    return path


def openapi() -> Json:
    """The vendored HSDS OpenAPI document."""
    data: Json = json.loads((SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8"))
    return data


def schema_file(name: str) -> Path:
    """The vendored file of one object's schema."""
    return SCHEMA_DIR / f"{name}.json"
