"""A funder's standalone report: plots, a map and tables, every count suppressed.

Everything drawn comes from suppressed tables (``matcher.funding.suppression``):
a suppressed cell is drawn as a hatched bar with no number, never as its value, and
the map sizes neighbourhood circles only by counts that may be shown. Programs are
public facts (name, place, services) and are drawn as they are. The page embeds its
plots as PNG and the map as a self-contained document; the map's background tiles
load only when a person opens it.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import folium
import pandas as pd
from matplotlib.figure import Figure

from matcher.assignment import Assignment
from matcher.funding.gaps import ACTIONS, gap_table, rule_table, unmet_frame
from matcher.funding.neighborhoods import centroids_from
from matcher.funding.planner import Comparison
from matcher.funding.suppression import TOTAL, SuppressedTable
from matcher.reasons import REASON_WORDS
from matcher.scenario import Scenario


@dataclass(frozen=True)
class FunderReport:
    """What the report shows, computed once (the notebook reads the same fields)."""

    scenario: Scenario
    answer: Assignment
    frame: pd.DataFrame
    by_reason: SuppressedTable | None
    by_neighborhood: SuppressedTable | None
    by_rule: SuppressedTable | None
    centroids: pd.DataFrame
    by_action: SuppressedTable | None = None


def build(
    scenario: Scenario, answer: Assignment, centroids: pd.DataFrame | None = None
) -> FunderReport:
    """The unmet-need tables of an answer, suppressed."""
    known = centroids if centroids is not None else centroids_from(scenario)
    frame = unmet_frame(scenario, answer, known)
    empty = frame.empty
    return FunderReport(
        scenario,
        answer,
        frame,
        None if empty else gap_table(frame, "category", "reason"),
        None if empty else gap_table(frame, "category", "neighborhood"),
        None if empty else rule_table(frame),
        known,
        None if empty else gap_table(frame, "category", "action"),
    )


def _count(value: object) -> int:
    """A shown cell as an int (a suppressed one, ``<NA>``, as 0: it is never drawn)."""
    return 0 if value is pd.NA or value is None else int(str(value))


def margin_bars(table: SuppressedTable, title: str, axis: str = "rows") -> Figure:
    """Totals per row (or column) as bars; suppressed totals hatched, without a number."""
    shown, hidden = table.shown, table.suppressed
    if axis == "rows":
        labels = [str(i) for i in shown.index if i != TOTAL]
        values = [_count(shown.loc[i, TOTAL]) for i in labels]
        masked = [bool(hidden.loc[i, TOTAL]) for i in labels]
    else:
        labels = [str(c) for c in shown.columns if c != TOTAL]
        values = [_count(shown.loc[TOTAL, c]) for c in labels]
        masked = [bool(hidden.loc[TOTAL, c]) for c in labels]
    top = max([v for v, m in zip(values, masked, strict=True) if not m] or [10])
    fig = Figure(figsize=(8, 0.4 * len(labels) + 1.2))
    ax = fig.subplots()
    for y, (value, m) in enumerate(zip(values, masked, strict=True)):
        if m:
            ax.barh(y, top * 0.15, color="white", edgecolor="grey", hatch="//")
            ax.text(top * 0.16, y, "suppressed", va="center", fontsize=8, color="grey")
        else:
            ax.barh(y, value, color="#3a6ea5")
            ax.text(value, y, f" {value}", va="center", fontsize=8)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("unmet needs")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def png(fig: Figure) -> str:
    """A figure as a base64 PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode()


def unmet_map(report: FunderReport) -> folium.Map:
    """Programs as markers; unmet need per neighbourhood as circles (shown counts only)."""
    scenario = report.scenario
    lat = sum(p.location.lat for p in scenario.programs) / max(1, len(scenario.programs))
    lon = sum(p.location.lon for p in scenario.programs) / max(1, len(scenario.programs))
    fmap = folium.Map(location=[lat, lon], zoom_start=12, tiles="OpenStreetMap")
    for program in scenario.programs:
        folium.CircleMarker(
            [program.location.lat, program.location.lon],
            radius=4,
            color="#3a6ea5",
            fill=True,
            tooltip=html.escape(
                f"{program.name or program.id}: {', '.join(program.service_types)}"
            ),
        ).add_to(fmap)
    table = report.by_neighborhood
    if table is None:
        return fmap
    where = report.centroids.set_index("name")
    for hood in table.shown.columns:
        if hood == TOTAL or hood not in where.index:
            continue
        hidden = bool(table.suppressed.loc[TOTAL, hood])
        count = None if hidden else _count(table.shown.loc[TOTAL, hood])
        label = f"{hood}: " + (
            "suppressed (1-10, or to protect another cell)" if hidden else f"{count} unmet"
        )
        folium.Circle(
            [float(str(where.loc[hood, "lat"])), float(str(where.loc[hood, "lon"]))],
            radius=150 if hidden else 150 + 40 * (count or 0),
            color="#c0392b",
            fill=True,
            fill_opacity=0.1 if hidden else 0.35,
            tooltip=html.escape(label),
        ).add_to(fmap)
    return fmap


def table_html(table: SuppressedTable) -> str:
    """A suppressed table as HTML, ``*`` for each suppressed cell."""
    text = table.shown.astype("object").where(~table.suppressed, "*")
    return text.to_html(classes="counts", border=0, na_rep="*")


def plan_html(comparison: Comparison) -> str:
    """The exact and naive plans side by side, with the exact plan's purchases."""
    rows = "".join(
        f"<tr><td>{p.method}</td><td>{p.spend:,.2f}</td><td>{p.needs_met}</td>"
        f"<td>{p.acute_met}</td><td>{p.per_thousand:.3f}</td></tr>"
        for p in (comparison.exact, comparison.naive)
    )
    buys = "".join(
        f"<tr><td>{html.escape(b.program_id)}</td><td>{b.places}</td><td>{b.spend:,.2f}</td></tr>"
        for b in comparison.exact.purchases
    )
    return (
        "<table class='counts'><tr><th>plan</th><th>spend</th><th>needs met</th>"
        f"<th>acute met</th><th>per 1,000 spent</th></tr>{rows}</table>"
        "<h3>What the exact plan buys</h3><table class='counts'><tr><th>program</th>"
        f"<th>places</th><th>spend</th></tr>{buys or '<tr><td colspan=3>nothing</td></tr>'}</table>"
    )


def render(report: FunderReport, comparison: Comparison | None = None) -> str:
    """The whole report as one HTML page."""
    o = report.answer.objective
    total = sum(len(p.needs) for p in report.scenario.participants)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>Unmet need and where to buy places</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;",
        "color:#222}table.counts{border-collapse:collapse;margin:.5rem 0}",
        "table.counts td,table.counts th{border:1px solid #ccc;padding:.2rem .5rem;",
        "text-align:right}",
        "iframe{width:100%;height:32rem;border:1px solid #ccc}</style></head><body>",
        "<h1>Unmet need and where to buy places</h1>",
        f"<p>{o.matched} of {total} needs can be met now ({o.acute_matched} acute), "
        f"spending {o.spend:,.2f} of the fund's {report.scenario.fund.budget:,.2f}. "
        f"{len(report.frame)} needs cannot. Counts from 1 to 10 are never shown (*), nor any "
        "count from which one could be worked out.</p>",
    ]
    if report.by_reason is not None and report.by_neighborhood is not None:
        where_png = png(
            margin_bars(report.by_neighborhood, "Unmet needs by neighbourhood", "columns")
        )
        parts += [
            "<h2>Why needs go unmet</h2><ul>",
            *(f"<li><b>{k}</b>: {v}; {ACTIONS[k]}</li>" for k, v in REASON_WORDS.items()),
            "</ul>",
            f"<img alt='unmet needs by service category' src='data:image/png;base64,"
            f"{png(margin_bars(report.by_reason, 'Unmet needs by service category'))}'>",
            table_html(report.by_reason),
            *(
                [
                    "<h3>What would help</h3><p>The same needs by what would meet them. "
                    "Needs whose programs never reported their free places ask the providers "
                    "to report: they are not places to buy.</p>",
                    table_html(report.by_action),
                ]
                if report.by_action is not None
                else []
            ),
            *(
                [
                    "<h3>Which rule keeps people out</h3><p>Needs that no program would "
                    "take, by the rule that excludes the person from most programs of the "
                    "type: a conversation with providers, not a purchase.</p>",
                    table_html(report.by_rule),
                ]
                if report.by_rule is not None
                else []
            ),
            "<h2>Where</h2>",
            f"<img alt='unmet needs by neighbourhood' src='data:image/png;base64,{where_png}'>",
            table_html(report.by_neighborhood),
        ]
    map_page = unmet_map(report).get_root().render()
    parts.append(
        "<h2>Map</h2><iframe title='programs and unmet need' "
        f'srcdoc="{html.escape(map_page)}"></iframe>'
    )
    if comparison is not None:
        parts += [
            f"<h2>What {comparison.exact.budget:,.2f} of new money would buy</h2>",
            "<p>The exact plan meets the most acute needs, then the most needs, then spends "
            "least, housing first among equals. The naive plan buys where the gap count is "
            "largest.</p>",
            plan_html(comparison),
        ]
    parts.append("</body></html>")
    return "\n".join(parts)
