"""Where the shipped data lives: the sample city and the city's neighbourhoods."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_CITY = DATA / "sample-city.json"
SEATTLE_NEIGHBORHOODS = DATA / "neighborhoods" / "seattle.csv"
