"""What several commands share about their options: bounds that keep every number
inside what the engine computes with, checked before any work starts (exit code 2)."""

from __future__ import annotations

import math

import typer

MAX_SECONDS = 86_400.0
"""The longest solver time limit accepted (a day)."""


def finite(value: float | None) -> float | None:
    """Refuse NaN for a number option (click's ranges let it through)."""
    if value is not None and math.isnan(value):
        raise typer.BadParameter("must be a number, not NaN")
    return value
