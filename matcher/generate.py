"""Realistic synthetic scenarios, for benchmarks, tests and demonstrations.

Every instance is clearly synthetic and reproducible from its seed. Its shape
follows what LEAD sites report: people and programs cluster in neighbourhoods;
capacity is scarce and most programs have waitlists; some programs never report
capacity; sobriety rules concentrate in recovery housing and inpatient
treatment; a minority exclude sex work or a record, a few require religious
participation, one in a hundred offers conversion therapy; most participants
use drugs, have a record and will travel only a few kilometres (a few up to
40 km, never across the state). Larger instances
add metro regions (one per ~1,000 programs) rather than packing one city
tighter, so the number of candidate arcs per need stays realistic. The default
budget is a fifth of what every purchasable place would cost: it binds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.scenario import SCENARIO_FORMAT, category_of

# (code, share of programs, share of needs, price range of one purchased place)
SERVICE_TYPES: tuple[tuple[str, float, float, tuple[float, float]], ...] = (
    ("housing.shelter", 10, 14, (600, 1200)),
    ("housing.transitional", 5, 7, (900, 1800)),
    ("housing.permanent_supportive", 4, 6, (1500, 2500)),
    ("housing.rapid_rehousing", 3, 5, (1200, 2400)),
    ("housing.recovery_residence", 3, 2, (700, 1400)),
    ("treatment.mat", 5, 9, (400, 1000)),
    ("treatment.detox", 2, 3, (800, 1800)),
    ("treatment.inpatient", 3, 3, (1200, 1800)),
    ("treatment.outpatient", 5, 4, (400, 900)),
    ("mental_health.counseling", 6, 6, (300, 700)),
    ("mental_health.psychiatric", 3, 4, (500, 1000)),
    ("food.meals", 6, 4, (100, 300)),
    ("food.pantry", 5, 3, (100, 250)),
    ("legal.advocacy", 3, 4, (400, 900)),
    ("legal.civil", 2, 2, (400, 900)),
    ("employment.job_training", 5, 4, (800, 2000)),
    ("employment.placement", 4, 3, (500, 1200)),
    ("education.ged", 3, 2, (300, 700)),
    ("education.college", 1, 1, (800, 1500)),
    ("licensing.assistance", 3, 3, (150, 400)),
    ("business.counseling", 1, 1, (300, 800)),
    ("childcare.daycare", 4, 2, (700, 1400)),
    ("peer.counseling", 6, 4, (200, 500)),
    ("harm_reduction.supplies", 5, 3, (50, 150)),
)
POPULATIONS = ("lgbtq", "women", "spanish", "somali", "vietnamese", "native", "youth", "veterans")
LANGUAGES = ("en", "es", "so", "vi", "am", "ti", "zh")
GENDERS = ("man", "woman", "trans woman", "trans man", "nonbinary")
PROGRAMS_PER_REGION = 1000
NEIGHBORHOODS_PER_REGION = 40
REGION_RADIUS_KM = 12.0
CENTER = (47.61, -122.33)


@dataclass(frozen=True)
class GenerateOptions:
    """Size and seed of an instance; ``budget`` None means a fifth of all purchasable value."""

    participants: int
    programs: int
    seed: int = 0
    budget: float | None = None


def _offset(lat: float, lon: float, north_km: Any, east_km: Any) -> tuple[Any, Any]:
    dlat = north_km / 111.32
    dlon = east_km / (111.32 * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def _neighborhoods(rng: np.random.Generator, regions: int) -> tuple[Any, Any, list[str]]:
    lats: list[Any] = []
    lons: list[Any] = []
    names: list[str] = []
    for r in range(regions):
        ring, step = divmod(r, 8)
        angle = step * math.pi / 4
        dist = 0.0 if r == 0 else 60.0 * (ring + 1)
        clat, clon = _offset(*CENTER, dist * math.cos(angle), dist * math.sin(angle))
        radius = REGION_RADIUS_KM * np.sqrt(rng.random(NEIGHBORHOODS_PER_REGION))
        theta = rng.random(NEIGHBORHOODS_PER_REGION) * 2 * math.pi
        la, lo = _offset(clat, clon, radius * np.cos(theta), radius * np.sin(theta))
        lats.append(la)
        lons.append(lo)
        names.extend(f"Region {r + 1} / Area {k + 1}" for k in range(NEIGHBORHOODS_PER_REGION))
    return np.concatenate(lats), np.concatenate(lons), names


def _place(
    rng: np.random.Generator, lat: Any, lon: Any, hood: Any, spread_km: float
) -> tuple[Any, Any]:
    north = rng.normal(0.0, spread_km, len(hood))
    east = rng.normal(0.0, spread_km, len(hood))
    return _offset(lat[hood], lon[hood], north, east)


def _ids(rng: np.random.Generator, prefix: str, count: int) -> list[str]:
    width = max(4, math.ceil(math.log(max(count, 2) * 50, 16)))
    pool = rng.choice(16**width, size=count, replace=False)
    return [f"{prefix}{v:0{width}x}" for v in pool]


def generate(options: GenerateOptions) -> dict[str, Any]:
    """A scenario as contract JSON (a dict), ready for ``parse_scenario`` or ``json.dump``."""
    rng = np.random.default_rng(options.seed)
    regions = max(1, math.ceil(options.programs / PROGRAMS_PER_REGION))
    hood_lat, hood_lon, hood_names = _neighborhoods(rng, regions)
    programs = _programs(rng, options.programs, hood_lat, hood_lon, hood_names)
    participants = _participants(rng, options.participants, hood_lat, hood_lon, programs)
    budget = options.budget
    if budget is None:
        total = sum(
            g["capacity"].get("purchasable", 0) * g["capacity"].get("price", 0.0)
            for g in programs
            if not any(g.get("barriers", {}).values())
        )
        budget = round(total / 5, -2)
    return {
        "format": SCENARIO_FORMAT,
        "as_of": "2026-11-22T08:00:00Z",
        "fund": {"budget": float(budget)},
        "programs": programs,
        "participants": participants,
    }


def _programs(
    rng: np.random.Generator, count: int, hood_lat: Any, hood_lon: Any, names: list[str]
) -> list[dict[str, Any]]:
    codes = [t[0] for t in SERVICE_TYPES]
    share = np.array([t[1] for t in SERVICE_TYPES], dtype=float)
    kind = rng.choice(len(codes), size=count, p=share / share.sum())
    hood = rng.integers(0, len(hood_lat), count)
    lat, lon = _place(rng, hood_lat, hood_lon, hood, 0.4)
    ids = _ids(rng, "g-", count)
    u = rng.random((count, 16))
    open_slots = rng.poisson(3.0, count)
    waitlist = np.where(u[:, 0] < 0.35, 0, rng.poisson(4.0, count))
    held = np.minimum(open_slots, rng.binomial(2, 0.15, count))
    out = []
    for i in range(count):
        code = codes[kind[i]]
        category = category_of(code)
        recovery = code in ("housing.recovery_residence", "treatment.inpatient")
        barriers = {
            "excludes_active_use": bool(u[i, 1] < (0.85 if recovery else 0.08)),
            "excludes_sex_work": bool(u[i, 2] < 0.05),
            "excludes_criminal_history": bool(u[i, 3] < 0.07),
            "requires_religious_participation": bool(u[i, 4] < 0.04),
            "conversion_therapy": bool(u[i, 5] < 0.01),
        }
        capacity: dict[str, Any] = {"waitlist": int(waitlist[i])}
        if u[i, 6] >= 0.08:
            capacity["open_slots"] = int(open_slots[i])
            capacity["held"] = int(held[i])
        if u[i, 7] < 0.10:
            capacity["lead_reserved_open"] = int(rng.integers(1, 3))
        if u[i, 8] < 0.40:
            lo, hi = SERVICE_TYPES[kind[i]][3]
            capacity["purchasable"] = int(rng.integers(1, 6))
            capacity["price"] = float(round(rng.uniform(lo, hi), -1))
        eligibility: dict[str, Any] = {}
        if category == "housing" and u[i, 9] < 0.12:
            eligibility["genders"] = (
                ["woman", "trans woman"] if u[i, 10] < 0.6 else ["man", "trans man"]
            )
        if u[i, 11] < 0.07:
            eligibility["max_age"] = 24
            eligibility["min_age"] = 18
        elif u[i, 11] < 0.10:
            eligibility["min_age"] = 21
        if category in ("housing", "childcare") and u[i, 12] < 0.15:
            eligibility["households"] = ["family"]
        if category == "housing" and u[i, 13] < 0.35:
            eligibility["pets_allowed"] = False
        if u[i, 14] < 0.15:
            eligibility["requires_id"] = True
        program: dict[str, Any] = {
            "id": ids[i],
            "provider_id": f"org-{ids[i][2:]}",
            "name": f"{code.split('.')[-1].replace('_', ' ').capitalize()} {ids[i][2:]}",
            "service_types": [code],
            "location": {
                "lat": round(float(lat[i]), 6),
                "lon": round(float(lon[i]), 6),
                "neighborhood": names[hood[i]],
            },
            "capacity": capacity,
            "barriers": {k: v for k, v in barriers.items() if v},
            "eligibility": eligibility,
        }
        if u[i, 15] < 0.2:
            program["serves"] = [str(rng.choice(POPULATIONS))]
        program["languages"] = ["en"] + ([str(rng.choice(LANGUAGES[1:]))] if u[i, 15] < 0.4 else [])
        out.append(program)
    return out


def _need_types(rng: np.random.Generator, count: int) -> list[list[str]]:
    codes = [t[0] for t in SERVICE_TYPES]
    share = np.array([t[2] for t in SERVICE_TYPES], dtype=float)
    picks = rng.choice(len(codes), size=count, p=share / share.sum())
    alt = rng.choice(len(codes), size=count, p=share / share.sum())
    two = rng.random(count) < 0.3
    out = []
    for k, a, both in zip(picks, alt, two, strict=True):
        first = codes[k]
        second = codes[a]
        same_category = category_of(first) == category_of(second)
        out.append([first, second] if both and same_category and first != second else [first])
    return out


def _participants(
    rng: np.random.Generator,
    count: int,
    hood_lat: Any,
    hood_lon: Any,
    programs: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    hood = rng.integers(0, len(hood_lat), count)
    lat, lon = _place(rng, hood_lat, hood_lon, hood, 0.8)
    ids = _ids(rng, "p-", count)
    u = rng.random((count, 16))
    n_needs = rng.choice([1, 2, 3, 4], size=count, p=[0.45, 0.35, 0.15, 0.05])
    types = iter(_need_types(rng, int(n_needs.sum())))
    ages = rng.integers(18, 71, count)
    out = []
    for i in range(count):
        attributes: dict[str, Any] = {
            "active_use": bool(u[i, 0] < 0.6),
            "sex_work": bool(u[i, 1] < 0.15),
            "criminal_history": bool(u[i, 2] < 0.8),
            "has_pet": bool(u[i, 3] < 0.1),
            "has_id": bool(u[i, 4] >= 0.25),
            "accepts_faith_based": bool(u[i, 5] < 0.2),
        }
        if u[i, 6] >= 0.05:
            attributes["age"] = int(ages[i]) if u[i, 6] >= 0.15 else int(rng.integers(18, 25))
        if u[i, 7] >= 0.05:
            attributes["gender"] = str(rng.choice(GENDERS, p=[0.55, 0.3, 0.06, 0.03, 0.06]))
        attributes["household"] = str(rng.choice(["single", "couple", "family"], p=[0.8, 0.1, 0.1]))
        person: dict[str, Any] = {
            "id": ids[i],
            "location": {"lat": round(float(lat[i]), 6), "lon": round(float(lon[i]), 6)},
            "attributes": attributes,
        }
        far = u[i, 8] >= 0.92  # a few will travel across the metro area, nobody across the state
        reach = rng.uniform(25.0, 40.0) if far else rng.uniform(2.0, 15.0)
        person["max_distance_km"] = float(round(reach, 1))
        if u[i, 9] < 0.10:
            clat, clon = _offset(float(lat[i]), float(lon[i]), rng.normal(0, 2), rng.normal(0, 2))
            person["stay_away"] = [
                {
                    "lat": round(float(clat), 6),
                    "lon": round(float(clon), 6),
                    "radius_m": float(round(rng.uniform(300, 1500), -1)),
                }
            ]
        if u[i, 10] < 0.05 and programs:
            person["avoid_programs"] = [programs[int(rng.integers(0, len(programs)))]["id"]]
        if u[i, 11] < 0.15:
            person["prefers"] = [str(rng.choice(POPULATIONS))]
        if u[i, 12] < 0.3:
            person["languages"] = [str(rng.choice(LANGUAGES[1:]))]
        acute_first = u[i, 13] < 0.3
        person["needs"] = [
            {
                "id": f"{ids[i]}-{k + 1}",
                "service_types": next(types),
                "rank": k + 1,
                **({"acute": True} if acute_first and k == 0 else {}),
            }
            for k in range(int(n_needs[i]))
        ]
        out.append(person)
    return out
