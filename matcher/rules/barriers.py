"""Barrier rules: program policies that would set a participant up to fail.

Each function returns, per pair (participant ``p[i]``, program ``g[i]``), whether
the rule is *broken*. Harm reduction: a program that refuses the participant for
active use or sex work is never offered to them, and is never bought from.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.tables import BoolArray, IntArray, Participants, Programs


def excludes_active_use(
    people: Participants, progs: Programs, p: IntArray, g: IntArray
) -> BoolArray:
    """The participant uses drugs now and the program has a sobriety rule."""
    return np.asarray(people.active_use[p] & progs.excludes_active_use[g])


def excludes_sex_work(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The participant is involved in sex work and the program refuses that."""
    return np.asarray(people.sex_work[p] & progs.excludes_sex_work[g])


def excludes_criminal_history(
    people: Participants, progs: Programs, p: IntArray, g: IntArray
) -> BoolArray:
    """The participant has a record and the program refuses people with one."""
    return np.asarray(people.criminal_history[p] & progs.excludes_criminal_history[g])


def requires_religious_participation(
    people: Participants, progs: Programs, p: IntArray, g: IntArray
) -> BoolArray:
    """The program requires religious participation the participant did not choose."""
    return np.asarray(progs.requires_religious_participation[g] & ~people.accepts_faith_based[p])


def conversion_therapy(
    people: Participants, progs: Programs, p: IntArray, g: IntArray
) -> BoolArray:
    """The program advances conversion therapy: never offered to anyone."""
    return np.asarray(progs.conversion_therapy[g])
