"""Domain errors: structured, so every edge (CLI, API) can report them precisely."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioIssue:
    """One problem in a scenario: where (JSON path), which rule, and what it says."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class MatcherError(Exception):
    """Base of every error the domain raises on purpose."""


class ScenarioInvalid(MatcherError):
    """A scenario broke the contract; it is rejected whole, with every issue listed."""

    def __init__(self, issues: list[ScenarioIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))
