"""A year of matching over time: each policy against the hindsight optimum.

``python -m benchmarks.simulate --sizes site --seeds 1,2,3,4,5 [--hold 0,0.5]``

For each size and seed, one horizon (``matcher.simulate``: 365 days, the size's
participants arriving, its programs) is solved in hindsight and run under
``request``, ``resolve``, ``priced`` and, for each value of ``--hold``, ``priced``
holding places from needs that are not acute (``--hold 0`` holds every place an
acute need might want: the most acute needs holding can meet). The table reports,
per answer, the medians over the seeds of acute needs met, needs met, the ratios to
hindsight (each seed's ratio, then the median), days waited (medians of each seed's
median and 90th percentile), displacement (the largest over the seeds) and the wall
time of one run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from benchmarks.report import machine, today
from matcher.simulate.hindsight import hindsight
from matcher.simulate.horizon import Horizon, SimOptions, generate_horizon, history_horizon
from matcher.simulate.metrics import ratio, summary
from matcher.simulate.policies import Outcome, run_policy
from matcher.simulate.potentials import Learned, learn

SIZES = {"site": (1_000, 100), "county": (10_000, 1_000)}


def one_seed(size: str, seed: int, holds: Sequence[float] = ()) -> dict[str, dict[str, Any]]:
    """Every answer's summary (with ratios and seconds) on one seed's horizon."""
    horizon, learned = seeded(size, seed)
    runs: dict[str, Callable[[], Outcome]] = {
        "hindsight": lambda: hindsight(horizon),
        "request": lambda: run_policy(horizon, "request"),
        "resolve": lambda: run_policy(horizon, "resolve"),
        "priced": lambda: run_policy(horizon, "priced", learned),
    }
    for hold in holds:
        runs[f"priced, hold {hold:g}"] = partial(run_policy, horizon, "priced", learned, hold)
    return measure(horizon, runs)


def seeded(
    size: str, seed: int, lifetime_days: float = SimOptions.lifetime_days
) -> tuple[Horizon, Learned]:
    """One seed's horizon of a size (places lasting ``lifetime_days`` on average when
    nobody takes them), and the potentials ``priced`` learns for it."""
    people, programs = SIZES[size]
    options = SimOptions(
        participants=people, programs=programs, seed=seed, lifetime_days=lifetime_days
    )
    horizon = generate_horizon(options)
    return horizon, learn(history_horizon(options), horizon)


def measure(horizon: Horizon, runs: dict[str, Callable[[], Outcome]]) -> dict[str, dict[str, Any]]:
    """Each run's summary with its seconds and its ratios to the ``"hindsight"`` run
    (which ``runs`` must hold); the hindsight block also carries the horizon's size."""
    out: dict[str, dict[str, Any]] = {}
    for name, run in runs.items():
        start = time.perf_counter()
        outcome = run()
        block = summary(horizon, outcome)
        block["seconds"] = time.perf_counter() - start
        out[name] = block
    best = out["hindsight"]
    for block in out.values():
        block["ratio"] = {k: ratio(block[k], best[k]) for k in ("acute_met", "needs_met")}
    out["hindsight"]["size"] = (horizon.tables.needs.size, int(horizon.tables.needs.acute.sum()))
    return out


def _median(values: Sequence[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):g}" if known else "-"


def table(size: str, seeds: Sequence[int], results: list[dict[str, dict[str, Any]]]) -> str:
    """The markdown section of one size."""
    people, programs = SIZES[size]
    needs = _median([r["hindsight"]["size"][0] for r in results])
    acute = _median([r["hindsight"]["size"][1] for r in results])
    lines = [
        f"#### {size}: {people:,} participants arriving over 365 days, {programs:,} programs "
        f"(median {needs} needs, {acute} acute); seeds {', '.join(map(str, seeds))}",
        "",
        "| answer | acute met | needs met | acute vs hindsight | needs vs hindsight "
        "| acute wait median / p90 (days) | other wait median / p90 | displaced | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in results[0]:
        rows = [r[name] for r in results]

        def wait(kind: str, q: str, rows: list[dict[str, Any]] = rows) -> str:
            return _median([b["days_waited"][kind][q] for b in rows])

        lines.append(
            f"| {name} | {_median([b['acute_met'] for b in rows])} "
            f"| {_median([b['needs_met'] for b in rows])} "
            f"| {float(_median([b['ratio']['acute_met'] for b in rows])):.1%} "
            f"| {float(_median([b['ratio']['needs_met'] for b in rows])):.1%} "
            f"| {wait('acute', 'median')} / {wait('acute', 'p90')} "
            f"| {wait('other', 'median')} / {wait('other', 'p90')} "
            f"| {max(b['displaced'] for b in rows)} "
            f"| {float(_median([b['seconds'] for b in rows])):.1f} |"
        )
    return "\n".join(lines)


def parse_holds(text: str) -> list[float] | None:
    """The ``--hold`` values (none for an empty text), or None if one is not a number
    between 0 and 1."""
    try:
        holds = [float(s) for s in text.split(",") if s.strip()]
    except ValueError:
        return None
    return holds if all(0 <= h <= 1 for h in holds) else None


def add_sizes_and_seeds(parser: argparse.ArgumentParser) -> None:
    """The ``--sizes`` and ``--seeds`` options (read back by ``sizes_and_seeds``)."""
    parser.add_argument("--sizes", default="site", help="comma-separated: site, county")
    parser.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated seeds")


def sizes_and_seeds(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[list[str], list[int]]:
    """The sizes and seeds asked for; a wrong one ends the command (exit 2) naming it."""
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or not sizes:
        parser.error(f"--sizes: unknown {', '.join(unknown) or '(none)'}; choose site, county")
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        parser.error("--seeds: whole numbers, comma-separated")
    return sizes, seeds


def main(argv: Sequence[str] | None = None) -> None:
    """Run the sizes and seeds asked for and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulate")
    add_sizes_and_seeds(parser)
    parser.add_argument(
        "--hold", default="", help="comma-separated: also run priced with each --hold"
    )
    args = parser.parse_args(argv)
    sizes, seeds = sizes_and_seeds(parser, args)
    holds = parse_holds(args.hold)
    if holds is None:
        parser.error("--hold: numbers between 0 and 1, comma-separated")
    print_tables(sizes, seeds, lambda size, seed: one_seed(size, seed, holds))


def print_tables(
    sizes: Sequence[str],
    seeds: Sequence[int],
    run: Callable[[str, int], dict[str, dict[str, Any]]],
    per_seed: bool = False,
) -> None:
    """The run's heading, then each size's table of ``run(size, seed)`` over the seeds
    (and, with ``per_seed``, each seed's ratios to hindsight)."""
    print(f"### Run of {today()} (UTC)\n\n{machine()}\n")
    for size in sizes:
        results = [run(size, seed) for seed in seeds]
        print(table(size, seeds, results), "\n", flush=True)
        if per_seed:
            print(seed_table(seeds, results), "\n", flush=True)


def seed_table(seeds: Sequence[int], results: list[dict[str, dict[str, Any]]]) -> str:
    """Each answer's acute needs and needs met over hindsight's, seed by seed."""
    lines = [
        f"| answer | acute vs hindsight, seeds {', '.join(map(str, seeds))} | needs vs hindsight |",
        "|---|---|---|",
    ]
    for name in results[0]:
        cells = [
            ", ".join(f"{r[name]['ratio'][key]:.1%}" for r in results)
            for key in ("acute_met", "needs_met")
        ]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
