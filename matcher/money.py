"""Money in whole cents, rounded so that the budget can never be exceeded.

Amounts in a scenario are decimal numbers. The solver counts in integer cents:
a price is rounded *up* to the cent and the budget *down*, so any choice that
fits the budget in cents fits it in the scenario's own amounts too. For prices
and budgets given in whole cents (all real money) the rounding changes nothing.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

# Absorbs binary floating-point noise (19.99 * 100 = 1998.9999999999998).
_NOISE = 1e-6


def budget_cents(amount: float) -> int:
    """The budget in whole cents, rounded down."""
    return math.floor(amount * 100 + _NOISE)


def price_cents(amounts: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Prices in whole cents, rounded up."""
    return np.ceil(amounts * 100 - _NOISE).astype(np.int64)


def one_price_cents(amount: float) -> int:
    """One price in whole cents, rounded up (as ``price_cents``)."""
    return math.ceil(amount * 100 - _NOISE)


def dollars(amount: float) -> str:
    """An amount as people write it, the one format every page and message uses:
    ``$1,100``, ``$12.50``, ``-$3`` (cents only when there are some)."""
    cents = round(amount * 100)
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}" + (f".{part:02d}" if part else "")
