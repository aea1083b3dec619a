"""Summaries over repeats, ratios, and the tables printed to stdout and docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.instances import Instance
from benchmarks.measure import Measurement, median, probe
from benchmarks.methods import FCFS, GREEDY, LABELS, MILP, OURS, Outcome

SPEND_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Summary:
    """One method on one instance: medians over the repeats and the answer of the last run."""

    method: str
    runs: int
    wall_s: float
    peak_mb: float | None
    outcome: Outcome

    @property
    def label(self) -> str:
        """The method's display name."""
        return LABELS[self.method]

    @property
    def hit_limit(self) -> bool:
        """The time limit stopped it (in any repeat)."""
        return self.outcome.hit_limit

    @property
    def answered(self) -> bool:
        """It produced levels 1-3 of an answer."""
        return self.outcome.met is not None


def summarise(method: str, runs: Sequence[tuple[Measurement, Outcome]]) -> Summary:
    """Medians of wall time and peak memory; the last outcome, marked if any run hit the limit."""
    peaks = [m.peak_mb for m, _ in runs if m.peak_mb is not None]
    outcome = runs[-1][1]
    if any(o.hit_limit for _, o in runs) and not outcome.hit_limit:
        outcome = next(o for _, o in runs if o.hit_limit)
    return Summary(
        method=method,
        runs=len(runs),
        wall_s=median([m.wall_s for m, _ in runs]),
        peak_mb=median(peaks) if peaks else None,
        outcome=outcome,
    )


def _int(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


HEADERS = (
    "method",
    "needs met",
    "acute met",
    "spend",
    "displaced",
    "wall s",
    "core s",
    "peak MB",
    "status",
)


def _row(s: Summary) -> list[str]:
    o = s.outcome
    return [
        s.label,
        _int(o.met),
        _int(o.acute_met),
        _money(o.spend),
        _int(o.displacement),
        _secs(s.wall_s),
        _secs(o.core_s),
        _mb(s.peak_mb),
        o.status,
    ]


def _ratio(x: float) -> str:
    return f"{x:.1f}x" if x >= 1 else f"{x:.2g}x"


def speedup(ours: Summary, milp: Summary) -> str:
    """How many times faster ours is than the MILP, with the direction of any bound."""
    if not (ours.answered or ours.hit_limit) or not (milp.answered or milp.hit_limit):
        return "n/a (a method failed)"
    r = milp.wall_s / ours.wall_s
    if ours.hit_limit and milp.hit_limit:
        return "n/a (both > limit)"
    if milp.hit_limit:
        return f">= {_ratio(r)} (milp > limit: a lower bound)"
    if ours.hit_limit:
        return f"<= {_ratio(r)} (ours > limit: an upper bound)"
    return _ratio(r)


def gain(ours: Summary, other: Summary) -> str:
    """Ours minus another method in needs and acute needs met."""
    o, b = ours.outcome, other.outcome
    if o.met is None or o.acute_met is None or b.met is None or b.acute_met is None:
        return "n/a"
    return f"{o.met - b.met:+,} needs, {o.acute_met - b.acute_met:+,} acute"


def agreement(ours: Summary, milp: Summary) -> str | None:
    """Whether two proven answers agree on levels 1-3 (None unless both are proven)."""
    o, m = ours.outcome, milp.outcome
    if ours.hit_limit or milp.hit_limit or o.spend is None or m.spend is None:
        return None
    same_spend = abs(o.spend - m.spend) <= SPEND_TOLERANCE * max(1.0, abs(m.spend))
    if o.acute_met == m.acute_met and o.met == m.met and same_spend:
        return "ours and milp agree on levels 1-3"
    return (
        f"DISAGREE on levels 1-3: ours {o.acute_met}/{o.met}/{_money(o.spend)}, "
        f"milp {m.acute_met}/{m.met}/{_money(m.spend)}"
    )


def title(instance: Instance, limit: float, repeat: int) -> str:
    """One line naming the instance and the settings."""
    size = instance.size
    return (
        f"{size.name}: {size.participants:,} participants, {size.programs:,} programs, "
        f"{instance.needs:,} needs ({instance.acute_needs:,} acute), budget "
        f"{instance.budget:,.2f}, seed {instance.seed}; limit {limit:g} s; "
        f"median of {repeat} run(s)"
    )


def ratio_lines(summaries: dict[str, Summary]) -> list[str]:
    """Speed-up against the MILP and gains over the greedies, where both sides ran."""
    ours = summaries.get(OURS)
    if ours is None:
        return []
    lines = []
    if MILP in summaries:
        lines.append(f"speed-up, ours vs milp (wall): {speedup(ours, summaries[MILP])}")
        agree = agreement(ours, summaries[MILP])
        if agree:
            lines.append(agree)
    for other in (FCFS, GREEDY):
        if other in summaries:
            lines.append(f"ours vs {LABELS[other]}: {gain(ours, summaries[other])}")
    return lines


def note_lines(summaries: dict[str, Summary]) -> list[str]:
    """Per-method notes (MILP levels, ours' bounds when stopped, error messages)."""
    return [f"{s.label}: {s.outcome.note}" for s in summaries.values() if s.outcome.note]


def text_table(summaries: Sequence[Summary]) -> str:
    """A fixed-width table for a terminal."""
    rows = [list(HEADERS)] + [_row(s) for s in summaries]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    out = []
    for r in rows:
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:-1], widths[1:-1], strict=True)]
        cells.append(r[-1])
        out.append("  ".join(cells))
    return "\n".join(out)


def markdown_table(summaries: Sequence[Summary]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(HEADERS) + " |"]
    lines.append("|---|" + "---:|" * (len(HEADERS) - 2) + "---|")
    lines += ["| " + " | ".join(_row(s)) + " |" for s in summaries]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB RAM"
    except (OSError, ValueError):
        pass
    return "RAM unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def nproc() -> int:
    """CPUs this process may run on (what ``nproc`` prints)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def machine() -> str:
    """One line describing the machine and the software measured."""
    return (
        f"nproc {nproc()}, {_cpu_model()}, {_memory_gib()}, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, scipy "
        f"{_version('scipy')}, ortools {_version('ortools')}, numpy {_version('numpy')}; "
        f"peak memory via {probe()}"
    )


def today() -> str:
    """The UTC date, as ``date -u +%F`` prints it."""
    return datetime.now(UTC).strftime("%Y-%m-%d")


def markdown_section(
    command_line: str, blocks: Sequence[tuple[str, Sequence[Summary]]], *, when: str, host: str
) -> str:
    """The section appended to docs/benchmarks.md for one run."""
    parts = [f"### Run of {when} (UTC)", "", f"Command: `{command_line}`", "", f"Machine: {host}"]
    for heading, summaries in blocks:
        by_method = {s.method: s for s in summaries}
        parts += ["", f"#### {heading}", "", markdown_table(summaries), ""]
        parts += [f"- {line}" for line in ratio_lines(by_method) + note_lines(by_method)]
    return "\n".join(parts) + "\n"
