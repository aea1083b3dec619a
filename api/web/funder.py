"""The funder's page: unmet need by service type and neighbourhood, a map, and the
purchase plan for a budget. Counts only, with the same suppression as the API."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.web.render import WebPage
from matcher.service import funding, programs
from matcher.service.funding import CountTable, MapPoint

router = APIRouter(include_in_schema=False)
PAGE = "/web/funder"
WIDTH, HEIGHT, PAD = 640.0, 440.0, 30.0


@dataclass(frozen=True, slots=True)
class Dot:
    """A circle on the map: where, how big, and what its label says."""

    x: float
    y: float
    r: float
    label: str


def _visible_total(table: CountTable, column: str) -> tuple[int, bool]:
    """A column's total over the cells that may be shown, and whether any were hidden."""
    j = table.columns.index(column)
    cells = [row[j] for row in table.cells]
    return sum(c for c in cells if c is not None), any(c is None for c in cells)


def draw(
    table: CountTable, programs: list[MapPoint], hoods: list[MapPoint]
) -> dict[str, list[Dot]]:
    """Project the points onto the page (equirectangular, fine at city scale) and size
    each neighbourhood's circle by the unmet needs that may be shown there."""
    points = programs + hoods
    if not points:
        return {"programs": [], "hoods": []}
    lat0 = sum(p.lat for p in points) / len(points)
    scale_x = math.cos(math.radians(lat0))
    xs = [p.lon * scale_x for p in points]
    ys = [p.lat for p in points]
    x_span, y_span = max(max(xs) - min(xs), 1e-6), max(max(ys) - min(ys), 1e-6)
    k = min((WIDTH - 2 * PAD) / x_span, (HEIGHT - 2 * PAD) / y_span)
    left = (WIDTH - k * x_span) / 2
    top = (HEIGHT - k * y_span) / 2

    def place(p: MapPoint) -> tuple[float, float]:
        x = left + (p.lon * scale_x - min(xs)) * k
        y = top + (max(ys) - p.lat) * k
        return round(x, 1), round(y, 1)

    dots = [Dot(*place(p), 3.0, p.name) for p in programs]
    circles = []
    for hood in hoods:
        if hood.name not in table.columns:
            continue
        total, hidden = _visible_total(table, hood.name)
        if total == 0 and not hidden:
            continue
        label = f"{hood.name}: {total}{' or more' if hidden else ''} unmet"
        circles.append(Dot(*place(hood), round(6 + 2.5 * math.sqrt(total), 1), label))
    return {"programs": dots, "hoods": circles}


@router.get(PAGE, response_class=HTMLResponse)
def page(
    web: WebPage, budget: Annotated[float | None, Query(ge=0, le=1e12)] = None
) -> HTMLResponse:
    """Unmet need now; with ``budget``, where that money should buy places."""
    web.require("funder")
    settings = web.ctx.settings
    web.limit_solver()
    now, limit = web.ctx.now, settings.solver_time_limit

    def read(s: Session) -> dict[str, Any]:
        split = funding.unmet_by_neighborhood(s, now, time_limit=limit)
        table = split.unmet
        points, hoods = funding.map_points(s)
        bought = (
            funding.plan(s, now, budget=budget, time_limit=limit) if budget is not None else None
        )
        return {
            "table": table,
            "unreported": split.unreported,
            "fund": funding.fund(s, now),
            "map": draw(table, points, hoods),
            "plan": bought,
            "names": programs.names(
                s, (str(b["program_id"]) for b in bought.purchases) if bought else ()
            ),
        }

    return web.page("funder.html", budget=budget, width=WIDTH, height=HEIGHT, **web.read(read))
