"""What an HSDS import found wrong, and the error that stops it before anything is written.

A ``Problem`` names where it was found (the file, then a CSV row number or a JSON path),
the field and the rule, so whoever keeps the feed can fix it at the source. Problems
never carry participant data: an HSDS feed describes providers, not people.
"""

from __future__ import annotations

from matcher.interop.problems import Problem, Severity

__all__ = ["HsdsUnreadable", "Problem", "Severity"]


class HsdsUnreadable(Exception):
    """The input cannot be read as HSDS at all (missing, unreadable, badly encoded, or
    not an HSDS feed): the import stops and writes nothing."""

    def __init__(self, file: str, message: str, rule: str = "unreadable") -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message
        self.rule = rule
