"""What a use case can refuse, each naming the field or rule involved."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base: a request the service refuses; nothing was written."""

    rule: str = "error"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class NotFound(ServiceError):
    """No such object (or none that this caller may see: both answer the same)."""

    rule = "not_found"


class Conflict(ServiceError):
    """The request is valid but the current state forbids it (capacity, version)."""

    def __init__(self, rule: str, message: str, *, field: str | None = None, **extra: Any):
        super().__init__(message, field=field, **extra)
        self.rule = rule


class Invalid(ServiceError):
    """The request breaks a rule of its own content."""

    def __init__(self, rule: str, message: str, *, field: str | None = None, **extra: Any):
        super().__init__(message, field=field, **extra)
        self.rule = rule
