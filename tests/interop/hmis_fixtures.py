"""The HMIS CSV fixtures: a good export and broken variants, each broken folder holding
only the files that differ from the good one."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hmis"
GOOD = FIXTURES / "good"
DAY = date(2026, 11, 1)


def export_dir(tmp_path: Path, variant: str | None = None) -> Path:
    """A copy of the good export, with ``variant``'s files laid over it."""
    target = tmp_path / (variant or "good")
    shutil.copytree(GOOD, target)
    if variant is not None:
        for path in (FIXTURES / variant).iterdir():
            shutil.copy(path, target / path.name)
    return target
