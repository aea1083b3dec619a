"""The part of a scenario an event touches: what an incremental re-solve needs. Pure.

Levels 1-3 of the solver (acute needs met, needs met, spend) are sums over the
connected parts of the need-program network: no constraint links two needs except
through a pool they could both use, or through the fund's budget. So when capacity
appears at some programs, only the part of the network connected to them can change
its optimum; solving that part alone gives the same levels 1-3 as solving the whole.

The part is found on service types, before any arc is built (building every arc is
most of a solve's time): starting from the programs' service types, a need with one
of the types brings in all of its types, and a program offering one brings in all of
its own, until nothing new comes in. While the fund can pay for anything, every
program where places can be bought shares the budget, so they join together. The
result is a superset of the exact connected part (rules may cut arcs that types
allow) and therefore exact.
"""

from __future__ import annotations

from collections.abc import Collection

from matcher.scenario import Program, Scenario


def _buys(program: Program, budget: float) -> bool:
    return budget > 0 and program.fundable and program.capacity.purchasable > 0


def touched_types(scenario: Scenario, program_ids: Collection[str]) -> set[str]:
    """Service types connected to the programs ``program_ids`` through needs, programs
    and (while money is left) the fund's budget."""
    wanted = set(program_ids)
    types: set[str] = set()
    budget = scenario.fund.budget
    groups = [set(g.service_types) for g in scenario.programs]
    groups += [set(n.service_types) for p in scenario.participants for n in p.needs]
    seeds = [g for g in scenario.programs if g.id in wanted]
    if any(_buys(g, budget) for g in seeds):
        seeds += [g for g in scenario.programs if _buys(g, budget)]
    for program in seeds:
        types |= set(program.service_types)
    buying = {t for g in scenario.programs if _buys(g, budget) for t in g.service_types}
    while True:
        grown = set(types)
        for group in groups:
            if group & grown:
                grown |= group
        if grown & buying:
            grown |= buying
        if grown == types:
            return types
        types = grown


def touched_part(scenario: Scenario, program_ids: Collection[str]) -> Scenario:
    """The sub-scenario whose optimum an event at ``program_ids`` can change: the
    programs and needs of ``touched_types`` (participants keep only those needs)."""
    types = touched_types(scenario, program_ids)
    programs = [g for g in scenario.programs if types & set(g.service_types)]
    people = []
    for person in scenario.participants:
        needs = [n for n in person.needs if types & set(n.service_types)]
        if needs:
            people.append(person.model_copy(update={"needs": needs}))
    return scenario.model_copy(update={"programs": programs, "participants": people})
