"""Funders' tables that stay readable under suppression.

Counts of unmet need by service type and neighbourhood are mostly small in a small
city, and small counts are suppressed (``matcher.funding.suppression``): a table of
such cells says nothing. So the table is rolled up, a step at a time, until its
cells can be shown: service types to their categories, neighbourhoods to districts,
districts to the whole city. The first step at which at most ``MOST_HIDDEN`` of the
cells that count something are hidden is the one shown; if none gets there, the
step that hides the smallest share. The result says which step it took and how many
cells the finest table would have hidden, so the page can say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matcher.funding.suppression import SuppressedTable, suppress

WHOLE_CITY = "whole city"
ALL_SERVICES = "all services"
OTHER_AREAS = "other areas"
MOST_HIDDEN = 0.25
"""A table is readable when at most this share of its non-empty cells is hidden."""

LADDER: tuple[tuple[str, str], ...] = (
    ("service_type", "neighborhood"),
    ("category", "neighborhood"),
    ("category", "district"),
    ("category", "city"),
)
"""The steps, finest first: (what the rows are, what the columns are)."""

AREA_LADDER: tuple[tuple[str, str], ...] = (("neighborhood", "all"), ("district", "all"))
"""Where the needs are, whatever the service: neighbourhoods, else districts."""


@dataclass(frozen=True, slots=True)
class RolledUp:
    """A suppressed table at the step chosen, and what the finest step would have hidden."""

    table: SuppressedTable
    rows: str
    columns: str
    hidden_share: float
    finest_hidden: int
    finest_cells: int

    @property
    def rolled_up(self) -> bool:
        """Whether the table is coarser than the finest step of its ladder."""
        return (self.rows, self.columns) not in (LADDER[0], AREA_LADDER[0])


def load_districts(path: str | Path) -> dict[str, str]:
    """Neighbourhood -> district, from a city's neighbourhood CSV with a ``district``
    column (``data/neighborhoods/seattle.csv``); empty when it has none."""
    table = pd.read_csv(path)
    if not {"name", "district"} <= set(table.columns):
        return {}
    known = table.dropna(subset=["name", "district"])
    return {str(n): str(d) for n, d in zip(known["name"], known["district"], strict=True)}


def with_areas(frame: pd.DataFrame, districts: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` (one row per unmet need, with ``neighborhood``) with its ``district``
    (``OTHER_AREAS`` for a neighbourhood no district lists), ``city`` and ``all``
    (every service) columns: the coarsest step of each dimension."""
    hoods = frame["neighborhood"].astype(str)
    return frame.assign(
        district=[districts.get(h, OTHER_AREAS) for h in hoods], city=WHOLE_CITY, all=ALL_SERVICES
    )


def hidden_share(table: SuppressedTable) -> tuple[int, int]:
    """Hidden cells, and cells that count something or are hidden, inside the margins."""
    inner = table.suppressed.iloc[:-1, :-1].to_numpy()
    values = table.shown.iloc[:-1, :-1].fillna(0).to_numpy()
    counted = inner | (values > 0)
    return int(inner.sum()), int(counted.sum())


def readable(
    frame: pd.DataFrame,
    districts: Mapping[str, str],
    ladder: Sequence[tuple[str, str]] = LADDER,
    most_hidden: float = MOST_HIDDEN,
) -> RolledUp:
    """The finest step of ``ladder`` whose table hides at most ``most_hidden`` of its
    non-empty cells, else the step hiding the smallest share (the coarsest on a tie)."""
    if frame.empty:
        raise ValueError("frame: no unmet need to count")
    areas = with_areas(frame, districts)
    best: RolledUp | None = None
    finest: tuple[int, int] | None = None
    for rows, columns in ladder:
        counts = areas.groupby([rows, columns]).size().unstack(fill_value=0).astype("int64")
        counts.index.name = counts.columns.name = None
        table = suppress(counts)
        hidden, cells = hidden_share(table)
        finest = finest or (hidden, cells)
        share = hidden / cells if cells else 0.0
        step = RolledUp(table, rows, columns, share, *finest)
        if share <= most_hidden:
            return step
        if best is None or share <= best.hidden_share:
            best = step
    assert best is not None
    return best


STEP_WORDS = {
    "service_type": "service type",
    "category": "service category",
    "neighborhood": "neighbourhood",
    "district": "district",
    "city": "whole city",
    "all": "all services",
}
"""What a reader calls each step's rows or columns."""


def roll_up_note(rows: str, columns: str, finest_hidden: int, finest_cells: int) -> str:
    """What a table was rolled up to, and why, in words; empty when it was not."""
    if (rows, columns) in (LADDER[0], AREA_LADDER[0]):
        return ""
    by_area = columns == "all"
    finest = "neighbourhood" if by_area else "service type and neighbourhood"
    shown = STEP_WORDS[rows] if by_area else f"{STEP_WORDS[rows]} and {STEP_WORDS[columns]}"
    return (
        f"Rolled up to {shown} so that counts can be shown: by {finest}, "
        f"{finest_hidden} of {finest_cells} counts would be hidden."
    )
