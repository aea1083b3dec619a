"""Neighbourhoods for reporting: the one given, else the nearest of the city's known set.

A city's set is a table of names and centroids (``data/neighborhoods/*.csv``).
Without one, the set is taken from the scenario itself: every neighbourhood a
program names, at the mean of its programs' locations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from matcher.rules.geography import haversine_km
from matcher.scenario import Scenario

UNKNOWN = "(unknown)"


def load_centroids(path: str | Path) -> pd.DataFrame:
    """A city's neighbourhoods: a CSV with ``name,lat,lon`` columns."""
    table = pd.read_csv(path)
    missing = {"name", "lat", "lon"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return table[["name", "lat", "lon"]]


def centroids_from(scenario: Scenario) -> pd.DataFrame:
    """Neighbourhoods named by programs, each at the mean of its programs' locations."""
    rows = [
        (g.location.neighborhood, g.location.lat, g.location.lon)
        for g in scenario.programs
        if g.location.neighborhood
    ]
    table = pd.DataFrame(rows, columns=["name", "lat", "lon"])
    return table.groupby("name", as_index=False)[["lat", "lon"]].mean()


def nearest(lat: np.ndarray, lon: np.ndarray, centroids: pd.DataFrame) -> list[str]:
    """The nearest centroid's name for each point (great-circle distance)."""
    if centroids.empty or len(lat) == 0:
        return [UNKNOWN] * len(lat)
    c_lat = centroids["lat"].to_numpy(dtype=np.float64)
    c_lon = centroids["lon"].to_numpy(dtype=np.float64)
    names = centroids["name"].tolist()
    out: list[str] = []
    for start in range(0, len(lat), 4096):
        la = lat[start : start + 4096, None]
        lo = lon[start : start + 4096, None]
        d = haversine_km(
            np.broadcast_to(la, (len(la), len(c_lat))),
            np.broadcast_to(lo, (len(lo), len(c_lon))),
            np.broadcast_to(c_lat, (len(la), len(c_lat))),
            np.broadcast_to(c_lon, (len(lo), len(c_lon))),
        )
        out.extend(names[k] for k in d.argmin(axis=1))
    return out


def participant_neighborhoods(
    scenario: Scenario, centroids: pd.DataFrame | None = None
) -> dict[str, str]:
    """Participant id -> neighbourhood: their own when given, else the nearest known."""
    known = centroids if centroids is not None else centroids_from(scenario)
    people = scenario.participants
    lat = np.array([p.location.lat for p in people], dtype=np.float64)
    lon = np.array([p.location.lon for p in people], dtype=np.float64)
    guessed = nearest(lat, lon, known)
    return {
        p.id: p.location.neighborhood or guess for p, guess in zip(people, guessed, strict=True)
    }
