"""Family 5: programs the participant will not be sent to (``avoid``), and programs
already declined for one need (``declined``, the only per-need rule)."""

from __future__ import annotations

import numpy as np

from matcher.rules.tables import BoolArray, IntArray, Needs, Participants, Programs, in_sorted


def avoided(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """The program is on the participant's ``avoid_programs`` list."""
    if len(people.avoid_keys) == 0:
        return np.zeros(len(p), dtype=bool)
    return in_sorted(p * progs.size + g, people.avoid_keys)


def declined(needs: Needs, progs: Programs, n: IntArray, g: IntArray) -> BoolArray:
    """The program is on the need's ``declined_programs`` list."""
    if len(needs.declined_keys) == 0:
        return np.zeros(len(n), dtype=bool)
    return in_sorted(n * progs.size + g, needs.declined_keys)
