"""Eligibility rules: who a program serves. Each applies only where the program sets it.

A criterion the program sets and the participant did not state (no gender, no
age) is broken: the program cannot confirm it serves them.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.tables import (
    BoolArray,
    IntArray,
    Participants,
    Programs,
    has_bit,
    shares_bit,
)


def gender(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The program lists the genders it serves and the participant's is not among them."""
    listed = progs.genders_set[g]
    return np.asarray(listed & ~has_bit(progs.genders[g], people.gender[p]))


def age(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The program sets an age bound and the participant's age is unstated or outside it."""
    lo = progs.min_age[g]
    hi = progs.max_age[g]
    years = people.age[p]
    bounded = ~np.isnan(lo) | ~np.isnan(hi)
    with np.errstate(invalid="ignore"):
        inside = ~(years < lo) & ~(years > hi)
    return np.asarray(bounded & (np.isnan(years) | ~inside))


def household(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The program lists household kinds and the participant's is unstated or not listed."""
    listed = progs.households_set[g]
    return np.asarray(listed & ~has_bit(progs.households[g], people.household[p]))


def pets(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The participant has a pet and the program does not allow pets."""
    return np.asarray(people.has_pet[p] & ~progs.pets_allowed[g])


def requires_id(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The program requires government ID and the participant has none."""
    return np.asarray(progs.requires_id[g] & ~people.has_id[p])


def reserved_for(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The program's places are reserved for some populations and the participant is in
    none of them (a participant who stated no population is in none)."""
    reserved = progs.reserved_set[g]
    return np.asarray(reserved & ~shares_bit(progs.reserved_for[g], people.populations[p]))
