"""A horizon of events: who arrives when, which places exist when, and the fund's money.

Everything is drawn from one seed on top of ``matcher.generate``: the programs and
the participants' needs are a generated scenario; the horizon adds time.

- Participants arrive on days spread evenly at random over the horizon (in
  arrival order: participant ``i`` arrives no later than ``i + 1``) and stay
  active for a while (exponential, ``stay_days`` on average); a need still unmet
  when its participant exits leaves the queue.
- Unused general places appear at programs that report capacity (the scenario's
  unused places on day 0, then a Poisson stream whose total over the horizon is
  ``supply`` places per arriving need, slower where a community waitlist takes
  most openings) and disappear after a while (exponential, ``lifetime_days``)
  when nobody takes them: the provider reports them gone or they go to the
  community.
- Places the fund already paid for (``lead_reserved``) and places it may buy
  (``purchase``, at fundable programs, priced) exist all horizon long.
- The fund's money arrives in top-ups: part on day 0 and the rest in equal
  quarterly instalments; a purchase on day ``t`` may spend only what has
  arrived by ``t``.
- A funder's purchase plan (``plan``: places per program) buys on day 0, from the
  fund's first instalments, places that are then LEAD's all year
  (``lead_reserved``); each program must be fundable and sell that many places.

Each place is one *slot*: a (program, pool) node, the half-open window of days
``[appear, vanish)`` in which it can be taken, and its price. A need waits in
the window ``[arrive, exit)`` of its participant; it can take a slot of one of
its candidate arcs' nodes on any day in both windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from matcher.capacity.pools import Pool, Pools, pools_of, unused_places
from matcher.generate import GenerateOptions, generate
from matcher.money import budget_cents, price_cents
from matcher.rules.arcs import Arcs, candidate_arcs
from matcher.rules.tables import IntArray, Tables, build_tables
from matcher.scenario import Scenario, parse_scenario
from matcher.solver.flow import PoolNodes
from matcher.solver.preferences import arc_penalty

BoolArray = npt.NDArray[np.bool_]

FIRST_INSTALMENT = 0.4
INSTALMENTS = 4
WAITLIST_SLOWDOWN = 0.3


@dataclass(frozen=True)
class SimOptions:
    """Size, seed and the shape of the event streams (see the module docstring)."""

    days: int = 365
    participants: int = 1000
    programs: int = 100
    seed: int = 0
    budget: float | None = None
    """The fund's money over the whole horizon; None: the generated scenario's budget."""
    supply: float = 0.5
    stay_days: float = 60.0
    lifetime_days: float = 14.0
    retry_days: int = 7
    """How often a case manager asks again for a participant's unmet needs (``request``)."""
    hold: float | None = None
    """``priced`` only: keep from needs that are not acute the places an acute need wants
    before they vanish with a chance above this (see ``potentials``); None: never."""
    plan: tuple[tuple[str, int], ...] = ()
    """Places to buy on day 0, as (program id, places)."""


class PlanInvalid(ValueError):
    """A purchase plan the horizon cannot carry out (the message names the entry and rule)."""


@dataclass(frozen=True)
class Horizon:
    """The scenario, its candidate arcs, and when everything exists."""

    options: SimOptions
    scenario: Scenario
    tables: Tables
    arcs: Arcs
    node: IntArray
    """Each arc's (program, pool) node."""
    node_program: IntArray
    node_pool: IntArray
    cents: IntArray
    """Each arc's price in cents (0 unless a purchase)."""
    penalty: IntArray
    """Each arc's level-4 preference penalty."""
    arrive: IntArray
    """Per participant: the day they arrive (non-decreasing)."""
    exit: IntArray
    """Per participant: the first day they are no longer active (at most ``days``)."""
    slot_node: IntArray
    slot_appear: IntArray
    slot_vanish: IntArray
    topup_day: IntArray
    topup_cents: IntArray

    @property
    def days(self) -> int:
        """Length of the horizon in days."""
        return self.options.days

    @property
    def need_arrive(self) -> IntArray:
        """Per need: the day it starts waiting."""
        return self.arrive[self.tables.needs.participant]

    @property
    def need_exit(self) -> IntArray:
        """Per need: the first day it no longer waits."""
        return self.exit[self.tables.needs.participant]

    def budget_by(self, day: int) -> int:
        """Cents the fund has received up to and including ``day``."""
        return int(self.topup_cents[self.topup_day <= day].sum())

    @property
    def total_budget_cents(self) -> int:
        """Every top-up of the horizon together."""
        return int(self.topup_cents.sum())


def generate_horizon(options: SimOptions) -> Horizon:
    """The seeded horizon of ``options`` (see the module docstring)."""
    return horizon_from(_scenario(options, history=False), options, stream=1)


def history_horizon(options: SimOptions) -> Horizon:
    """A second horizon on the same programs, with other participants and events: what a
    site's ledger would show of an earlier year (``priced`` learns its potentials here)."""
    return horizon_from(_scenario(options, history=True), options, stream=2)


def _scenario(options: SimOptions, *, history: bool) -> Scenario:
    """The generated scenario; the history's participants are drawn after the horizon's,
    so both share the programs (the generator draws programs first)."""
    data = generate(
        GenerateOptions(
            participants=2 * options.participants,
            programs=options.programs,
            seed=options.seed,
            budget=options.budget,
        )
    )
    people = data["participants"]
    half = options.participants
    data["participants"] = people[half:] if history else people[:half]
    return parse_scenario(data)


def horizon_from(scenario: Scenario, options: SimOptions, *, stream: int) -> Horizon:
    """The horizon of a given scenario: arrivals, exits, slots and top-ups drawn from
    ``(options.seed, stream)``."""
    rng = np.random.default_rng([options.seed, stream])
    days = options.days
    tables = build_tables(scenario)
    pools = pools_of(scenario.programs, scenario.participants)
    n_people = len(scenario.participants)
    arrive = np.sort(rng.integers(0, days, n_people)).astype(np.int64)
    stay = np.ceil(rng.exponential(options.stay_days, n_people)).astype(np.int64)
    exit_day = np.minimum(arrive + np.maximum(stay, 1), days)

    initial = np.array([unused_places(g.capacity) for g in scenario.programs], dtype=np.int64)
    weight = np.array(
        [
            (1 + (g.capacity.open_slots or 0))
            * (WAITLIST_SLOWDOWN if g.capacity.waitlist > 0 else 1.0)
            for g in scenario.programs
        ]
    )
    weight = np.where(pools.reported, weight, 0.0)
    total = options.supply * tables.needs.size
    rate = weight / weight.sum() * total if weight.sum() > 0 else weight
    openings = rng.poisson(rate)
    general_program = np.concatenate(
        [np.repeat(np.arange(len(initial)), initial), np.repeat(np.arange(len(rate)), openings)]
    )
    general_appear = np.concatenate(
        [np.zeros(int(initial.sum()), np.int64), rng.integers(0, days, int(openings.sum()))]
    )
    life = np.ceil(rng.exponential(options.lifetime_days, len(general_program))).astype(np.int64)
    general_vanish = np.minimum(general_appear + np.maximum(life, 1), days)

    bought, plan_cents = _bought(scenario, pools, options.plan)
    pools = replace(
        pools, lead_reserved=pools.lead_reserved + bought, purchase=pools.purchase - bought
    )
    # Arcs to every node that ever has a slot: pools sized 1 where any slot exists.
    ever = replace(
        pools,
        general=np.bincount(general_program, minlength=len(initial)).clip(max=1),
        turns=np.zeros(0, np.int64),
        turn_count=np.zeros(len(initial), np.int64),
    )
    arcs = candidate_arcs(tables, ever)
    nodes = PoolNodes.of(arcs.program, arcs.pool)
    key = nodes.program * len(Pool) + nodes.pool

    def node_of(program: IntArray, pool: Pool) -> tuple[IntArray, BoolArray]:
        where = np.searchsorted(key, program * len(Pool) + int(pool))
        where = np.minimum(where, max(len(key) - 1, 0))
        found = key[where] == program * len(Pool) + int(pool) if len(key) else where < 0
        return where.astype(np.int64), np.asarray(found)

    paid_program = np.repeat(np.arange(len(initial)), pools.lead_reserved)
    bought_program = np.repeat(np.arange(len(initial)), pools.purchase)
    parts = [
        (general_program, Pool.GENERAL, general_appear, general_vanish),
        (paid_program, Pool.LEAD_RESERVED, None, None),
        (bought_program, Pool.PURCHASE, None, None),
    ]
    slot_node, slot_appear, slot_vanish = [], [], []
    for program, pool, appear, vanish in parts:
        node, found = node_of(program.astype(np.int64), pool)
        count = len(program)
        appear = np.zeros(count, np.int64) if appear is None else appear
        vanish = np.full(count, days, np.int64) if vanish is None else vanish
        # A slot no need could ever use (no arc reaches its node) is left out.
        slot_node.append(node[found])
        slot_appear.append(appear[found])
        slot_vanish.append(vanish[found])

    budget = budget_cents(scenario.fund.budget)
    if plan_cents > budget:
        raise PlanInvalid(
            f"the plan costs {plan_cents / 100:,.2f}, more than the fund's {budget / 100:,.2f}"
        )
    first = int(budget * FIRST_INSTALMENT)
    rest = budget - first
    instalments = np.array([first] + [rest // (INSTALMENTS - 1)] * (INSTALMENTS - 1), np.int64)
    instalments[-1] += rest - int(instalments[1:].sum())
    # The plan is paid on day 0 from the first instalments, brought forward as needed.
    paid = np.minimum(instalments, np.maximum(plan_cents - np.cumsum(instalments) + instalments, 0))
    instalments -= paid
    topup_day = np.array(
        [0] + [math.floor(days * k / INSTALMENTS) for k in range(1, INSTALMENTS)], np.int64
    )
    slots = (np.concatenate(slot_node), np.concatenate(slot_appear), np.concatenate(slot_vanish))
    return assemble(
        options, scenario, tables, arcs, nodes, (arrive, exit_day), slots, (topup_day, instalments)
    )


def assemble(
    options: SimOptions,
    scenario: Scenario,
    tables: Tables,
    arcs: Arcs,
    nodes: PoolNodes,
    stays: tuple[IntArray, IntArray],
    slots: tuple[IntArray, IntArray, IntArray],
    topups: tuple[IntArray, IntArray],
) -> Horizon:
    """A horizon from its arcs and their (program, pool) nodes, its participants'
    (arrive, exit) days, its slots' (node, appear, vanish) and its (day, cents)
    top-ups; what follows from the arcs (prices in cents, preference penalties) is
    derived here, the same for a generated horizon and a replayed one."""
    return Horizon(
        options=options,
        scenario=scenario,
        tables=tables,
        arcs=arcs,
        node=nodes.of_arc,
        node_program=nodes.program,
        node_pool=nodes.pool,
        cents=price_cents(arcs.price),
        penalty=arc_penalty(tables, arcs),
        arrive=stays[0],
        exit=stays[1],
        slot_node=slots[0],
        slot_appear=slots[1],
        slot_vanish=slots[2],
        topup_day=topups[0],
        topup_cents=topups[1],
    )


def _bought(
    scenario: Scenario, pools: Pools, plan: tuple[tuple[str, int], ...]
) -> tuple[IntArray, int]:
    """Places the plan buys per program, and their cost in cents."""
    index = {g.id: j for j, g in enumerate(scenario.programs)}
    bought = np.zeros(len(scenario.programs), dtype=np.int64)
    for program_id, places in plan:
        j = index.get(program_id)
        if j is None:
            raise PlanInvalid(f"{program_id}: no such program")
        if places < 0:
            raise PlanInvalid(f"{program_id}: places must be >= 0")
        if not pools.fundable[j]:
            raise PlanInvalid(f"{program_id}: sets a barrier, so the fund may not buy there")
        bought[j] += places
        if bought[j] > pools.purchase[j]:
            raise PlanInvalid(
                f"{program_id}: sells {int(pools.purchase[j])} place(s) to the fund, "
                f"not {bought[j]}"
            )
    cents = int((bought * price_cents(pools.price)).sum())
    return bought, cents
