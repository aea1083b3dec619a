"""Shared test setup: the Hypothesis profile and paths to the contract's files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from matcher.store.crypto import RING, new_key
from tests.dbs import BACKENDS, engine_for

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec"
if not SPEC.exists():
    SPEC = ROOT / "tests" / "spec"

# One data key for the whole run, inherited by the commands the tests start.
os.environ.setdefault("MATCHER_DATA_KEYS", new_key())
RING.configure([os.environ["MATCHER_DATA_KEYS"].split(",")[0]])

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store on each backend under test."""
    with engine_for(str(request.param), tmp_path) as e:
        yield e
