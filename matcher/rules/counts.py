"""``blocked_by`` for many needs at once: the first rule each program of the type breaks.

Counting over *every* program of a need's type, pair by pair, costs
needs x programs-of-type (80 million pairs for 160,000 unmet needs at state
scale). Two facts make it cheap:

- barriers and eligibility read only the two sides' own attributes, so
  programs with the same attributes (a *profile*) get the same verdict, and so
  do participants: one check per pair of profiles, weighted per need by how
  many programs of the need's types share the program profile;
- of the programs that pass those, the ones beyond the travel limit all break
  ``max_distance`` (the next rule), so only the programs within reach (the few
  a k-d tree finds) need the remaining rules, pair by pair.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.arcs import Pairs, evaluate_pairs
from matcher.rules.registry import PAIR_FREE_RULES, RULE_CODE, RULES, PairFrame, first_broken
from matcher.rules.tables import IntArray, Participants, Programs, Tables, shares_bit

_PAIRS_PER_BLOCK = 4_000_000


def _profiles(progs: Programs) -> tuple[IntArray, IntArray]:
    """Profile id of every program and one representative program per profile."""
    unset = -(2**40)
    columns = [
        progs.excludes_active_use,
        progs.excludes_sex_work,
        progs.excludes_criminal_history,
        progs.requires_religious_participation,
        progs.conversion_therapy,
        progs.genders_set,
        progs.households_set,
        progs.pets_allowed,
        progs.requires_id,
        progs.reserved_set,
    ]
    key = np.column_stack(
        [np.asarray(c, dtype=np.int64) for c in columns]
        + [
            np.where(np.isnan(progs.min_age), unset, np.nan_to_num(progs.min_age)).astype(np.int64),
            np.where(np.isnan(progs.max_age), unset, np.nan_to_num(progs.max_age)).astype(np.int64),
            progs.genders.view(np.int64),
            progs.households.view(np.int64),
            progs.reserved_for.view(np.int64),
        ]
    )
    _, first, profile = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return profile.reshape(-1).astype(np.int64), first.astype(np.int64)


def _people_profiles(people: Participants) -> tuple[IntArray, IntArray]:
    """Profile id of every participant (what barriers and eligibility read) and a representative."""
    unset = -(2**40)
    key = np.column_stack(
        [
            np.asarray(c, dtype=np.int64)
            for c in (
                people.active_use,
                people.sex_work,
                people.criminal_history,
                people.accepts_faith_based,
                people.has_pet,
                people.has_id,
                people.gender,
                people.household,
            )
        ]
        + [
            np.where(np.isnan(people.age), unset, np.nan_to_num(people.age)).astype(np.int64),
            people.populations.view(np.int64),
        ]
    )
    _, first, profile = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return profile.reshape(-1).astype(np.int64), first.astype(np.int64)


def blocked_counts(
    tables: Tables, needs: IntArray, within_reach: Pairs | None = None
) -> tuple[IntArray, Pairs]:
    """Per need (rows in ``needs``, sorted, order): how many programs of its type first break
    each rule (column 0: none broken), and the evaluated pairs within the participant's reach.

    ``within_reach`` is ``evaluate_pairs(tables)`` of every need when the caller has it
    (the solver does): its rows for ``needs`` are the same pairs, not computed twice.
    """
    progs = tables.programs
    n_rules = len(RULES) + 1
    m = len(needs)
    out = np.zeros((m, n_rules), dtype=np.int64)
    if m == 0 or progs.size == 0:
        return out, _reached(tables, needs, within_reach)
    profile, rep = _profiles(progs)
    n_prof = len(rep)
    combos, combo_of = np.unique(
        tables.needs.types[needs].view(np.int64), axis=0, return_inverse=True
    )
    combo_of = combo_of.reshape(-1)
    per_combo = np.zeros((len(combos), n_prof), dtype=np.int64)
    for c, bits in enumerate(combos.view(np.uint64)):
        offers = shares_bit(progs.types, np.broadcast_to(bits, progs.types.shape))
        per_combo[c] = np.bincount(profile[offers], minlength=n_prof)

    # One verdict per (participant profile, program profile), not per pair.
    person_profile, person_rep = _people_profiles(tables.participants)
    n_people = len(person_rep)
    frame = PairFrame(
        tables.participants,
        progs,
        np.repeat(person_rep, n_prof),
        np.tile(rep, n_people),
        np.zeros(n_people * n_prof),
    )
    verdict = first_broken(frame, PAIR_FREE_RULES).astype(np.int64).reshape(n_people, n_prof)
    profile_of_need = person_profile[tables.needs.participant[needs]]

    passing = np.zeros(m, dtype=np.int64)
    step = max(1, _PAIRS_PER_BLOCK // n_prof)
    for start in range(0, m, step):
        rows = np.arange(start, min(m, start + step))
        code = verdict[profile_of_need[rows]].reshape(-1)
        weight = per_combo[combo_of[rows]].reshape(-1)
        row = np.repeat(rows, n_prof)
        out += (
            np.bincount(row * n_rules + code, weights=weight, minlength=m * n_rules)
            .reshape(m, n_rules)
            .astype(np.int64)
        )
        passing[rows] = out[rows, 0]
        out[rows, 0] = 0

    pairs = _reached(tables, needs, within_reach)
    row = np.searchsorted(needs, pairs.need)
    later = (pairs.broken == 0) | (pairs.broken > PAIR_FREE_RULES)
    reached = np.bincount(row[later], minlength=m)
    out += np.bincount(
        row[later] * n_rules + pairs.broken[later].astype(np.int64), minlength=m * n_rules
    ).reshape(m, n_rules)
    out[:, RULE_CODE["max_distance"]] += passing - reached
    return out, pairs


def _reached(tables: Tables, needs: IntArray, within_reach: Pairs | None) -> Pairs:
    if within_reach is None:
        return evaluate_pairs(tables, needs)
    return within_reach.of_needs(needs, tables.needs.size)
