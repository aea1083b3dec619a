"""``matcher simulate``: a horizon of events, the policies side by side, and hindsight.

``horizon`` draws the events (seeded, on top of ``matcher.generate``);
``policies`` runs ``request``, ``resolve`` and ``priced`` day by day, each
snapshot decided by the project's own solver (``snapshot``); ``hindsight``
solves the whole horizon offline, exactly; ``potentials`` learns what places are
worth from an earlier horizon; ``metrics`` scores every answer and re-checks
that none displaced anybody. ``foresight``, a diagnostic rather than a policy,
solves hindsight over a window of the coming days, every day, to measure how much
of hindsight's edge is knowing the future.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from matcher.simulate.hindsight import hindsight
from matcher.simulate.horizon import Horizon, SimOptions, generate_horizon, history_horizon
from matcher.simulate.metrics import ratio, summary
from matcher.simulate.policies import POLICIES, Outcome, run_policy
from matcher.simulate.potentials import learn


def simulate(
    options: SimOptions,
    policies: Sequence[str] = POLICIES,
    progress: Callable[[str], None] | None = None,
) -> tuple[Horizon, dict[str, Outcome], dict[str, Any]]:
    """Run the policies and hindsight over the seeded horizon of ``options``.

    Returns the horizon, each answer (``"hindsight"`` and every policy) and the
    report: ``{"horizon": ..., "hindsight": {...}, "policies": {name: {...}}}``,
    each block with acute needs met, needs met, spend, displaced and days waited,
    each policy's with its ratio to hindsight. ``progress`` hears of each step.
    """
    say = progress or (lambda _: None)
    horizon = generate_horizon(options)
    outcomes, report = compare(horizon, policies, lambda: history_horizon(options), say)
    return horizon, outcomes, report


def compare(
    horizon: Horizon,
    policies: Sequence[str],
    history: Callable[[], Horizon],
    say: Callable[[str], None],
) -> tuple[dict[str, Outcome], dict[str, Any]]:
    """Hindsight and each policy over ``horizon`` (``priced`` learns from ``history()``,
    a horizon on the same programs), and the report of ``simulate``."""
    size = describe(horizon)
    say(
        f"horizon: {size['days']} days, {size['needs']} needs ({size['acute_needs']} acute), "
        f"{size['places']} places; solving in hindsight"
    )
    outcomes = {"hindsight": hindsight(horizon)}
    for name in policies:
        say(f"running {name}")
        learned = learn(history(), horizon) if name == "priced" else None
        outcomes[name] = run_policy(horizon, name, learned, horizon.options.hold)
    best = summary(horizon, outcomes["hindsight"])
    report: dict[str, Any] = {"horizon": size, "hindsight": best, "policies": {}}
    for name in policies:
        block = summary(horizon, outcomes[name])
        block["ratio_to_hindsight"] = {
            key: ratio(block[key], best[key]) for key in ("acute_met", "needs_met")
        }
        report["policies"][name] = block
    return outcomes, report


def describe(horizon: Horizon) -> dict[str, Any]:
    """The horizon's size: days, participants, programs, needs, acute needs, places, money."""
    return {
        "days": horizon.days,
        "seed": horizon.options.seed,
        "participants": len(horizon.scenario.participants),
        "programs": len(horizon.scenario.programs),
        "needs": horizon.tables.needs.size,
        "acute_needs": int(horizon.tables.needs.acute.sum()),
        "places": len(horizon.slot_node),
        "budget": horizon.total_budget_cents / 100,
    }


__all__ = ["POLICIES", "SimOptions", "compare", "simulate"]
