"""Small-cell suppression with complementary suppression, for every funder-facing count.

A funder sees counts of people (unmet needs by service type and neighbourhood,
say), never individuals. A count from 1 to 10 could point at someone, so it is
suppressed (*primary*). Publishing row and column totals would then let anyone
recover a lone suppressed cell by subtraction, so more cells are suppressed
(*complementary*) until no suppressed value can be worked out exactly from the
published ones.

The table is taken with its margins: cells, row totals, column totals and the
grand total, every row and column of that extended table adding up. For such a
two-way table, the unknown (suppressed) cells are the edges of a bipartite graph
between rows and columns, and an unknown is determined by the published values
exactly when its edge is a *bridge* (it lies on no cycle). So the rule is: keep
suppressing, cheapest first, until no suppressed cell is a bridge. The tests
check the outcome independently, with linear algebra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

SUPPRESSED_RANGE = (1, 10)
TOTAL = "total"

IntMatrix = npt.NDArray[np.int64]
BoolMatrix = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SuppressedTable:
    """A count table with margins; ``shown`` has ``<NA>`` where a count is suppressed."""

    shown: pd.DataFrame
    suppressed: pd.DataFrame
    primary: int
    complementary: int


def suppress(counts: pd.DataFrame, low: int = 1, high: int = 10) -> SuppressedTable:
    """Add row and column totals to ``counts`` and suppress what could identify people."""
    if (counts.to_numpy() < 0).any():
        raise ValueError("counts: must be >= 0")
    table = counts.copy()
    table[TOTAL] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum(axis=0)
    values = table.to_numpy(dtype=np.int64)
    hidden = (values >= low) & (values <= high)
    primary = int(hidden.sum())
    _protect(values, hidden)
    shown = table.astype("Int64").mask(hidden)
    return SuppressedTable(
        shown=shown,
        suppressed=pd.DataFrame(hidden, index=table.index, columns=table.columns),
        primary=primary,
        complementary=int(hidden.sum()) - primary,
    )


def _protect(values: IntMatrix, hidden: BoolMatrix) -> None:
    """Suppress more cells, in place, until no suppressed cell is a bridge."""
    while True:
        bridge = _first_bridge(hidden)
        if bridge is None:
            return
        _close_cycle(values, hidden, *bridge)


def _close_cycle(values: IntMatrix, hidden: BoolMatrix, r: int, c: int) -> None:
    """Put cell (r, c) on a cycle at the least cost: one more cell in its row and its
    column when they meet a suppressed cell, else the cheapest rectangle through it."""
    rows, cols = values.shape
    cost = np.where(hidden, 0, values + 1)  # +1: prefer suppressing zeros, never free
    best: tuple[int, list[tuple[int, int]]] | None = None
    for r2 in range(rows):
        if r2 == r:
            continue
        for c2 in range(cols):
            if c2 == c:
                continue
            cells = [(r, c2), (r2, c), (r2, c2)]
            price = sum(int(cost[i, j]) for i, j in cells)
            if best is None or price < best[0]:
                best = (price, cells)
    if best is None:
        # A single row or column: every cell in it must be hidden with (r, c).
        for i, j in np.argwhere(np.ones_like(hidden)):
            hidden[i, j] = True
        return
    for i, j in best[1]:
        hidden[i, j] = True


def _first_bridge(hidden: BoolMatrix) -> tuple[int, int] | None:
    """A suppressed cell on no cycle of the row-column graph, or None."""
    rows = hidden.shape[0]
    edges = [(int(i), int(j)) for i, j in np.argwhere(hidden)]
    if not edges:
        return None
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for k, (i, j) in enumerate(edges):
        adjacency.setdefault(i, []).append((rows + j, k))
        adjacency.setdefault(rows + j, []).append((i, k))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    for root in adjacency:
        if root in order:
            continue
        found = _bridges_from(root, adjacency, order, low)
        if found is not None:
            return edges[found]
    return None


def _bridges_from(
    root: int,
    adjacency: dict[int, list[tuple[int, int]]],
    order: dict[int, int],
    low: dict[int, int],
) -> int | None:
    """Iterative Tarjan bridge search from ``root``; the first bridge's edge index."""
    order[root] = low[root] = len(order)
    stack: list[tuple[int, int, int]] = [(root, -1, 0)]
    while stack:
        node, via, nxt = stack[-1]
        links = adjacency[node]
        if nxt < len(links):
            stack[-1] = (node, via, nxt + 1)
            other, edge = links[nxt]
            if edge == via:
                continue
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, edge, 0))
            continue
        stack.pop()
        if stack:
            parent = stack[-1][0]
            low[parent] = min(low[parent], low[node])
            if low[node] > order[parent]:
                return via
    return None
