"""The foresight ladder: how much of hindsight's edge over the online policies is knowing
the future.

``python -m benchmarks.foresight --sizes site --seeds 1,2,3,4,5 --windows 0,3,7,14,30,60,365``

For each size and seed, one horizon (as ``benchmarks.simulate``) is solved in hindsight,
run under ``resolve``, ``priced`` and ``priced`` with ``hold`` 0.5, and under
``matcher.simulate.foresight`` with each window of ``--windows`` days (every kind of
future event shown). With ``--split K``, foresight of ``K`` days also runs showing one
kind of future event alone (arrivals, places, exits) and all kinds but one, to tell
which kind carries the edge. ``--lifetime D`` makes untaken places last ``D`` days on
average instead of the model's 14, to see how the edge depends on it. The table is
``benchmarks.simulate``'s (medians over the seeds of each seed's ratio to hindsight),
then each seed's ratios.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from benchmarks.simulate import (
    add_sizes_and_seeds,
    measure,
    print_tables,
    seeded,
    sizes_and_seeds,
)
from matcher.simulate.foresight import Foresight, run_foresight
from matcher.simulate.hindsight import hindsight
from matcher.simulate.horizon import SimOptions
from matcher.simulate.policies import Outcome, run_policy

KINDS = ("arrivals", "places", "exits")


def sights(windows: Sequence[int], split: int | None) -> dict[str, Foresight]:
    """The foresight runs by label: each window with everything shown, then, for the
    ``split`` window, each kind alone and all kinds but each one."""
    out = {f"foresight {k}": Foresight(k) for k in windows}
    if split is not None:
        for kind in KINDS:
            alone = {other: other == kind for other in KINDS}
            out[f"foresight {split}, {kind} only"] = Foresight(split, **alone)
            but = {other: other != kind for other in KINDS}
            out[f"foresight {split}, all but {kind}"] = Foresight(split, **but)
    return out


def one_seed(
    size: str, seed: int, ladder: dict[str, Foresight], lifetime_days: float
) -> dict[str, dict[str, Any]]:
    """Every answer's summary (with ratios and seconds) on one seed's horizon."""
    horizon, learned = seeded(size, seed, lifetime_days)
    runs: dict[str, Callable[[], Outcome]] = {
        "hindsight": lambda: hindsight(horizon),
        "resolve": lambda: run_policy(horizon, "resolve"),
        "priced": lambda: run_policy(horizon, "priced", learned),
        "priced, hold 0.5": lambda: run_policy(horizon, "priced", learned, 0.5),
    }
    for label, sight in ladder.items():
        runs[label] = partial(run_foresight, horizon, sight)
    return measure(horizon, runs)


def _days(text: str) -> list[int] | None:
    """Whole numbers of days (none for an empty text), or None if one is not."""
    try:
        days = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        return None
    return days if all(d >= 0 for d in days) else None


def main(argv: Sequence[str] | None = None) -> None:
    """Run the sizes, seeds and windows asked for and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.foresight")
    add_sizes_and_seeds(parser)
    parser.add_argument("--windows", default="0,3,7,14,30,60,365", help="days, comma-separated")
    parser.add_argument(
        "--split", default="30", help="days: also show each kind of event alone (empty: no)"
    )
    parser.add_argument(
        "--lifetime",
        type=float,
        default=SimOptions.lifetime_days,
        help="days an untaken place lasts on average (the model's: %(default)g)",
    )
    args = parser.parse_args(argv)
    sizes, seeds = sizes_and_seeds(parser, args)
    windows, split = _days(args.windows), _days(args.split)
    if windows is None:
        parser.error("--windows: whole numbers of days >= 0, comma-separated")
    if split is None or len(split) > 1:
        parser.error("--split: one whole number of days >= 0, or empty")
    if not args.lifetime > 0:
        parser.error("--lifetime: a number of days > 0")
    ladder = sights(windows, split[0] if split else None)

    def run(size: str, seed: int) -> dict[str, dict[str, Any]]:
        return one_seed(size, seed, ladder, args.lifetime)

    print_tables(sizes, seeds, run, per_seed=True)


if __name__ == "__main__":
    main()
