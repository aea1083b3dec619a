"""The avoid rule: programs the participant named as places they will not be sent."""

from __future__ import annotations

import numpy as np

from matcher.rules.tables import BoolArray, IntArray, Participants, Programs


def avoided(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The program is on the participant's ``avoid_programs`` list."""
    if len(people.avoid_keys) == 0:
        return np.zeros(len(p), dtype=bool)
    return np.isin(p * progs.size + g, people.avoid_keys)
