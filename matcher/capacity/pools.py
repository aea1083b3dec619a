"""Capacity pools: the single place where non-displacement is defined.

A participant may take only a place that nobody already waiting could take:

- ``general``: the program's *unused* capacity, ``max(0, open_slots - held - waitlist)``,
  and nothing when the program never reported (``open_slots`` unknown: ``reported`` is
  False, and a need whose eligible programs all are so is ``capacity_unknown``). Free places
  up to the waitlist length are owed to the community members waiting for them.
- ``waitlist_turn``: the participant's own turn on a waitlist they already wait on. At
  position ``k`` it has come when ``open_slots - held >= k``: the ``k - 1`` people ahead
  keep theirs, so nobody is displaced. One place per (participant, program), free, and
  it leaves ``general`` as it is (that formula already counts the participant as waiting).
- ``lead_reserved``: places the fund already paid for (``lead_reserved_open``),
  counted apart from ``open_slots``.
- ``purchase``: places the fund may buy now (``purchasable`` at ``price`` each),
  only at a *fundable* program, one that sets none of the five barriers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from matcher.rules.tables import in_sorted
from matcher.scenario import Capacity, Participant, Program

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


PoolName = Literal["general", "lead_reserved", "purchase", "waitlist_turn"]
POOL_NAMES: tuple[PoolName, ...] = ("general", "lead_reserved", "purchase", "waitlist_turn")


class Pool(IntEnum):
    """Which kind of place an assignment uses (``PREFERENCE`` gives the level-4 order)."""

    GENERAL = 0
    LEAD_RESERVED = 1
    PURCHASE = 2
    WAITLIST_TURN = 3

    @property
    def label(self) -> PoolName:
        """The contract's name for the pool."""
        return POOL_NAMES[self]


PREFERENCE: tuple[Pool, ...] = (Pool.WAITLIST_TURN, Pool.GENERAL, Pool.LEAD_RESERVED, Pool.PURCHASE)
"""Among equally preferred options: the participant's own turn, unused places, places
already paid for, and places bought last (kept for those with no other option)."""


def unused_places(capacity: Capacity) -> int:
    """Free places beyond the waitlist: the only general places a participant may take."""
    if capacity.open_slots is None:
        return 0
    return max(0, capacity.open_slots - capacity.held - capacity.waitlist)


def free_places(capacity: Capacity) -> int:
    """Free, unheld places, whether or not they are owed to people waiting."""
    if capacity.open_slots is None:
        return 0
    return max(0, capacity.open_slots - capacity.held)


def turn_has_come(capacity: Capacity, position: int) -> bool:
    """Whether the person at ``position`` on the waitlist may take a free place now."""
    return 1 <= position <= free_places(capacity)


def current_position(recorded: int, waitlist: int) -> int | None:
    """A recorded waitlist position read against the program's waitlist now: people
    ahead may have left since it was recorded, so the position is at most the
    waitlist's length (the furthest back it can be); None when nobody waits any more."""
    return min(recorded, waitlist) if waitlist > 0 else None


@dataclass(frozen=True)
class Pools:
    """Per-program pool sizes (columns indexed like the program table)."""

    general: IntArray
    lead_reserved: IntArray
    purchase: IntArray
    price: FloatArray
    free: IntArray
    waitlist: IntArray
    fundable: BoolArray
    reported: BoolArray
    turns: IntArray
    """Sorted keys ``participant * len(programs) + program`` of every turn that has come."""
    turn_count: IntArray
    """Per program, how many participants' turns have come there."""

    def turn_keys(self, participant: IntArray, program: IntArray) -> IntArray:
        """The ``turns`` key of each (participant, program) pair."""
        return participant.astype(np.int64) * len(self.general) + program

    def has_turn(self, participant: IntArray, program: IntArray) -> BoolArray:
        """Whether each participant's own turn has come at each program."""
        return in_sorted(self.turn_keys(participant, program), self.turns)

    @property
    def paid_or_for_sale(self) -> BoolArray:
        """Programs with a place the fund already paid for or may buy: room that does not
        depend on the provider's report."""
        return np.asarray((self.lead_reserved > 0) | (self.purchase > 0))

    def size(self, pool: Pool) -> IntArray:
        """The size column of one pool."""
        return (self.general, self.lead_reserved, self.purchase, self.turn_count)[pool]

    def owed(self) -> BoolArray:
        """Programs whose free places are all owed to people already waiting."""
        return np.asarray((self.free > 0) & (self.general == 0))


def _turns(
    programs: Sequence[Program], participants: Sequence[Participant]
) -> tuple[IntArray, IntArray]:
    """Keys of the turns that have come and their count per program."""
    index = {g.id: j for j, g in enumerate(programs)}
    keys = [
        i * len(programs) + index[w.program_id]
        for i, person in enumerate(participants)
        for w in person.waitlist_positions
        if w.program_id in index
        and turn_has_come(programs[index[w.program_id]].capacity, w.position)
    ]
    turns = np.unique(np.array(keys, dtype=np.int64))
    count = np.bincount(turns % max(len(programs), 1), minlength=len(programs))
    return turns, count.astype(np.int64)


def pools_of(programs: Sequence[Program], participants: Sequence[Participant] = ()) -> Pools:
    """Pool sizes of every program; purchase only where the program is fundable; the
    turns of ``participants`` (indexed in that order) on the waitlists they are on."""
    turns, turn_count = _turns(programs, participants)
    fundable = np.array([g.fundable for g in programs], dtype=bool)
    purchasable = np.array([g.capacity.purchasable for g in programs], dtype=np.int64)
    return Pools(
        general=np.array([unused_places(g.capacity) for g in programs], dtype=np.int64),
        lead_reserved=np.array([g.capacity.lead_reserved_open for g in programs], dtype=np.int64),
        purchase=np.where(fundable, purchasable, 0),
        price=np.array([g.capacity.price for g in programs], dtype=np.float64),
        free=np.array([free_places(g.capacity) for g in programs], dtype=np.int64),
        waitlist=np.array([g.capacity.waitlist for g in programs], dtype=np.int64),
        fundable=fundable,
        reported=np.array([g.capacity.open_slots is not None for g in programs], dtype=bool),
        turns=turns,
        turn_count=turn_count,
    )
