"""The hard rules in the contract's order, and the first rule each pair breaks.

Families are checked in this order: barriers, eligibility, geography, avoid and
declined (the service family is how pairs are generated in the first place, see
``service``). ``declined`` alone reads the need, not only the participant.
``first_broken`` returns, per pair, 0 when every rule holds, else the 1-based
index of the first rule broken: that index names the rule in ``blocked_by`` and
in explanations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.rules import avoid, barriers, eligibility, geography
from matcher.rules.tables import BoolArray, FloatArray, IntArray, Needs, Participants, Programs


@dataclass(frozen=True)
class PairFrame:
    """Need-program pairs (with each need's participant) and their distances, the
    input every rule reads."""

    people: Participants
    progs: Programs
    p: IntArray
    g: IntArray
    distance_km: FloatArray
    needs: Needs | None = None  # None: pairs of participants only (no per-need rule)
    n: IntArray | None = None

    def take(self, idx: IntArray) -> PairFrame:
        """The pairs ``idx`` only."""
        n = None if self.n is None else self.n[idx]
        return PairFrame(
            self.people, self.progs, self.p[idx], self.g[idx], self.distance_km[idx], self.needs, n
        )


Check = Callable[[PairFrame], BoolArray]


@dataclass(frozen=True)
class Rule:
    """A named hard rule: ``broken(frame)`` is True where the pair may not be matched.

    ``one`` and ``many`` say what the excluded program(s) do, for explanations.
    """

    name: str
    family: str
    broken: Check
    one: str
    many: str


def _pairwise(fn: Callable[[Participants, Programs, IntArray, IntArray], BoolArray]) -> Check:
    return lambda f: fn(f.people, f.progs, f.p, f.g)


def _too_far(f: PairFrame) -> BoolArray:
    return geography.beyond_max_distance(f.people, f.distance_km, f.p)


def _stay_away(f: PairFrame) -> BoolArray:
    return geography.inside_stay_away(f.people, f.progs, f.p, f.g)


def _declined(f: PairFrame) -> BoolArray:
    if f.needs is None or f.n is None:
        return np.zeros(len(f.p), dtype=bool)
    return avoid.declined(f.needs, f.progs, f.n, f.g)


RULES: tuple[Rule, ...] = (
    Rule(
        "excludes_active_use",
        "barriers",
        _pairwise(barriers.excludes_active_use),
        "refuses active drug use",
        "refuse active drug use",
    ),
    Rule(
        "excludes_sex_work",
        "barriers",
        _pairwise(barriers.excludes_sex_work),
        "refuses people involved in sex work",
        "refuse people involved in sex work",
    ),
    Rule(
        "excludes_criminal_history",
        "barriers",
        _pairwise(barriers.excludes_criminal_history),
        "refuses people with a criminal record",
        "refuse people with a criminal record",
    ),
    Rule(
        "requires_religious_participation",
        "barriers",
        _pairwise(barriers.requires_religious_participation),
        "requires religious participation",
        "require religious participation",
    ),
    Rule(
        "conversion_therapy",
        "barriers",
        _pairwise(barriers.conversion_therapy),
        "offers conversion therapy",
        "offer conversion therapy",
    ),
    Rule(
        "gender",
        "eligibility",
        _pairwise(eligibility.gender),
        "serves other genders",
        "serve other genders",
    ),
    Rule("age", "eligibility", _pairwise(eligibility.age), "serves other ages", "serve other ages"),
    Rule(
        "household",
        "eligibility",
        _pairwise(eligibility.household),
        "serves other households",
        "serve other households",
    ),
    Rule(
        "pets",
        "eligibility",
        _pairwise(eligibility.pets),
        "does not allow pets",
        "do not allow pets",
    ),
    Rule(
        "requires_id",
        "eligibility",
        _pairwise(eligibility.requires_id),
        "requires government ID",
        "require government ID",
    ),
    Rule(
        "reserved_for",
        "eligibility",
        _pairwise(eligibility.reserved_for),
        "is reserved for other populations",
        "are reserved for other populations",
    ),
    Rule(
        "max_distance",
        "geography",
        _too_far,
        "is beyond the participant's travel limit",
        "are beyond the participant's travel limit",
    ),
    Rule(
        "stay_away",
        "geography",
        _stay_away,
        "is inside a stay-away area",
        "are inside a stay-away area",
    ),
    Rule(
        "avoid",
        "avoid",
        _pairwise(avoid.avoided),
        "is on the participant's avoid list",
        "are on the participant's avoid list",
    ),
    Rule(
        "declined",
        "avoid",
        _declined,
        "was already declined for this need",
        "were already declined for this need",
    ),
)

RULE_NAMES: tuple[str, ...] = tuple(r.name for r in RULES)


RULE_CODE = {rule.name: i for i, rule in enumerate(RULES, start=1)}
PAIR_FREE_RULES = RULE_CODE["reserved_for"]
"""Rules 1..this read only the two sides' attributes (barriers, eligibility), not where they are."""


def first_broken(
    frame: PairFrame,
    upto: int = len(RULES),
    after: int = 0,
    code: npt.NDArray[np.int8] | None = None,
) -> npt.NDArray[np.int8]:
    """Per pair: 0 if every rule holds, else 1 + index in ``RULES`` of the first broken.

    ``upto`` checks only the first rules (e.g. ``PAIR_FREE_RULES``); ``after`` skips the
    first rules, whose verdict ``code`` already holds (e.g. from ``profiles``).
    """
    code = np.zeros(len(frame.p), dtype=np.int8) if code is None else code.copy()
    # A rule reads only the pairs (``part``, at ``at`` in the frame) that were open when
    # they were last gathered: every verdict is per pair, and at state scale the barriers
    # and the travel limit close most pairs early. ``open_`` marks those still open.
    at = np.arange(len(code))
    part, open_ = frame, code == 0
    for i, rule in enumerate(RULES[after:upto], start=after + 1):
        if 4 * int(open_.sum()) < 3 * len(open_):  # a quarter closed: gather the rest
            at, keep = at[open_], np.flatnonzero(open_)
            part, open_ = part.take(keep), np.ones(len(keep), dtype=bool)
        if not open_.any():
            break
        broken = open_ & rule.broken(part)
        code[at[broken]] = i
        open_ &= ~broken
    return code


def phrase(rule_code: int, count: int) -> str:
    """``3 refuse active drug use`` / ``1 requires government ID``."""
    rule = RULES[rule_code - 1]
    return f"{count} {rule.one if count == 1 else rule.many}"
