"""The solver's network of a scenario, as ``matcher.solver.solve`` builds it, for tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.capacity.pools import pools_of
from matcher.money import budget_cents, price_cents
from matcher.rules.arcs import Arcs, candidate_arcs
from matcher.rules.tables import IntArray, Tables, build_tables
from matcher.scenario import Scenario
from matcher.solver.greedy import greedy
from matcher.solver.solve import program_nodes


@dataclass(frozen=True)
class Network:
    """Tables, arcs, each arc's pool node, node capacities, prices in cents, the budget."""

    tables: Tables
    arcs: Arcs
    node: IntArray
    capacity: IntArray
    cents: IntArray
    budget: int

    @property
    def acute(self) -> np.ndarray:
        """Per need: is it acute."""
        return self.tables.needs.acute

    def greedy(
        self, start: np.ndarray | None = None, eligible: np.ndarray | None = None
    ) -> np.ndarray:
        """The solver's greedy on this network."""
        return greedy(
            self.tables,
            self.arcs,
            self.node,
            self.capacity,
            self.cents,
            self.budget,
            start,
            eligible,
        )


def network_of(scenario: Scenario) -> Network:
    """The network ``solve`` builds for ``scenario``."""
    tables = build_tables(scenario)
    pools = pools_of(scenario.programs, scenario.participants)
    arcs = candidate_arcs(tables, pools)
    nodes, capacity = program_nodes(tables, arcs, pools)
    cents = price_cents(arcs.price)
    return Network(tables, arcs, nodes.of_arc, capacity, cents, budget_cents(scenario.fund.budget))
