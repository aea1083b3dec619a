"""The purchase planner against the naive plan on generated instances.

``python -m benchmarks.planner --sizes site,county --seed 1``

For each size the generated scenario is solved as it stands (with its own fund);
then new money of a quarter, a half and all of that fund is planned both ways on
the same unmet needs, and both plans are scored by the same matcher. Prints needs
met, acute needs met, spend, needs met per 1,000 spent and the ratio exact/naive.
"""

from __future__ import annotations

import argparse
import time

from matcher.assignment import build_assignment
from matcher.funding.planner import exact_plan, naive_plan, planning_scenario
from matcher.generate import GenerateOptions, generate
from matcher.scenario import parse_scenario
from matcher.solver.solve import SolverOptions, solve

SIZES = {"site": (1_000, 100), "county": (10_000, 1_000)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="site,county")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print("| size | new money | plan | needs met | acute met | spend | per 1,000 | seconds |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    ratios = []
    for size in args.sizes.split(","):
        people, programs = SIZES[size]
        scenario = parse_scenario(
            generate(GenerateOptions(participants=people, programs=programs, seed=args.seed))
        )
        answer = build_assignment(solve(scenario, SolverOptions(time_limit=300)))
        for share in (0.25, 0.5, 1.0):
            budget = round(scenario.fund.budget * share, 2)
            planning = planning_scenario(scenario, answer, budget)
            row = []
            for method in (exact_plan, naive_plan):
                start = time.perf_counter()
                plan = method(planning, budget)
                seconds = time.perf_counter() - start
                row.append(plan)
                print(
                    f"| {size} | {budget:,.0f} | {plan.method} | {plan.needs_met} | "
                    f"{plan.acute_met} | "
                    f"{plan.spend:,.0f} | {plan.per_thousand:.3f} | {seconds:.2f} |"
                )
            exact, naive = row
            ratios.append(
                (
                    size,
                    budget,
                    exact.per_thousand / naive.per_thousand if naive.per_thousand else None,
                    exact.acute_met - naive.acute_met,
                )
            )
    print()
    for size, budget, ratio, acute in ratios:
        shown = f"{ratio:.2f}x" if ratio is not None else "n/a"
        print(f"{size} {budget:,.0f}: needs met per 1,000 exact/naive {shown}; acute {acute:+d}")


if __name__ == "__main__":
    main()
