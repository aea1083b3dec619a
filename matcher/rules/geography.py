"""Geography rules: the participant's travel limit and stay-away circles.

Distances are haversine great-circle distances on a sphere of radius
6371.009 km (the mean earth radius the contract fixes), computed in bulk with
numpy; ``geopy.distance.great_circle`` gives the same numbers one pair at a time
and is the cross-check in the tests.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.tables import BoolArray, FloatArray, IntArray, Participants, Programs

EARTH_RADIUS_KM = 6371.009


def haversine_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Element-wise great-circle distance in km between two arrays of points (degrees)."""
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def pair_distance_km(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> FloatArray:
    """Distance from each participant ``p[i]`` to each program ``g[i]``.

    ``haversine_km`` with each side's latitude in radians and its cosine taken once per
    participant and per program, not once per pair: the same operations on the same
    values in the same order, so the same distances to the last bit.
    """
    phi1 = np.radians(people.lat)
    phi2 = np.radians(progs.lat)
    dphi = phi2[g] - phi1[p]
    dlmb = np.radians(progs.lon[g] - people.lon[p])
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1)[p] * np.cos(phi2)[g] * np.sin(dlmb / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def beyond_max_distance(people: Participants, distance_km: FloatArray, p: IntArray) -> BoolArray:
    """``max_distance``: the program lies farther than the participant will go."""
    return np.asarray(distance_km > people.max_distance_km[p])


def inside_stay_away(people: Participants, progs: Programs, p: IntArray, g: IntArray) -> BoolArray:
    """``stay_away``: the program lies strictly inside one of the participant's circles.

    Pairs are expanded against their owner's circles only (a participant with no
    circle costs nothing), then reduced back with a bincount.
    """
    out = np.zeros(len(p), dtype=bool)
    if len(people.stay_owner) == 0 or len(p) == 0:
        return out
    counts = np.bincount(people.stay_owner, minlength=people.size)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.argsort(people.stay_owner, kind="stable")
    per_pair = counts[p]
    pair_of = np.repeat(np.arange(len(p)), per_pair)
    if len(pair_of) == 0:
        return out
    offset = np.arange(len(pair_of)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    circle = order[np.repeat(starts[p], per_pair) + offset]
    d = haversine_km(
        people.stay_lat[circle],
        people.stay_lon[circle],
        progs.lat[g[pair_of]],
        progs.lon[g[pair_of]],
    )
    hit = d < people.stay_radius_km[circle]
    out[np.unique(pair_of[hit])] = True
    return out
