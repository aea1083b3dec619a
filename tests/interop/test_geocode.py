"""Locating imported addresses: ZIP centroids offline, a geocoder when configured, the
centroid again when the geocoder fails, and None when nothing places the address."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from geopy.exc import GeocoderQueryError, GeocoderTimedOut

from matcher.interop.geocode import (
    GeocoderSettingsInvalid,
    Located,
    Locator,
    default_locator,
    zip_centroid,
)
from matcher.settings import Settings

SEATTLE_98104 = Located(47.6036, -122.3256, "zip_centroid")


@dataclass
class Point:
    latitude: float
    longitude: float


@dataclass
class FakeGeocoder:
    """Stands in for a geopy geocoder: answers from a table, or raises ``error``."""

    answers: dict[str, Point | None] = field(default_factory=dict)
    error: Exception | None = None
    queries: list[str] = field(default_factory=list)

    def geocode(self, query: str, *, exactly_one: bool = True, timeout: float = 1.0) -> Any:
        self.queries.append(query)
        if self.error is not None:
            raise self.error
        return self.answers.get(query)


def test_zip_centroid_places_a_us_zip_offline() -> None:
    assert Locator().locate(postal_code="98104") == SEATTLE_98104
    assert Locator().locate(postal_code="98104-1234", country="USA") == SEATTLE_98104


@pytest.mark.parametrize(
    ("postal_code", "country"),
    [
        (None, None),
        ("", None),
        ("ABC12", None),
        ("1234", None),
        ("00000", None),
        ("98104", "Canada"),
    ],
    ids=["missing", "empty", "letters", "short", "unknown", "not-us"],
)
def test_nothing_places_an_address_without_a_known_us_zip(
    postal_code: str | None, country: str | None
) -> None:
    assert zip_centroid(postal_code, country) is None
    assert Locator().locate(address="1 Main St", postal_code=postal_code, country=country) is None


def test_the_default_locator_uses_no_geocoder() -> None:
    locator = default_locator(Settings(geocoder=""))
    assert not locator.uses_geocoder
    assert locator.locate(city="Seattle", state="WA", postal_code="98104") == SEATTLE_98104


def test_a_configured_geocoder_is_asked_first() -> None:
    query = "400 Yesler Way, Seattle, WA 98104"
    fake = FakeGeocoder({query: Point(47.6019, -122.3301)})
    found = Locator(fake).locate(
        address="400 Yesler Way", city="Seattle", state="WA", postal_code="98104"
    )
    assert found == Located(47.6019, -122.3301, "geocoder")
    assert fake.queries == [query]


def test_an_address_the_geocoder_does_not_know_falls_back_to_its_zip() -> None:
    fake = FakeGeocoder()
    found = Locator(fake).locate(address="nowhere", city="Seattle", postal_code="98104")
    assert found == SEATTLE_98104
    assert len(fake.queries) == 1


def test_a_query_error_falls_back_for_that_query_and_keeps_the_geocoder() -> None:
    fake = FakeGeocoder(error=GeocoderQueryError("bad"))
    locator = Locator(fake)
    assert locator.locate(address="1 A St", postal_code="98104") == SEATTLE_98104
    assert locator.locate(address="2 B St", postal_code="98104") == SEATTLE_98104
    assert len(fake.queries) == 2
    assert locator.uses_geocoder


def test_an_unreachable_geocoder_is_given_up_after_one_failure() -> None:
    fake = FakeGeocoder(error=GeocoderTimedOut("slow"))
    locator = Locator(fake)
    assert locator.locate(address="1 A St", postal_code="98104") == SEATTLE_98104
    assert locator.locate(address="2 B St", postal_code="98104") == SEATTLE_98104
    assert len(fake.queries) == 1
    assert not locator.uses_geocoder
    assert locator.geocoder_failures == 1


def test_a_geocoder_failure_without_a_zip_places_nothing() -> None:
    locator = Locator(FakeGeocoder(error=OSError("network down")))
    assert locator.locate(address="1 A St", city="Seattle") is None


def test_each_query_is_answered_once_per_locator() -> None:
    fake = FakeGeocoder({"1 A St, Seattle": Point(47.6, -122.3)})
    locator = Locator(fake)
    first = locator.locate(address="1 A St", city="Seattle")
    again = locator.locate(address=" 1 A St ", city="Seattle")
    assert first == again == Located(47.6, -122.3, "geocoder")
    assert len(fake.queries) == 1


def test_requests_are_spaced_by_the_minimum_delay() -> None:
    pauses: list[float] = []
    locator = Locator(FakeGeocoder(), min_delay_seconds=1.0, sleep=pauses.append)
    locator.locate(address="1 A St", city="Seattle")
    locator.locate(address="2 B St", city="Seattle")
    assert len(pauses) == 1
    assert 0 < pauses[0] <= 1.0


@pytest.mark.parametrize(
    "settings",
    [
        Settings(geocoder="no-such-geocoder"),
        Settings(geocoder="nominatim"),  # Nominatim refuses geopy's default user agent
    ],
    ids=["unknown-name", "nominatim-without-user-agent"],
)
def test_a_geocoder_that_cannot_be_built_is_a_settings_error(settings: Settings) -> None:
    with pytest.raises(GeocoderSettingsInvalid, match="MATCHER_GEOCODER"):
        default_locator(settings)


def test_a_named_geocoder_is_built_without_contacting_it() -> None:
    locator = default_locator(Settings(geocoder="nominatim", geocoder_user_agent="lead-test"))
    assert locator.uses_geocoder
