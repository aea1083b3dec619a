"""The funder's tables of unmet need, rolled up until their cells can be shown.

Two tables from one solve: which services are lacking (service types, rolled up to
categories and from neighbourhoods to districts to the whole city as far as needed)
and where (neighbourhoods, else districts, whatever the service); plus the needs
waiting on providers' reports, apart, rolled up the same way. Each carries what it
was rolled up to and how many cells the finest table would have hidden, so the page
says so. Every count still goes through ``matcher.funding.suppression``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from matcher.funding.rollup import AREA_LADDER, LADDER, load_districts, readable
from matcher.funding.suppression import TOTAL
from matcher.reasons import CAPACITY_UNKNOWN
from matcher.service.funding import CountTable, MapPoint, table_of, unmet_now


@dataclass(frozen=True, slots=True)
class ReadableTable:
    """A suppressed count table, what its rows and columns are, and the roll-up."""

    table: CountTable
    rows: str
    columns: str
    rolled_up: bool
    finest_hidden: int
    finest_cells: int


@dataclass(frozen=True, slots=True)
class UnmetView:
    """Unmet need by service and by area (None when nothing is unmet), and the needs
    that wait on providers' reports (None when none do)."""

    by_service: ReadableTable | None
    by_area: ReadableTable | None
    unreported: ReadableTable | None


@lru_cache(maxsize=4)
def districts_of(path: Path | None) -> dict[str, str]:
    """Neighbourhood -> district from the configured CSV (none: no districts); read once
    per file, as every funder's table uses it."""
    return load_districts(path) if path is not None else {}


def _readable(
    frame: pd.DataFrame, districts: Mapping[str, str], ladder: Sequence[tuple[str, str]]
) -> ReadableTable | None:
    if frame.empty:
        return None
    step = readable(frame, districts, ladder)
    table = one_column(table_of(step.table))
    return ReadableTable(
        table, step.rows, step.columns, step.rolled_up, step.finest_hidden, step.finest_cells
    )


def one_column(table: CountTable) -> CountTable:
    """A table of one column and its total without the total, which repeats it."""
    if len(table.columns) != 2 or table.columns[1] != TOTAL:
        return table
    return CountTable(
        rows=table.rows,
        columns=table.columns[:1],
        cells=[row[:1] for row in table.cells],
        suppressed_cells=table.suppressed_cells,
    )


def unmet_readable(
    session: Session, now: datetime, *, time_limit: float, districts: Mapping[str, str]
) -> UnmetView:
    """Unmet need now, by service and by area, each rolled up until readable;
    ``capacity_unknown`` apart (ask the providers to report: not places to buy)."""
    frame = unmet_now(session, now, time_limit)
    waiting = frame["reason"] == CAPACITY_UNKNOWN
    unmet, unreported = frame[~waiting], frame[waiting]
    return UnmetView(
        by_service=_readable(unmet, districts, LADDER),
        by_area=_readable(unmet, districts, AREA_LADDER),
        unreported=_readable(unreported, districts, LADDER),
    )


def area_centres(hoods: Sequence[MapPoint], districts: Mapping[str, str]) -> list[MapPoint]:
    """Each district's centre: the mean of its neighbourhoods' centres."""
    members: dict[str, list[MapPoint]] = {}
    for hood in hoods:
        if hood.name in districts:
            members.setdefault(districts[hood.name], []).append(hood)
    return [
        MapPoint(name, sum(p.lat for p in ps) / len(ps), sum(p.lon for p in ps) / len(ps))
        for name, ps in sorted(members.items())
    ]
