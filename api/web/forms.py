"""A form refused on the form itself: the problem in plain words beside its field.

A page form that cannot be saved comes back as the same form (422), with every value
typed kept and each problem named in words a person reads ("Age: must be from 0 to
130"), never a field path or a validator's wording ("attributes.age: Input should
be..."), nor an internal id.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.problems import status_of
from api.web.render import PageError
from api.web.words import plain
from matcher.service.errors import ServiceError

LABELS = {
    "neighborhood": "Where you meet them",
    "lat": "Latitude",
    "lon": "Longitude",
    "max_distance_km": "Farthest they can travel",
    "age": "Age",
    "gender": "Gender",
    "household": "Household",
    "languages": "Languages",
    "population": "Populations",
}
"""The form's fields as their labels read."""

FIELD_OF = {
    "attributes.age": "age",
    "attributes.gender": "gender",
    "attributes.household": "household",
    "location": "neighborhood",
    "location.lat": "lat",
    "location.lon": "lon",
    "location.neighborhood": "neighborhood",
    "languages": "languages",
    "max_distance_km": "max_distance_km",
    "attributes.populations": "population",
}
"""The model's or service's field path -> the form field it came from."""


class FormProblem(PageError):
    """A form the page shows again, with ``message`` beside ``field`` (None: the form)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(422, message)
        self.field = field


def labelled(field: str | None, words: str) -> FormProblem:
    """A problem with ``field``'s label in front of ``words`` (when it has one)."""
    label = LABELS.get(field or "")
    return FormProblem(field, f"{label}: {words}" if label else words[:1].upper() + words[1:])


_PYDANTIC_WORDS = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be more than {gt}",
    "less_than": "must be less than {lt}",
    "string_too_long": "must be at most {max_length} characters",
    "too_long": "must have at most {max_length} entries",
    "float_parsing": "must be a number",
    "int_parsing": "must be a whole number",
    "finite_number": "must be a number",
}


def from_validation(error: ValidationError) -> FormProblem:
    """The first problem a model found, in words, at the form field it came from."""
    first = error.errors()[0]
    path = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
    field = FIELD_OF.get(path)
    ctx: dict[str, Any] = {
        k: int(v) if isinstance(v, float) and v.is_integer() else v
        for k, v in (first.get("ctx") or {}).items()
    }
    template = _PYDANTIC_WORDS.get(first["type"])
    if template is not None:
        words = template.format(**ctx)
    else:
        words = str(first["msg"]).removeprefix("Value error, ")
        words = words.removeprefix(f"{path}: ")
    return labelled(field, words)


def from_service(error: ServiceError) -> FormProblem:
    """A service refusal, in words, at the form field it names."""
    field = FIELD_OF.get(error.field or "")
    words = plain(error)
    if error.field:
        words = words.removeprefix(f"{error.field}: ")
    problem = labelled(field, words)
    problem.status = status_of(error)
    return problem
