"""The site's area: where its participants are met (a centre and a radius)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SiteArea:
    """Where the site's participants are met: within ``radius_km`` of a centre."""

    lat: float
    lon: float
    radius_km: float

    def distance_km(self, lat: float, lon: float) -> float:
        """Great-circle distance from the centre, as the matching rules measure it."""
        import numpy as np

        from matcher.rules.geography import haversine_km

        point = np.array
        return float(
            haversine_km(point([self.lat]), point([self.lon]), point([lat]), point([lon]))[0]
        )
