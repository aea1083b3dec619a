"""Small-cell suppression: no count from 1 to 10 is shown, and none can be worked out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from matcher.funding import suppress
from matcher.funding.suppression import TOTAL

cell = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 400))
tables = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: st.lists(
            st.lists(cell, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)


def make_counts(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        index=[f"type-{i}" for i in range(len(rows))],
        columns=[f"hood-{j}" for j in range(len(rows[0]))],
    )


def determined_cells(full: pd.DataFrame, hidden: pd.DataFrame) -> list[tuple[str, str]]:
    """Hidden cells that the published cells and the additivity of the table pin down.

    Independent of the implementation: unknown ``x_i`` is determined by ``A x = b``
    exactly when the unit vector ``e_i`` lies in the row space of ``A``.
    """
    cells = [(r, c) for r in full.index for c in full.columns if hidden.loc[r, c]]
    if not cells:
        return []
    where = {cell: k for k, cell in enumerate(cells)}
    rows_eq = []
    data_cols = [c for c in full.columns if c != TOTAL]
    data_rows = [r for r in full.index if r != TOTAL]
    for r in full.index:  # each row: its cells add up to its total
        rows_eq.append([(r, c, 1) for c in data_cols] + [(r, TOTAL, -1)])
    for c in full.columns:
        rows_eq.append([(r, c, 1) for r in data_rows] + [(TOTAL, c, -1)])
    a = np.zeros((len(rows_eq), len(cells)))
    for i, terms in enumerate(rows_eq):
        for r, c, sign in terms:
            if (r, c) in where:
                a[i, where[(r, c)]] += sign
    rank = np.linalg.matrix_rank(a)
    out = []
    for cell, k in where.items():
        unit = np.zeros(len(cells))
        unit[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.append(cell)
    return out


@given(tables)
def test_no_small_count_is_shown_and_no_hidden_count_can_be_recovered(
    rows: list[list[int]],
) -> None:
    result = suppress(make_counts(rows))
    full = make_counts(rows)
    full[TOTAL] = full.sum(axis=1)
    full.loc[TOTAL] = full.sum(axis=0)
    shown = result.shown
    small = (full >= 1) & (full <= 10)
    assert not (small & ~result.suppressed).to_numpy().any()
    published = ~result.suppressed.to_numpy()
    assert (shown.to_numpy()[published] == full.to_numpy()[published]).all()
    assert determined_cells(full, result.suppressed) == []


def test_a_lone_small_cell_takes_a_rectangle_with_it() -> None:
    counts = make_counts([[5, 40, 30], [50, 60, 70], [80, 90, 100]])
    result = suppress(counts)
    assert result.primary == 1
    assert result.complementary >= 3
    assert result.shown.loc["type-0", "hood-0"] is pd.NA
    assert result.shown.loc[TOTAL, TOTAL] == sum(
        sum(r) for r in [[5, 40, 30], [50, 60, 70], [80, 90, 100]]
    )


def test_large_counts_are_all_shown() -> None:
    result = suppress(make_counts([[20, 30], [40, 50]]))
    assert (result.primary, result.complementary) == (0, 0)
    assert result.shown.loc[TOTAL, "hood-1"] == 80
