"""The simulation as a standalone page: needs met over the horizon, ratios to hindsight,
and the numbers of every block (the instance is synthetic: no counts to suppress)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from matcher.funding.html_report import png
from matcher.simulate.horizon import Horizon
from matcher.simulate.policies import UNMET, Outcome


def met_over_time(horizon: Horizon, outcomes: dict[str, Outcome], *, acute: bool) -> Figure:
    """Cumulative needs (or acute needs) met by each day, one line per answer."""
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    days = np.arange(horizon.days)
    only = horizon.tables.needs.acute if acute else np.ones(horizon.tables.needs.size, bool)
    for name, out in outcomes.items():
        day = out.day[(out.day != UNMET) & only]
        met = np.searchsorted(np.sort(day), days, side="right")
        ax.plot(days, met, label=name, linestyle="--" if name == "hindsight" else "-")
    ax.set_xlabel("day")
    ax.set_ylabel("acute needs met" if acute else "needs met")
    ax.set_title(("Acute needs" if acute else "Needs") + " met by each day")
    ax.legend()
    fig.tight_layout()
    return fig


def ratio_bars(report: dict[str, Any]) -> Figure:
    """Each policy's share of the hindsight optimum, acute needs and all needs."""
    fig = Figure(figsize=(8, 3.2))
    ax = fig.subplots()
    names = list(report["policies"])
    x = np.arange(len(names))
    for k, key in enumerate(("acute_met", "needs_met")):
        values = [report["policies"][n]["ratio_to_hindsight"][key] * 100 for n in names]
        ax.bar(x + (k - 0.5) * 0.38, values, width=0.38, label=key.replace("_", " "))
    ax.axhline(98, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks(x, names)
    ax.set_ylabel("% of hindsight")
    ax.set_ylim(0, 105)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def _row(name: str, block: dict[str, Any]) -> str:
    waited = block["days_waited"]
    cells = [
        name,
        block["acute_met"],
        block["needs_met"],
        f"{block['spend']:,.2f}",
        block["displaced"],
        *(waited[k][q] for k in ("acute", "other") for q in ("median", "p90")),
    ]
    ratio = block.get("ratio_to_hindsight")
    cells += [f"{ratio[k]:.1%}" for k in ("acute_met", "needs_met")] if ratio else ["", ""]
    return "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"


def render(horizon: Horizon, outcomes: dict[str, Outcome], report: dict[str, Any]) -> str:
    """The whole page."""
    size = report["horizon"]
    head = (
        "<tr><th>answer</th><th>acute met</th><th>needs met</th><th>spend</th>"
        "<th>displaced</th><th>acute wait median</th><th>acute wait p90</th>"
        "<th>other wait median</th><th>other wait p90</th><th>acute vs hindsight</th>"
        "<th>needs vs hindsight</th></tr>"
    )
    rows = _row("hindsight", report["hindsight"]) + "".join(
        _row(name, block) for name, block in report["policies"].items()
    )
    plots = [
        ("needs met over time", met_over_time(horizon, outcomes, acute=False)),
        ("acute needs met over time", met_over_time(horizon, outcomes, acute=True)),
        ("share of the hindsight optimum", ratio_bars(report)),
    ]
    images = "".join(
        f"<img alt='{alt}' src='data:image/png;base64,{png(fig)}'>" for alt, fig in plots
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Matching over time: a simulation</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem}"
        "img{max-width:100%}</style></head><body>"
        "<h1>Matching over time: a simulation</h1>"
        f"<p>{size['days']} days, {size['participants']} participants arriving with "
        f"{size['needs']} needs ({size['acute_needs']} acute), {size['programs']} programs, "
        f"{size['places']} places over the horizon, a fund of {size['budget']:,.2f} "
        f"({_source(size)}).</p>"
        f"<table>{head}{rows}</table>{images}{_notes(report)}"
        "<p>Days waited count met needs only; hindsight serves a need on the first day "
        "its place is there.</p></body></html>"
    )


def _source(size: dict[str, Any]) -> str:
    """Where the horizon came from: a seed, or the store's ledger over a window."""
    if size.get("source") == "replay":
        return f"replayed from the store's ledger, {size['start']} to {size['end']}"
    return f"seed {size['seed']}; synthetic"


def _notes(report: dict[str, Any]) -> str:
    """What a replay assumed, as a list (nothing for a generated horizon)."""
    notes = report.get("notes") or []
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"<p>Assumed where the ledger cannot say:</p><ul>{items}</ul>"
