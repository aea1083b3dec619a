"""Benchmark ``matcher solve`` against three baselines on generated instances.

``python -m benchmarks.run --sizes site,county,state --seed 1 --limit 300``

For each size, one instance is generated (the generator's default budget, which
binds) and written to a temporary JSON file; every method then reads that same
file in a process of its own, ``--repeat`` times, and the table reports medians.
See docs/benchmarks.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.instances import SIZES, Instance, write_instance
from benchmarks.measure import ROOT, Measurement, run_measured
from benchmarks.methods import LABELS, METHODS, Outcome, command, read_outcome
from benchmarks.report import (
    Summary,
    machine,
    markdown_section,
    note_lines,
    ratio_lines,
    summarise,
    text_table,
    title,
    today,
)

DOC = ROOT / "docs" / "benchmarks.md"


def _names(text: str, known: Sequence[str], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}"
        )
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument(
        "--sizes",
        type=lambda t: _names(t, list(SIZES), "size"),
        default=["site", "county", "state"],
        help=f"comma-separated, of {', '.join(SIZES)} (default site,county,state)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--limit", type=float, default=300.0, help="time limit per method run, s (default 300)"
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=60.0,
        help="seconds beyond --limit before a run is killed (default 60)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per method; medians reported")
    parser.add_argument(
        "--methods",
        type=lambda t: _names(t, METHODS, "method"),
        default=list(METHODS),
        help=f"comma-separated, of {', '.join(METHODS)} (default all)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help=f"append the results to {DOC.relative_to(ROOT)}"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep instances and answers here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.limit <= 0:
        parser.error("--limit must be positive")
    return args


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_instance(
    instance: Instance, methods: Sequence[str], args: argparse.Namespace, workdir: Path
) -> list[Summary]:
    """Run every method ``args.repeat`` times on one instance (methods interleaved per repeat)."""
    runs: dict[str, list[tuple[Measurement, Outcome]]] = {m: [] for m in methods}
    for k in range(args.repeat):
        for method in methods:
            output = workdir / f"{instance.size.name}-{method}-{k + 1}.json"
            output.unlink(missing_ok=True)
            cmd = command(method, instance, output, args.limit)
            measurement = run_measured(cmd, args.limit + args.grace)
            outcome = read_outcome(method, instance, output, measurement)
            runs[method].append((measurement, outcome))
            _say(
                f"  {instance.size.name} {LABELS[method]} run {k + 1}/{args.repeat}: "
                f"{measurement.wall_s:.2f} s, {outcome.status}"
            )
    return [summarise(m, runs[m]) for m in methods]


def command_line(argv: Sequence[str] | None) -> str:
    """The exact command, as typed from the repository root."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        python = str(Path(sys.executable).relative_to(ROOT))
    except ValueError:
        python = sys.executable
    return shlex.join([python, "-m", "benchmarks.run", *words])


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, measure, print; with ``--markdown`` also append to docs/benchmarks.md."""
    args = parse_args(argv)
    cmd = command_line(argv)
    host = machine()
    when = today()
    print(f"{cmd}\n{when}; {host}\n", flush=True)
    blocks: list[tuple[str, list[Summary]]] = []
    with tempfile.TemporaryDirectory(prefix="lead-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in args.sizes:
            size = SIZES[name]
            _say(f"{name}: generating {size.participants:,} participants / {size.programs:,}")
            instance = write_instance(size, args.seed, workdir)
            summaries = bench_instance(instance, args.methods, args, workdir)
            heading = title(instance, args.limit, args.repeat)
            by_method = {s.method: s for s in summaries}
            print(heading)
            print(text_table(summaries))
            for line in ratio_lines(by_method) + note_lines(by_method):
                print(f"  {line}")
            print(flush=True)
            blocks.append((heading, summaries))
    if args.markdown:
        section = markdown_section(cmd, blocks, when=when, host=host)
        DOC.parent.mkdir(parents=True, exist_ok=True)
        existing = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
        DOC.write_text(existing.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        _say(f"appended to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
