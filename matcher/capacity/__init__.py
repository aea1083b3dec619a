"""Capacity: pools (non-displacement) and, later, the ledger of capacity events."""

from matcher.capacity.pools import Pool, Pools, free_places, pools_of, unused_places

__all__ = ["Pool", "Pools", "free_places", "pools_of", "unused_places"]
