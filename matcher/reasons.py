"""Why a need was not met: the contract's reason, ``blocked_by`` counts and plain words.

The reason is the first of these that holds (``spec/SCENARIO.md``):

1. ``no_program_of_type``: no program offers any of the need's service types.
2. ``not_eligible``: programs of the type exist and every one breaks a rule of
   families 2-5 for this participant.
3. ``would_displace``: an eligible program has free places (``open_slots - held > 0``)
   but all are owed to people already waiting, and no other pool of an eligible
   program had room to begin with (no unused place, no paid place, nothing the
   fund could buy).
4. ``budget_exhausted``: an eligible fundable program still had a place to sell,
   but the budget left after the answer's spend could not pay its price.
5. ``capacity_unknown``: no eligible program has reported its free places
   (``open_slots`` unknown at every one) and none had a LEAD-reserved or
   purchasable place: the need might be met if the providers reported. For a
   funder this asks the providers to report; it is not a place to buy.
6. ``capacity_exhausted``: otherwise; the eligible programs' room was taken by
   needs the objective ranks at least as high, or there was none.

One finer reason below ``capacity_exhausted`` comes only from answers read from
LEAD's queue (``matcher.service.matching``): ``kept_for_more_urgent``, a need with
places open to it that the queue's optimum gives to others.

``blocked_by`` counts, over the programs of the need's type the participant is
not eligible for, the first rule each breaks. Computed for unmet needs only, over
every program of the type (not only those within reach), in bulk.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from matcher.capacity.pools import Pool
from matcher.money import budget_cents, dollars, price_cents
from matcher.rules.counts import blocked_counts
from matcher.rules.profiles import row_groups
from matcher.rules.registry import RULE_NAMES, RULES, phrase
from matcher.rules.tables import BoolArray, IntArray, rows_of
from matcher.solver.solve import Solution

NO_PROGRAM_OF_TYPE = "no_program_of_type"
NOT_ELIGIBLE = "not_eligible"
WOULD_DISPLACE = "would_displace"
BUDGET_EXHAUSTED = "budget_exhausted"
CAPACITY_UNKNOWN = "capacity_unknown"
CAPACITY_EXHAUSTED = "capacity_exhausted"

REASON_WORDS = {
    NO_PROGRAM_OF_TYPE: "no program offers the service",
    NOT_ELIGIBLE: "every program's rules exclude the person",
    WOULD_DISPLACE: "free places exist but are owed to people already waiting",
    BUDGET_EXHAUSTED: "a place could be bought but the fund is spent",
    CAPACITY_UNKNOWN: "no eligible program has reported its free places (not a place to buy)",
    CAPACITY_EXHAUSTED: "no room left at eligible programs",
}
"""Each reason in plain words: the one wording every report and page uses."""


@dataclass(frozen=True, slots=True)
class Unmatched:
    """One unmet need, the reason the contract fixes, and the counts behind it.

    ``blocked_by`` is None when no program of the type excluded the participant.
    """

    need_id: str
    participant_id: str
    reason: str
    blocked_by: dict[str, int] | None
    detail: str

    def to_json(self) -> dict[str, object]:
        """Contract JSON (``blocked_by`` only when present)."""
        out: dict[str, object] = {
            "need_id": self.need_id,
            "participant_id": self.participant_id,
            "reason": self.reason,
        }
        if self.blocked_by:
            out["blocked_by"] = self.blocked_by
        out["detail"] = self.detail
        return out


def _types_label(types: list[str]) -> str:
    return " or ".join(types)


@dataclass
class _Evidence:
    """Per unmet need (rows in ``unmet`` order): what its programs of type had to offer."""

    per_rule: IntArray
    owed: BoolArray
    owed_places: IntArray
    owed_waiting: IntArray
    room: BoolArray
    reported: BoolArray
    paid_or_for_sale: BoolArray
    unaffordable: BoolArray
    cheapest: IntArray
    budget_left: int


def _evidence(solution: Solution, unmet: IntArray) -> _Evidence:
    """Rule counts over *every* program of each unmet need's type; pool facts of eligible ones."""
    tables = solution.tables
    pools = solution.pools
    chosen = solution.assigned
    bought = chosen.program[chosen.pool == Pool.PURCHASE]
    price = price_cents(pools.price)
    budget_left = budget_cents(solution.scenario.fund.budget) - int(price[bought].sum())
    purchase_left = pools.purchase - np.bincount(bought, minlength=tables.programs.size)
    owed_at = pools.owed()
    # A waitlist turn is no room for anyone else (it is another person's place), nor for a
    # second need of its owner: a need whose only way was a turn stays ``would_displace``.
    room_at = (pools.general > 0) | (pools.lead_reserved > 0) | (pools.purchase > 0)
    unaffordable_at = (purchase_left > 0) & (price > budget_left)
    n_rules = len(RULES) + 1
    m = len(unmet)
    ev = _Evidence(
        per_rule=np.zeros((m, n_rules), dtype=np.int64),
        owed=np.zeros(m, dtype=bool),
        owed_places=np.zeros(m, dtype=np.int64),
        owed_waiting=np.zeros(m, dtype=np.int64),
        room=np.zeros(m, dtype=bool),
        reported=np.zeros(m, dtype=bool),
        paid_or_for_sale=np.zeros(m, dtype=bool),
        unaffordable=np.zeros(m, dtype=bool),
        cheapest=np.full(m, np.iinfo(np.int64).max, dtype=np.int64),
        budget_left=budget_left,
    )
    ev.per_rule[:], pairs = blocked_counts(tables, unmet, solution.pairs)
    row = rows_of(pairs.need, unmet, tables.needs.size)
    ok = pairs.broken == 0
    r, g = row[ok], pairs.program[ok]
    owed = owed_at[g]
    ev.owed[:] = np.bincount(r[owed], minlength=m) > 0
    ev.owed_places[:] = np.bincount(r[owed], pools.free[g[owed]], minlength=m)
    ev.owed_waiting[:] = np.bincount(r[owed], pools.waitlist[g[owed]], minlength=m)
    ev.room[:] = np.bincount(r[room_at[g]], minlength=m) > 0
    ev.reported[:] = np.bincount(r[pools.reported[g]], minlength=m) > 0
    ev.paid_or_for_sale[:] = np.bincount(r[pools.paid_or_for_sale[g]], minlength=m) > 0
    dear = unaffordable_at[g]
    ev.unaffordable[:] = np.bincount(r[dear], minlength=m) > 0
    np.minimum.at(ev.cheapest, r[dear], price[g[dear]])
    return ev


_REASONS = (
    NO_PROGRAM_OF_TYPE,
    NOT_ELIGIBLE,
    WOULD_DISPLACE,
    BUDGET_EXHAUSTED,
    CAPACITY_UNKNOWN,
    CAPACITY_EXHAUSTED,
)


def _reason_codes(ev: _Evidence) -> IntArray:
    """Per unmet need, the index in ``_REASONS`` of the first reason that holds."""
    total = ev.per_rule.sum(axis=1)
    eligible = ev.per_rule[:, 0]
    conditions = [
        total == 0,
        eligible == 0,
        ev.owed & ~ev.room,
        ev.unaffordable,
        ~ev.reported & ~ev.paid_or_for_sale,
    ]
    return np.asarray(np.select(conditions, list(range(5)), default=5), dtype=np.int64)


def _case_keys(ev: _Evidence, reason: IntArray, label: IntArray) -> IntArray:
    """One row per unmet need holding exactly what its detail reads (the rest zeroed), so
    needs with equal rows share one detail: reason, types (first two reasons), eligible and
    total program counts, the rule counts (``not_eligible`` only), owed places and people
    waiting (``would_displace``), the cheapest unaffordable price (``budget_exhausted``)."""
    counts = ev.per_rule
    zero = np.zeros(len(reason), dtype=np.int64)
    not_eligible = reason == 1
    displace = reason == 2
    return np.column_stack(
        [
            reason,
            np.where(reason <= 1, label, -1),
            counts[:, 0],
            np.where(not_eligible, counts.sum(axis=1), zero),
            np.where(not_eligible[:, None], counts[:, 1:], 0),
            np.where(displace, ev.owed_places, zero),
            np.where(displace, ev.owed_waiting, zero),
            np.where(reason == 3, ev.cheapest, zero),
        ]
    )


def _detail(key: list[int], what: str, budget_left: int) -> str:
    """The plain words of one distinct case (a row of ``_case_keys``)."""
    reason, _, eligible, total = key[:4]
    counts = key[4 : 4 + len(RULES)]
    owed_places, owed_waiting, cheapest = key[4 + len(RULES) :]
    if reason == 0:
        return f"no program offers {what}"
    if reason == 1:
        parts = ", ".join(phrase(r, c) for r, c in enumerate(counts, start=1) if c)
        return f"{total} {what} program{'s' if total != 1 else ''}, none eligible: {parts}"
    programs = f"{eligible} eligible program{'s' if eligible != 1 else ''}"
    if reason == 2:
        return (
            f"{programs}: "
            f"{owed_places} free place{'s' if owed_places != 1 else ''}, "
            f"all owed to {owed_waiting} "
            f"{'person' if owed_waiting == 1 else 'people'} already waiting"
        )
    if reason == 3:
        return (
            f"a place could be bought for {dollars(cheapest / 100)}, "
            f"but only {dollars(budget_left / 100)} of the fund is left"
        )
    if reason == 4:
        return (
            f"{programs}, "
            f"{'it has never' if eligible == 1 else 'none has ever'} reported its free "
            "places: the need might be met if the providers reported"
        )
    return (
        f"{programs}, no room left: places taken by needs ranked at least as high, or none to give"
    )


def unmet_needs(solution: Solution) -> IntArray:
    """Positions of the needs the answer leaves unmet, in scenario order."""
    met = np.zeros(solution.tables.needs.size, dtype=bool)
    met[solution.arcs.need[solution.chosen]] = True
    return np.flatnonzero(~met)


@dataclass(frozen=True)
class UnmetReasons:
    """The unmet needs' reasons as columns: each distinct detail and ``blocked_by`` once.

    ``unmet`` holds the needs' positions in scenario order; per unmet need, ``reason``
    indexes ``_REASONS``, ``case`` indexes ``details`` and ``blocked`` the rows of
    ``blocked_counts`` (rule counts, ``RULE_NAMES`` order). Rows (``rows``) or their
    JSON text (``json_array``) are made from these only when wanted: at state scale
    ten thousand details and sixty thousand ``blocked_by`` serve 165,000 needs.
    """

    solution: Solution
    unmet: IntArray
    reason: IntArray
    case: IntArray
    details: list[str]
    blocked: IntArray
    blocked_counts: IntArray

    def rows(self) -> list[Unmatched]:
        """One ``Unmatched`` per unmet need (each owns its ``blocked_by`` dict)."""
        need_ids, owner_ids, owners = self._ids()
        details = self.details
        blocked_by = [
            {RULE_NAMES[i]: n for i, n in enumerate(counts) if n} or None
            for counts in self.blocked_counts.tolist()
        ]
        return [
            Unmatched(
                need_ids[k],
                owner_ids[owners[k]],
                _REASONS[r],
                None if (counts := blocked_by[b]) is None else counts.copy(),
                details[c],
            )
            for k, r, c, b in self._columns()
        ]

    def json_array(self) -> list[str]:
        """The rows' ``to_json()`` as one JSON array, as ``json.dumps(...,
        ensure_ascii=False)`` writes it, in pieces to join (once, with the rest of the
        answer), without making the rows: every reason, detail and ``blocked_by`` is
        encoded once, and each row is laid out of its parts by indexing."""
        if len(self.unmet) == 0:
            return ["[]"]
        tables = self.solution.tables
        text = _encode_text
        reasons = [f", {text('reason')}: {text(r)}" for r in _REASONS]
        details = [f", {text('detail')}: {text(d)}}}" for d in self.details]
        start = f"{{{text('need_id')}: "
        parts = np.empty((len(self.unmet), 7), dtype=object)
        parts[:, 0] = ", " + start
        parts[0, 0] = start
        parts[:, 1] = list(map(text, _pick(tables.needs.ids, self.unmet)))
        parts[:, 2] = f", {text('participant_id')}: "
        owners = tables.needs.participant[self.unmet]
        parts[:, 3] = list(map(text, _pick(tables.participants.ids, owners)))
        parts[:, 4] = _pick(reasons, self.reason)
        parts[:, 5] = _pick(self._blocked_by_json(), self.blocked)
        parts[:, 6] = _pick(details, self.case)
        return ["[", *parts.ravel().tolist(), "]"]

    def _blocked_by_json(self) -> list[str]:
        """Each row of ``blocked_counts`` as the JSON member ``, "blocked_by": {...}`` (empty
        when no rule excluded anything: the member is left out)."""
        counts = self.blocked_counts
        row, rule = np.nonzero(counts)
        names = [_encode_text(name) for name in RULE_NAMES]
        members = [
            f"{names[r]}: {n}"
            for r, n in zip(rule.tolist(), counts[row, rule].tolist(), strict=True)
        ]
        bounds = np.searchsorted(row, np.arange(len(counts) + 1)).tolist()
        key = _encode_text("blocked_by")
        return [
            f", {key}: {{{', '.join(members[a:b])}}}" if b > a else ""
            for a, b in itertools.pairwise(bounds)
        ]

    def _ids(self) -> tuple[list[str], list[str], list[int]]:
        tables = self.solution.tables
        return tables.needs.ids, tables.participants.ids, tables.needs.participant.tolist()

    def _columns(self) -> Iterator[tuple[int, int, int, int]]:
        """Per unmet need: its position, reason, case and ``blocked_by`` row."""
        return zip(
            self.unmet.tolist(),
            self.reason.tolist(),
            self.case.tolist(),
            self.blocked.tolist(),
            strict=True,
        )


_encode_text = json.encoder.encode_basestring
"""A string as ``json.dumps(..., ensure_ascii=False)`` writes it."""


def _pick(items: list[str], at: IntArray) -> list[str]:
    """``[items[i] for i in at]``, by one numpy index."""
    return list(np.array(items, dtype=object)[at])


def _type_labels(
    solution: Solution, unmet: IntArray, named: BoolArray
) -> tuple[IntArray, list[str]]:
    """The words for the service types of the unmet needs ``named`` (the two reasons
    whose detail names them), each distinct wording once: per need its index in the
    words, -1 for the needs not named."""
    tables = solution.tables
    people = solution.scenario.participants
    owner = tables.needs.participant
    first_need = np.searchsorted(owner, np.arange(len(people)))  # needs in scenario order
    labels: dict[str, int] = {}
    label = np.full(len(unmet), -1, dtype=np.int64)
    for row in np.flatnonzero(named).tolist():
        k = int(unmet[row])
        types = people[owner[k]].needs[k - first_need[owner[k]]].service_types
        label[row] = labels.setdefault(_types_label(types), len(labels))
    return label, list(labels)


def explain_unmet(solution: Solution, unmet: IntArray | None = None) -> UnmetReasons:
    """A reason for every need the answer leaves unmet, in scenario order, as columns
    (``unmet``: the positions of the needs to explain instead, ascending, when another
    answer decided which are met; the evidence is still this solution's).

    The reasons are decided in bulk from the evidence columns; the words are written
    once per distinct detail (reason, types and the numbers it quotes).
    """
    if unmet is None:
        unmet = unmet_needs(solution)
    if len(unmet) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return UnmetReasons(
            solution, unmet, empty, empty, [], empty, np.zeros((0, len(RULES)), dtype=np.int64)
        )
    ev = _evidence(solution, unmet)
    reason = _reason_codes(ev)
    label, words = _type_labels(solution, unmet, reason <= 1)
    keys = _case_keys(ev, reason, label)
    case_of, first = row_groups(keys)
    details = [
        _detail(key, words[key[1]] if key[1] >= 0 else "", ev.budget_left)
        for key in keys[first].tolist()
    ]
    # ``blocked_by`` likewise: one row per distinct row of rule counts.
    blocked_of, blocked_first = row_groups(ev.per_rule[:, 1:])
    blocked = ev.per_rule[blocked_first, 1:]
    return UnmetReasons(solution, unmet, reason, case_of, details, blocked_of, blocked)


def unmatched_needs(solution: Solution, unmet: IntArray | None = None) -> list[Unmatched]:
    """A reason for every need the answer leaves unmet, in scenario order (see
    ``explain_unmet``)."""
    return explain_unmet(solution, unmet).rows()
