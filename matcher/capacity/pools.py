"""Capacity pools: the single place where non-displacement is defined.

A participant may take only a place that nobody already waiting could take:

- ``general``: the program's *unused* capacity, ``max(0, open_slots - held - waitlist)``,
  and nothing when the program never reported (``open_slots`` unknown: ``reported`` is
  False, and a need whose eligible programs all are so is ``capacity_unknown``). Free places
  up to the waitlist length are owed to the community members waiting for them.
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

from matcher.scenario import Capacity, Program

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


PoolName = Literal["general", "lead_reserved", "purchase"]
POOL_NAMES: tuple[PoolName, ...] = ("general", "lead_reserved", "purchase")


class Pool(IntEnum):
    """Which kind of place an assignment uses; the order is the level-4 preference."""

    GENERAL = 0
    LEAD_RESERVED = 1
    PURCHASE = 2

    @property
    def label(self) -> PoolName:
        """The contract's name for the pool."""
        return POOL_NAMES[self]


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

    @property
    def paid_or_for_sale(self) -> BoolArray:
        """Programs with a place the fund already paid for or may buy: room that does not
        depend on the provider's report."""
        return np.asarray((self.lead_reserved > 0) | (self.purchase > 0))

    def size(self, pool: Pool) -> IntArray:
        """The size column of one pool."""
        return (self.general, self.lead_reserved, self.purchase)[pool]

    def owed(self) -> BoolArray:
        """Programs whose free places are all owed to people already waiting."""
        return np.asarray((self.free > 0) & (self.general == 0))


def pools_of(programs: Sequence[Program]) -> Pools:
    """Pool sizes of every program; purchase only where the program is fundable."""
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
    )
