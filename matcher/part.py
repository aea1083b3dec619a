"""The part of a scenario an event touches: what an incremental re-solve needs. Pure.

Levels 1-3 of the solver (acute needs met, needs met, spend) are sums over the
connected parts of the need-program network: no constraint links two needs except
through a pool they could both use, or through the fund's budget. The part is found
on *possible arcs*, before any arc is built (building every arc is most of a
solve's time): a need and a program are linked when the program has room (a free
place not held, a LEAD-reserved place, or a place the fund can afford), offers one
of the need's service types, and lies within the participant's travel limit. Rules
cut more arcs than that, so the part is a superset of the exact one.

``rounds=None`` follows links until nothing new comes in: the connected part, whose
optimum equals that of the whole whatever happened before. The queue's re-solve uses
one round (programs, the needs they reach, the programs with room those reach),
warm-started from its last solution: every earlier optimum was offered as it was
found, so before the event no waiting need could use any room left (else that
optimum would have met it), and the only ways to meet more are a waiting need taking
the new room, a need that just entered the queue (a plan's new need, or one whose
referral was let go, at the program that signalled) taking room it reaches, or one
of those needs taking room elsewhere: all within one round. While the fund can
afford a place, every program where places can be bought shares the budget, so
reaching one reaches them all.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from matcher.rules.geography import haversine_km
from matcher.scenario import Capacity, Need, Program, Scenario

SLACK_KM = 0.5
"""Added to each travel limit when searching: the part must never miss an arc."""

Masks = npt.NDArray[np.uint64]


def _buys(program: Program, budget: float) -> bool:
    return buys_with(program.capacity, program.fundable, budget)


def buys_with(cap: Capacity, fundable: bool, budget: float) -> bool:
    """Whether the fund can buy a place with this capacity now."""
    return fundable and cap.purchasable > 0 and 0 < cap.price <= budget


def has_room(program: Program, budget: float) -> bool:
    """Whether any pool of the program can take someone now (a program without room
    is no arc of the network: it links nothing)."""
    return room_with(program.capacity, program.fundable, budget)


def room_with(cap: Capacity, fundable: bool, budget: float) -> bool:
    """``has_room`` of a program with capacity ``cap`` (``fundable``: it may be bought)."""
    free = (cap.open_slots or 0) - cap.held
    return free > 0 or cap.lead_reserved_open > 0 or buys_with(cap, fundable, budget)


@dataclass(frozen=True)
class Network:
    """Programs and needs as arrays: service types as bit masks, places, limits."""

    programs: list[Program]
    needs: list[tuple[int, Need]]
    p_types: Masks
    n_types: Masks
    p_lat: npt.NDArray[np.float64]
    p_lon: npt.NDArray[np.float64]
    n_lat: npt.NDArray[np.float64]
    n_lon: npt.NDArray[np.float64]
    limit: npt.NDArray[np.float64]
    room: npt.NDArray[np.bool_]
    buys: npt.NDArray[np.bool_]

    def with_program(self, program: Program, budget: float) -> Network:
        """The network after one program's capacity changed (same programs and needs):
        only its room is computed again, so a kept network answers the next event."""
        at = next(i for i, g in enumerate(self.programs) if g.id == program.id)
        programs = [*self.programs[:at], program, *self.programs[at + 1 :]]
        room, buys = self.room.copy(), self.buys.copy()
        room[at], buys[at] = has_room(program, budget), _buys(program, budget)
        return replace(self, programs=programs, room=room, buys=buys)

    def links(
        self, need: npt.NDArray[np.int64], prog: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        """``[need, program]``: a shared service type within the need's travel limit."""
        if len(need) == 0 or len(prog) == 0:
            return np.zeros((len(need), len(prog)), dtype=bool)
        shared = ((self.n_types[need][:, None, :] & self.p_types[prog][None, :, :]) != 0).any(
            axis=2
        )
        rows, cols = np.nonzero(shared)  # the distance only where a type is shared
        n, g = need[rows], prog[cols]
        near = haversine_km(self.n_lat[n], self.n_lon[n], self.p_lat[g], self.p_lon[g])
        out: npt.NDArray[np.bool_] = np.zeros(shared.shape, dtype=bool)
        out[rows, cols] = near <= self.limit[n]
        return out

    def with_capacities(self, capacities: Sequence[Capacity], budget: float) -> Network:
        """The network at another moment: the programs' ``capacities`` now (in their
        order) and the fund's ``budget`` give room again."""
        fundable = [g.fundable for g in self.programs]
        return replace(
            self,
            room=np.array(
                [room_with(c, f, budget) for c, f in zip(capacities, fundable, strict=True)],
                dtype=bool,
            ),
            buys=np.array(
                [buys_with(c, f, budget) for c, f in zip(capacities, fundable, strict=True)],
                dtype=bool,
            ),
        )

    def only_needs(self, keep: npt.NDArray[np.bool_]) -> Network:
        """The network with only the needs marked (the rest left the queue)."""
        at = np.flatnonzero(keep)
        return replace(
            self,
            needs=[self.needs[k] for k in at.tolist()],
            n_types=self.n_types[at],
            n_lat=self.n_lat[at],
            n_lon=self.n_lon[at],
            limit=self.limit[at],
        )


def _masks(groups: Sequence[Collection[str]], codes: dict[str, int]) -> Masks:
    out = np.zeros((len(groups), max(1, (len(codes) + 63) // 64)), dtype=np.uint64)
    for i, kinds in enumerate(groups):
        for kind in kinds:
            code = codes[kind]
            out[i, code // 64] |= np.uint64(1) << np.uint64(code % 64)
    return out


def network_of(scenario: Scenario) -> Network:
    """The possible arcs of ``scenario`` as arrays, to search once or keep between events."""
    programs = list(scenario.programs)
    people = scenario.participants
    needs = [(i, n) for i, p in enumerate(people) for n in p.needs]
    kinds = {k for g in programs for k in g.service_types}
    kinds |= {k for _, n in needs for k in n.service_types}
    codes = {k: c for c, k in enumerate(sorted(kinds))}
    limits = [people[i].max_distance_km for i, _ in needs]
    budget = scenario.fund.budget
    return Network(
        programs=programs,
        needs=needs,
        p_types=_masks([g.service_types for g in programs], codes),
        n_types=_masks([n.service_types for _, n in needs], codes),
        p_lat=np.array([g.location.lat for g in programs], dtype=np.float64),
        p_lon=np.array([g.location.lon for g in programs], dtype=np.float64),
        n_lat=np.array([people[i].location.lat for i, _ in needs], dtype=np.float64),
        n_lon=np.array([people[i].location.lon for i, _ in needs], dtype=np.float64),
        limit=np.array([np.inf if km is None else km + SLACK_KM for km in limits]),
        room=np.array([has_room(g, budget) for g in programs], dtype=bool),
        buys=np.array([_buys(g, budget) for g in programs], dtype=bool),
    )


def touched_part(
    scenario: Scenario,
    program_ids: Collection[str],
    need_ids: Collection[str] = (),
    *,
    rounds: int | None = None,
    network: Network | None = None,
) -> Scenario:
    """The sub-scenario an event can change: the programs ``program_ids`` and the
    needs ``need_ids``, and what possible arcs reach from them (programs only where
    they have room) in ``rounds`` rounds (programs to the needs they reach, needs to
    the programs they reach; the needs named join the first round's needs), or all
    the way (``None``). Participants keep only the needs reached. ``network``: the
    scenario's own, when it was kept from an earlier event."""
    net = network or network_of(scenario)
    seen_p, seen_n = reached(net, program_ids, need_ids, rounds=rounds)
    return sub_scenario(scenario, net, seen_p, seen_n)


def sub_scenario(
    scenario: Scenario,
    net: Network,
    seen_p: npt.NDArray[np.bool_],
    seen_n: npt.NDArray[np.bool_],
) -> Scenario:
    """``scenario`` with only the programs and needs marked (``net`` is its network,
    or one with the same programs whose needs are some of the participants'):
    participants keep their needs marked, in their order; those left without one are
    left out."""
    marked = [net.needs[int(k)] for k in np.flatnonzero(seen_n)]
    ids = {n.id for _, n in marked}
    people = []
    for i in sorted({i for i, _ in marked}):
        person = scenario.participants[i]
        found = [n for n in person.needs if n.id in ids]
        people.append(
            person
            if len(found) == len(person.needs)
            else person.model_copy(update={"needs": found})
        )
    kept = [g for g, keep in zip(net.programs, seen_p, strict=True) if keep]
    return scenario.model_copy(update={"programs": kept, "participants": people})


def reached(
    net: Network,
    program_ids: Collection[str],
    need_ids: Collection[str] = (),
    *,
    rounds: int | None = None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which programs and which needs of ``net`` the search of ``touched_part``
    reaches from ``program_ids`` and ``need_ids``."""
    wanted = set(program_ids)
    seen_p = np.array([g.id in wanted for g in net.programs], dtype=bool)
    seen_n = np.zeros(len(net.needs), dtype=bool)
    if need_ids:
        named = set(need_ids)
        seen_n = np.array([n.id in named for _, n in net.needs], dtype=bool)
    frontier_p = np.flatnonzero(seen_p)
    frontier_n = np.flatnonzero(seen_n)
    done = 0
    while (len(frontier_p) or len(frontier_n)) and (rounds is None or done < rounds):
        done += 1
        if len(frontier_p) and net.buys[frontier_p].any():  # the budget links them
            joined = np.flatnonzero(net.buys & ~seen_p)
            seen_p[joined] = True
            frontier_p = np.union1d(frontier_p, joined)
        open_n = np.flatnonzero(~seen_n)
        found_n = open_n[net.links(open_n, frontier_p).any(axis=1)]
        seen_n[found_n] = True
        reaching = np.union1d(found_n, frontier_n)
        open_p = np.flatnonzero(~seen_p & net.room)
        frontier_p = open_p[net.links(reaching, open_p).any(axis=0)]
        seen_p[frontier_p] = True
        frontier_n = np.zeros(0, dtype=np.int64)
    return seen_p, seen_n
