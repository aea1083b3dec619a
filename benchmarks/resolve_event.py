"""One capacity event: re-solving the part it touches against re-solving the whole queue.

``python -m benchmarks.resolve_event --size county --seed 1 --events 15``

A generated instance is solved once, and its optimum taken as offered: the places it
uses are held, the money it spends is gone, and the needs it meets leave the queue.
That is the queue as the re-solve job leaves it. Then, one at a time, a program
chosen at random (seeded) reports one more free place, and the queue is re-solved
twice: the whole of it, and only the part the event touches (``matcher.part``, one
round; the time to find the part counts), with the network of possible arcs kept
from the queue before the event (only the program's room recomputed) and, apart,
built again from the scenario. All are timed in this process, after the scenario is
built (reading the store is the same for all and is not counted), and levels 1-3 of
the part and the whole are compared. Prints the median and 90th percentile of each, their ratio, and
the size of the parts.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

import numpy as np

from matcher.assignment import Assignment, build_assignment
from matcher.generate import GenerateOptions, generate
from matcher.part import network_of, touched_part
from matcher.scenario import Scenario, parse_scenario
from matcher.solver.solve import SolverOptions, solve

SIZES = {"site": (1_000, 100), "county": (10_000, 1_000)}
FREE_PLACE = ("general", "waitlist_turn")


def offered(scenario: Scenario, answer: Assignment) -> Scenario:
    """The queue after ``answer`` was offered: its places held, its spend gone, its
    needs out of the queue."""
    used: dict[str, Counter[str]] = {}
    for a in answer.assignments:
        used.setdefault(a.program_id, Counter())[a.pool] += 1
    programs = []
    for g in scenario.programs:
        taken = used.get(g.id, Counter())
        cap = g.capacity
        programs.append(
            g.model_copy(
                update={
                    "capacity": cap.model_copy(
                        update={
                            "held": cap.held + sum(taken[p] for p in FREE_PLACE),
                            "lead_reserved_open": cap.lead_reserved_open - taken["lead_reserved"],
                            "purchasable": cap.purchasable - taken["purchase"],
                        }
                    )
                }
            )
        )
    met = {a.need_id for a in answer.assignments}
    people = [
        p.model_copy(update={"needs": [n for n in p.needs if n.id not in met]})
        for p in scenario.participants
    ]
    fund = scenario.fund.model_copy(
        update={"budget": max(0.0, scenario.fund.budget - answer.objective.spend)}
    )
    return scenario.model_copy(update={"programs": programs, "participants": people, "fund": fund})


def one_more_place(scenario: Scenario, program_id: str) -> Scenario:
    """The queue after ``program_id`` reported one more free place."""
    programs = [
        g.model_copy(
            update={
                "capacity": g.capacity.model_copy(
                    update={"open_slots": (g.capacity.open_slots or 0) + 1}
                )
            }
        )
        if g.id == program_id
        else g
        for g in scenario.programs
    ]
    return scenario.model_copy(update={"programs": programs})


def _levels(answer: Assignment) -> tuple[int, int, float]:
    o = answer.objective
    return (o.acute_matched, o.matched, o.spend)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="county", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--events", type=int, default=15)
    args = parser.parse_args(argv)
    people, count = SIZES[args.size]
    options = SolverOptions(time_limit=300)
    scenario = parse_scenario(
        generate(GenerateOptions(participants=people, programs=count, seed=args.seed))
    )
    queue = offered(scenario, build_assignment(solve(scenario, options)))
    rng = np.random.default_rng(args.seed)
    ids = [g.id for g in queue.programs if g.capacity.open_slots is not None]
    kept = network_of(queue)  # the re-solve keeps its network from event to event
    whole_ms, part_ms, built_ms, sizes = [], [], [], []
    same = 0
    for program_id in rng.choice(ids, size=args.events, replace=False):
        event = one_more_place(queue, str(program_id))
        start = time.perf_counter()
        whole = build_assignment(solve(event, options))
        whole_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        changed = next(g for g in event.programs if g.id == program_id)
        network = kept.with_program(changed, event.fund.budget)
        part = touched_part(event, [str(program_id)], rounds=1, network=network)
        inside = build_assignment(solve(part, options)) if part.participants else None
        part_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        network_of(event)
        built_ms.append(part_ms[-1] + (time.perf_counter() - start) * 1000)
        sizes.append((len(part.programs), sum(len(p.needs) for p in part.participants)))
        if inside is None:
            same += _levels(whole) == (0, 0, 0.0)
        else:
            same += _levels(whole) == _levels(inside)
    queued = sum(len(p.needs) for p in queue.participants)
    print(
        f"{args.size}: {people:,} participants, {count:,} programs; queue after the optimum "
        f"{queued:,} needs, budget left {queue.fund.budget:,.2f}; {args.events} events, seed "
        f"{args.seed}"
    )
    part_shape = (int(np.median([s[0] for s in sizes])), int(np.median([s[1] for s in sizes])))
    print("| re-solve | median ms | p90 ms | programs | needs in queue |")
    print("|---|---:|---:|---:|---:|")
    for name, times, shape in (
        ("whole queue", whole_ms, (len(queue.programs), queued)),
        ("touched part, network kept", part_ms, part_shape),
        ("touched part, network built", built_ms, part_shape),
    ):
        median, p90 = statistics.median(times), float(np.percentile(times, 90))
        print(f"| {name} | {median:,.1f} | {p90:,.1f} | {shape[0]:,} | {shape[1]:,} |")
    kept_x = statistics.median(whole_ms) / statistics.median(part_ms)
    built_x = statistics.median(whole_ms) / statistics.median(built_ms)
    print(
        f"median speed-up {kept_x:,.1f}x (network kept), {built_x:,.1f}x (network built); "
        f"identical levels 1-3 in {same} of {args.events} events"
    )


if __name__ == "__main__":
    main()
