"""One import summary for every importer (HSDS, HMIS): what came in, what did not and
why, in the counts and lists a person needs, and the command's exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from matcher.interop.problems import Problem


@dataclass
class ImportSummary:
    """What an import did, by program id.

    ``skipped`` gives each record left out (a service id, an export row) one reason;
    ``unmapped`` the programs kept whose taxonomy terms map to no service type (with
    those terms); ``fallback`` the programs placed at an approximate area because their
    address could not be placed; ``capacity_unknown`` the programs whose source gives
    no count of free places; ``stale`` the programs whose newer provider report was
    kept; ``closed`` the programs reported at zero because their beds are gone.
    """

    format: str = ""
    version: str = ""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    unlocated: list[str] = field(default_factory=list)
    fallback: list[str] = field(default_factory=list)
    unmapped: dict[str, list[str]] = field(default_factory=dict)
    capacity_unknown: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)

    def top_unmapped(self, n: int = 10) -> list[tuple[str, int]]:
        """The unmapped terms most programs carry, with how many."""
        counts = Counter(label for labels in self.unmapped.values() for label in set(labels))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def summary(self) -> str:
        """One line of counts (the lists that are empty are left out at the end)."""
        line = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped, "
            f"{len(self.unlocated)} unlocated, {len(self.unmapped)} unmapped"
        )
        extra = (
            (self.fallback, "placed at an approximate area"),
            (self.capacity_unknown, "with capacity unknown"),
            (self.closed, "closed"),
            (self.stale, "left to a newer report"),
        )
        line += "".join(f", {len(ids)} {what}" for ids, what in extra if ids)
        return line + f"; {self.events} capacity event(s); {len(self.problems)} problem(s)"

    def exit_code(self) -> int:
        """0 when every record came in, 1 when some were skipped."""
        return 1 if self.skipped else 0
