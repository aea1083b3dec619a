"""Place imported addresses on the map: a configured geopy geocoder when there is one,
otherwise (or when it fails) the centroid of the address's US ZIP code.

Imported programs (HMIS, HSDS) come with addresses, not coordinates, and the matcher
measures distance in kilometres. A geocoder gives a street-level point but needs the
network and a service's consent; ZIP centroids ship offline with the ``zipcodes``
package and are close enough for "how far is this from the participant" within a
city. With no geocoder configured (the default) nothing here touches the network.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

import zipcodes

from matcher.settings import Settings, get_settings

log = logging.getLogger(__name__)

Method = Literal["geocoder", "zip_centroid"]

_ZIP = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")
_US = {"", "us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}


@dataclass(frozen=True)
class Located:
    """Where an address is, and how that was found (``geocoder`` or ``zip_centroid``)."""

    lat: float
    lon: float
    method: str


class GeocoderSettingsInvalid(ValueError):
    """``MATCHER_GEOCODER*`` name a geocoder that cannot be built (unknown name, or one
    the service would refuse, such as Nominatim without a user agent)."""


class Geocoder(Protocol):
    """The part of a geopy geocoder this module uses."""

    def geocode(self, query: str, *, exactly_one: bool = True, timeout: float = ...) -> Any: ...


_Key = tuple[str, str, str, str, str]


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


@lru_cache(maxsize=4096)
def _zip_rows(zip5: str) -> tuple[dict[str, Any], ...]:
    """``zipcodes``' rows for a five-digit code, looked up once (each look-up scans
    the package's whole table)."""
    # The package is typed only in its compiled core; its public wrapper is not.
    rows: list[dict[str, Any]] = zipcodes.matching(zip5)  # type: ignore[no-untyped-call]
    return tuple(rows)


def zip_centroid(postal_code: str | None, country: str | None = None) -> Located | None:
    """The centroid of a US ZIP code (``12345`` or ``12345-6789``), offline; None for a
    code that is malformed, unknown, or outside the US."""
    if _clean(country).lower() not in _US or postal_code is None:
        return None
    match = _ZIP.match(postal_code)
    if match is None:
        return None
    for row in _zip_rows(match.group(1)):
        try:
            return Located(float(row["lat"]), float(row["long"]), "zip_centroid")
        except (KeyError, TypeError, ValueError):
            continue
    return None


def zip_state(postal_code: str | None) -> str | None:
    """The two-letter state of a US ZIP code, or None when the code is malformed or
    unknown (so that an address's State can be checked against its ZIP)."""
    match = _ZIP.match(postal_code or "")
    if match is None:
        return None
    for row in _zip_rows(match.group(1)):
        state = row.get("state")
        if isinstance(state, str) and state:
            return state.upper()
    return None


class Locator:
    """Turns addresses into points, each distinct query answered once per locator.

    ``geocoder`` is any object with geopy's ``geocode(query, exactly_one=, timeout=)``.
    A geocoder that times out or is unreachable is not asked again by this locator (a
    whole import would otherwise wait out one timeout per row); a query it cannot
    answer falls back to the ZIP centroid for that query only.
    """

    def __init__(
        self,
        geocoder: Geocoder | None = None,
        *,
        timeout: float = 5.0,
        min_delay_seconds: float = 0.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._geocoder = geocoder
        self._timeout = timeout
        self._min_delay = min_delay_seconds
        self._sleep = sleep
        self._last_call: float | None = None
        self._cache: dict[_Key, Located | None] = {}
        self.geocoder_failures = 0

    @property
    def uses_geocoder(self) -> bool:
        """Whether a geocoder is configured and has not been given up on."""
        return self._geocoder is not None

    def locate(
        self,
        *,
        address: str | None = None,
        city: str | None = None,
        state: str | None = None,
        postal_code: str | None = None,
        country: str | None = None,
    ) -> Located | None:
        """Where the address is, or None when neither the geocoder nor the ZIP code
        places it."""
        key: _Key = (
            _clean(address),
            _clean(city),
            _clean(state),
            _clean(postal_code),
            _clean(country),
        )
        if key not in self._cache:
            self._cache[key] = self._ask_geocoder(key) or zip_centroid(postal_code, country)
        return self._cache[key]

    def _ask_geocoder(self, key: _Key) -> Located | None:
        if self._geocoder is None:
            return None
        address, city, state, postal_code, country = key
        region = " ".join(p for p in (state, postal_code) if p)
        query = ", ".join(p for p in (address, city, region, country) if p)
        if not query or not (address or city or postal_code):
            return None
        from geopy.exc import GeocoderTimedOut, GeocoderUnavailable, GeopyError

        self._wait()
        try:
            found = self._geocoder.geocode(query, exactly_one=True, timeout=self._timeout)
        except (GeocoderTimedOut, GeocoderUnavailable, OSError) as error:
            self.geocoder_failures += 1
            self._geocoder = None
            # The address is a program's, but it is still left out of the log.
            log.warning("geocoder unreachable (%s); using ZIP centroids", type(error).__name__)
            return None
        except GeopyError as error:
            self.geocoder_failures += 1
            log.info("geocoder refused a query (%s); using its ZIP centroid", type(error).__name__)
            return None
        if found is None:
            return None
        try:
            return Located(float(found.latitude), float(found.longitude), "geocoder")
        except (AttributeError, TypeError, ValueError):
            self.geocoder_failures += 1
            return None

    def _wait(self) -> None:
        if self._min_delay <= 0:
            return
        import time

        now = time.monotonic()
        if self._last_call is not None:
            pause = self._min_delay - (now - self._last_call)
            if pause > 0:
                (self._sleep or time.sleep)(pause)
        self._last_call = time.monotonic()


def build_geocoder(settings: Settings) -> Geocoder | None:
    """The geopy geocoder ``settings`` name, or None when none is configured."""
    name = settings.geocoder.strip().lower()
    if not name:
        return None
    from geopy.exc import ConfigurationError, GeocoderNotFound
    from geopy.geocoders import get_geocoder_for_service

    try:
        cls = get_geocoder_for_service(name)
    except GeocoderNotFound as error:
        raise GeocoderSettingsInvalid(f"MATCHER_GEOCODER: {error}") from None
    options: dict[str, Any] = {"timeout": settings.geocoder_timeout}
    if settings.geocoder_user_agent:
        options["user_agent"] = settings.geocoder_user_agent
    if settings.geocoder_api_key is not None:
        options["api_key"] = settings.geocoder_api_key.get_secret_value()
    try:
        geocoder: Geocoder = cls(**options)
    except (ConfigurationError, TypeError) as error:
        raise GeocoderSettingsInvalid(
            f"MATCHER_GEOCODER={name}: cannot be used with these settings "
            f"(MATCHER_GEOCODER_USER_AGENT / MATCHER_GEOCODER_API_KEY): {error}"
        ) from None
    return geocoder


def default_locator(settings: Settings | None = None) -> Locator:
    """A locator as the deployment's settings configure it: ZIP centroids only unless
    ``MATCHER_GEOCODER`` names a geopy geocoder. Raises ``GeocoderSettingsInvalid`` for a
    geocoder that cannot be built, rather than silently importing without it."""
    settings = settings or get_settings()
    return Locator(
        build_geocoder(settings),
        timeout=settings.geocoder_timeout,
        min_delay_seconds=settings.geocoder_min_delay,
    )
