"""Benchmark instances: generated once per run, written to one JSON file each.

Every method of a run reads the same file, so the comparison is on the same
instance. The budget is the generator's default (a fifth of all purchasable
value), which binds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.generate import GenerateOptions, generate


@dataclass(frozen=True)
class Size:
    """A named instance size."""

    name: str
    participants: int
    programs: int


SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("tiny", 200, 20),
        Size("site", 1_000, 100),
        Size("county", 10_000, 1_000),
        Size("state", 100_000, 10_000),
    )
}


@dataclass(frozen=True)
class Instance:
    """One generated scenario on disk, with what the harness needs to check answers."""

    size: Size
    seed: int
    path: Path
    needs: int
    acute_needs: int
    budget: float
    unused: dict[str, int]
    """Per program id: unused capacity ``max(0, open_slots - held - waitlist)``."""


def unused_capacity(program: dict[str, Any]) -> int:
    """The general pool of a program as the contract defines it (0 when never reported)."""
    capacity = program.get("capacity", {})
    open_slots = capacity.get("open_slots")
    if open_slots is None:
        return 0
    held = capacity.get("held") or 0
    waitlist = capacity.get("waitlist") or 0
    return max(0, int(open_slots) - int(held) - int(waitlist))


def write_instance(size: Size, seed: int, directory: Path) -> Instance:
    """Generate ``size`` from ``seed`` (default budget, which binds); write it in ``directory``."""
    scenario = generate(GenerateOptions(size.participants, size.programs, seed))
    path = directory / f"{size.name}-seed{seed}.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    needs = [n for p in scenario["participants"] for n in p["needs"]]
    return Instance(
        size=size,
        seed=seed,
        path=path,
        needs=len(needs),
        acute_needs=sum(1 for n in needs if n.get("acute")),
        budget=float(scenario["fund"]["budget"]),
        unused={g["id"]: unused_capacity(g) for g in scenario["programs"]},
    )
