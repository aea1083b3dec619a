"""What an import found wrong: one type for every importer (HSDS, HMIS).

A ``Problem`` names where it was found (the file, then a CSV row or a JSON path), the
field, the rule when the importer names one, and what was done, so whoever keeps the
source can fix it there. Problems never carry participant data: the files read
describe providers and beds, and the HMIS importer never opens Client.csv.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: an ``error`` skips the record it is in (or, raised, the import), a
    ``warning`` is handled (a value corrected or ignored) and the record imported."""

    file: str
    where: str
    field: str | None
    rule: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        at = f"{self.file}, {self.where}" if self.where else self.file
        field = f", {self.field}" if self.field else ""
        rule = f" ({self.rule})" if self.rule else ""
        return f"{self.severity}: {at}{field}: {self.message}{rule}"


def row(line: int | None) -> str:
    """A CSV line number as a problem's ``where``."""
    return f"row {line}" if line is not None else ""
