"""Profiles: what the pair-free rules read, and one verdict per pair of profiles.

Barriers and eligibility (rules 1 to ``PAIR_FREE_RULES``) read only the two sides' own
attributes, never where they are: participants with the same attributes (a *profile*)
get the same verdict from every program, and so do programs with the same attributes.
At state scale a few hundred participant profiles meet a few dozen program profiles,
so checking each pair of profiles once replaces checking those rules on millions of
need-program pairs; a pair's verdict is then one lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matcher.rules.registry import PAIR_FREE_RULES, PairFrame, first_broken
from matcher.rules.tables import FloatArray, IntArray, Participants, Programs, Tables

_UNSET = -(2**40)


@dataclass(frozen=True)
class Profiles:
    """Profile of every participant and program, a representative of each profile, and
    ``verdict[person profile, program profile]``: the first pair-free rule broken (0: none)."""

    person: IntArray
    person_rep: IntArray
    program: IntArray
    program_rep: IntArray
    verdict: npt.NDArray[np.int8]

    def first_broken(self, p: IntArray, g: IntArray) -> npt.NDArray[np.int8]:
        """Per pair (participant ``p[i]``, program ``g[i]``): the first pair-free rule broken."""
        return np.asarray(self.verdict[self.person[p], self.program[g]])


def row_groups(rows: IntArray) -> tuple[IntArray, IntArray]:
    """Equal rows share a group: each row's group and the first row of every group.

    Groups are numbered in the rows' lexicographic order, as ``np.unique(axis=0)``
    numbers them, but found with one ``lexsort`` of integer columns, many times faster
    than ``np.unique``'s row-as-bytes sort on a hundred thousand rows.
    """
    size = len(rows)
    if size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    new = np.ones(size, dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group = np.empty(size, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    return group, np.asarray(order[new], dtype=np.int64)


def _whole(values: FloatArray) -> IntArray:
    """Whole numbers (ages) as integers, unstated as a value no age takes."""
    return np.where(np.isnan(values), _UNSET, np.nan_to_num(values)).astype(np.int64)


def program_profiles(progs: Programs) -> tuple[IntArray, IntArray]:
    """Profile of every program (what barriers and eligibility read) and a representative."""
    flags = (
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
    )
    key = np.column_stack(
        [np.asarray(c, dtype=np.int64) for c in flags]
        + [
            _whole(progs.min_age),
            _whole(progs.max_age),
            progs.genders.view(np.int64),
            progs.households.view(np.int64),
            progs.reserved_for.view(np.int64),
        ]
    )
    return row_groups(key)


def _age_classes(people: Participants, progs: Programs) -> IntArray:
    """Ages as classes no program tells apart: ``age < min_age`` and ``age > max_age``
    hold for the same programs for every age in a class (-1: unstated). At state scale
    this turns some ten thousand participant profiles into a few hundred."""
    lows = np.unique(progs.min_age[~np.isnan(progs.min_age)])
    highs = np.unique(progs.max_age[~np.isnan(progs.max_age)])
    age = people.age
    stated = ~np.isnan(age)
    years = np.where(stated, age, 0.0)
    below = np.searchsorted(lows, years, side="right")  # how many min_age <= age
    above = np.searchsorted(highs, years, side="left")  # how many max_age < age
    return np.where(stated, below * (len(highs) + 1) + above, -1).astype(np.int64)


def people_profiles(people: Participants, progs: Programs) -> tuple[IntArray, IntArray]:
    """Profile of every participant (what barriers and eligibility read) and a representative."""
    flags = (
        people.active_use,
        people.sex_work,
        people.criminal_history,
        people.accepts_faith_based,
        people.has_pet,
        people.has_id,
        people.gender,
        people.household,
    )
    key = np.column_stack(
        [np.asarray(c, dtype=np.int64) for c in flags]
        + [_age_classes(people, progs), people.populations.view(np.int64)]
    )
    return row_groups(key)


def profiles(tables: Tables) -> Profiles:
    """The profiles of a scenario's tables, computed once and kept on them."""
    if tables.profiles is None:
        program, program_rep = program_profiles(tables.programs)
        person, person_rep = people_profiles(tables.participants, tables.programs)
        n_prog, n_people = len(program_rep), len(person_rep)
        frame = PairFrame(
            tables.participants,
            tables.programs,
            np.repeat(person_rep, n_prog),
            np.tile(program_rep, n_people),
            np.zeros(n_people * n_prog),
        )
        verdict = first_broken(frame, PAIR_FREE_RULES).reshape(n_people, n_prog)
        tables.profiles = Profiles(person, person_rep, program, program_rep, verdict)
    return tables.profiles
