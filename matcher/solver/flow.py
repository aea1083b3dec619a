"""Min-cost flow building block (OR-Tools ``SimpleMinCostFlow``, fed with numpy arrays).

Every stage of the solver uses the same network:

    need --(arc: cost, cap 1)--> pool node --(cap: pool size)--> sink

A *free* need has one unit of supply and a zero-cost *skip* arc to the sink, so
leaving it unmet is always possible. A *gated* need has no supply of its own: it
receives its unit from its group's source, whose supply is fixed. Gates are how
a stage keeps an earlier level's optimum: "exactly A acute needs are met".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from matcher.rules.tables import IntArray

BoolArray = npt.NDArray[np.bool_]
FREE = -1


class FlowError(RuntimeError):
    """The flow solver reported something other than an optimum (infeasible or overflow)."""


class OutOfTime(Exception):
    """A flow was not started: it would likely end past the deadline (see ``Clock``)."""


@dataclass
class Clock:
    """The deadline of a solve's flows and how fast flows have run so far.

    A flow cannot be interrupted once started, so before each one (and each part of a
    network solved part by part) the clock predicts its end from its arc count and
    the slowest seconds per arc seen in this solve, and raises ``OutOfTime`` when that
    end is past the deadline. Without a deadline nothing is ever refused, so the
    answer of a solve the limit does not cut short is unchanged.
    """

    deadline: float = math.inf
    per_arc: float = 0.0
    flows: int = 0
    """Flows run to the end (a network solved part by part counts once)."""

    def start(self, arcs: int) -> float:
        """Check that a flow over ``arcs`` arcs may start now; the time it starts."""
        now = time.monotonic()
        if now + arcs * self.per_arc > self.deadline:
            raise OutOfTime
        return now

    def record(self, arcs: int, started: float) -> None:
        """A flow over ``arcs`` arcs that began at ``started`` has ended."""
        if arcs:
            self.per_arc = max(self.per_arc, (time.monotonic() - started) / arcs)


UNLIMITED = Clock()
"""The clock of flows without a deadline (it never refuses, and learns nothing that matters)."""


@dataclass(frozen=True)
class PoolNodes:
    """Distinct (program, pool) nodes used by a set of arcs, and each arc's node."""

    of_arc: IntArray
    program: IntArray
    pool: IntArray

    @staticmethod
    def of(
        program: IntArray, pool: npt.NDArray[np.int8], owner: IntArray | None = None
    ) -> PoolNodes:
        """Number the (program, pool) combinations that appear in the arcs.

        Where ``owner`` is not ``NO_OWNER`` (a participant's own waitlist turn), the
        node is that participant's alone: (owner, program, pool).
        """
        key = program.astype(np.int64) * _POOLS + pool
        span = (int(program.max()) + 1) * _POOLS if len(program) else 0
        if owner is not None:
            key = np.where(owner == NO_OWNER, key, span * (owner + 1) + key)
        # Nodes numbered in key order (as ``np.unique`` would): the shared (program, pool)
        # keys, below ``span``, found without a sort; then the few owned ones, sorted.
        shared = key < span
        present = np.zeros(span, dtype=bool)
        present[key[shared]] = True
        keys = np.concatenate([np.flatnonzero(present), np.unique(key[~shared])])
        of_arc = np.empty(len(key), dtype=np.int64)
        of_arc[shared] = (np.cumsum(present) - 1)[key[shared]]
        of_arc[~shared] = np.searchsorted(keys, key[~shared])
        local = keys % span if span else keys
        return PoolNodes(of_arc, local // _POOLS, local % _POOLS)


_POOLS = 4
NO_OWNER = -1


def assign(
    need: IntArray,
    node: IntArray,
    cost: IntArray,
    node_capacity: IntArray,
    gate: IntArray,
    gate_supply: IntArray,
    clock: Clock = UNLIMITED,
) -> BoolArray:
    """Arcs of a least-cost assignment.

    ``gate[n]`` is ``FREE`` for a need that may stay unmet, else the index of the
    source that feeds it; source ``k`` must place exactly ``gate_supply[k]`` needs.
    Arcs of free needs that cost more than skipping (cost >= 0) are left out: they
    could never be part of an optimum. Raises ``FlowError`` if no flow exists.

    Without gated needs, the parts of the network that share no need and no pool
    are independent: large networks are solved part by part (about twice as fast
    for a state-wide network as one flow over everything).

    ``clock`` may refuse to start a flow, or the next part, that would end past its
    deadline: then ``OutOfTime`` is raised and no answer is returned.
    """
    free = gate == FREE
    if len(need) > _SPLIT_ARCS and free[need].all():
        keep = np.flatnonzero(cost < 0)
        chosen = np.zeros(len(need), dtype=bool)
        for part in _parts(need[keep], node[keep], len(gate), len(node_capacity)):
            idx = keep[part]
            started = clock.start(len(idx))
            chosen[idx] = _assign_one(
                need[idx], node[idx], cost[idx], node_capacity, gate, gate_supply
            )
            clock.record(len(idx), started)
        clock.flows += 1
        return chosen
    started = clock.start(len(need))
    chosen = _assign_one(need, node, cost, node_capacity, gate, gate_supply)
    clock.record(len(need), started)
    clock.flows += 1
    return chosen


# Networks above this many arcs are split into independent parts, packed into
# batches of about this size (one flow per batch; tiny parts share a flow).
_SPLIT_ARCS = 200_000


def _parts(need: IntArray, node: IntArray, n_needs: int, n_nodes: int) -> list[IntArray]:
    """Arc indices grouped into batches of whole connected parts of the network."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    size = n_needs + n_nodes
    graph = coo_matrix((np.ones(len(need)), (need, n_needs + node)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    arc_label = label[need]
    order = np.argsort(arc_label, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(arc_label[order])) + 1)
    batches: list[IntArray] = []
    current: list[IntArray] = []
    filled = 0
    for group in sorted(groups, key=len, reverse=True):
        if current and filled + len(group) > _SPLIT_ARCS:
            batches.append(np.concatenate(current))
            current, filled = [], 0
        current.append(group)
        filled += len(group)
    if current:
        batches.append(np.concatenate(current))
    return batches


def _assign_one(
    need: IntArray,
    node: IntArray,
    cost: IntArray,
    node_capacity: IntArray,
    gate: IntArray,
    gate_supply: IntArray,
) -> BoolArray:
    """``assign`` as one flow over the whole network given."""
    n_gates = len(gate_supply)
    free = gate == FREE
    keep = np.flatnonzero(~free[need] | (cost < 0))
    # Only needs and pool nodes that have an arc enter the network, numbered densely:
    # the flow solver's work grows with every node it is given, used or not.
    needs_in, need_of = _dense(need[keep], len(gate))
    nodes_in, node_of = _dense(node[keep], len(node_capacity))
    n_in = len(needs_in)
    first_node = n_in
    first_gate = n_in + len(nodes_in)
    sink = first_gate + n_gates
    is_free = free[needs_in]
    free_ids = np.flatnonzero(is_free)
    gated_ids = np.flatnonzero(~is_free)
    tails = np.concatenate(
        [
            need_of,
            first_node + np.arange(len(nodes_in)),
            free_ids,
            first_gate + gate[needs_in[gated_ids]],
        ]
    )
    heads = np.concatenate(
        [
            first_node + node_of,
            np.full(len(nodes_in), sink),
            np.full(len(free_ids), sink),
            gated_ids,
        ]
    )
    caps = np.concatenate(
        [
            np.ones(len(keep)),
            node_capacity[nodes_in],
            np.ones(len(free_ids)),
            np.ones(len(gated_ids)),
        ]
    ).astype(np.int64)
    costs = np.concatenate(
        [cost[keep], np.zeros(len(nodes_in) + len(free_ids) + len(gated_ids), dtype=np.int64)]
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[free_ids] = 1
    supplies[first_gate:sink] = gate_supply
    supplies[sink] = -(len(free_ids) + int(gate_supply.sum()))
    chosen = np.zeros(len(need), dtype=bool)
    if len(tails) == 0:
        return chosen
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    mcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise FlowError(f"min-cost flow ended with status {status}")
    flows = np.asarray(mcf.flows(arcs[: len(keep)]), dtype=np.int64)
    chosen[keep] = flows > 0
    return chosen


def _dense(ids: IntArray, size: int) -> tuple[IntArray, IntArray]:
    """The distinct ids (sorted) and each id's position among them, in linear time."""
    present = np.zeros(size, dtype=bool)
    present[ids] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return distinct, position[ids]
