"""Pool nodes are numbered as one ``np.unique`` of their keys numbers them."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher.capacity.pools import Pool
from matcher.solver.flow import NO_OWNER, PoolNodes

arcs = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from(list(Pool)), st.integers(0, 3)), max_size=40
)


@given(arcs, st.booleans())
def test_pool_nodes_number_keys_in_sorted_order(
    rows: list[tuple[int, Pool, int]], owned: bool
) -> None:
    program = np.array([r[0] for r in rows], dtype=np.int64)
    pool = np.array([int(r[1]) for r in rows], dtype=np.int8)
    owner = np.where(pool == Pool.WAITLIST_TURN, [r[2] for r in rows], NO_OWNER) if rows else None
    owner = owner.astype(np.int64) if owned and owner is not None else None
    key = program * 4 + pool
    if owner is not None:
        span = (int(program.max()) + 1) * 4
        key = np.where(owner == NO_OWNER, key, span * (owner + 1) + key)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    nodes = PoolNodes.of(program, pool, owner)
    assert nodes.of_arc.tolist() == inverse.reshape(-1).tolist()
    assert nodes.program.tolist() == program[first].tolist()
    assert nodes.pool.tolist() == pool[first].tolist()
