"""Settings that hold an address are checked when they are read, not when used."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from matcher.settings import Settings


@pytest.mark.parametrize("name", ["map_tile_url", "smtp_url"])
@pytest.mark.parametrize(
    "address",
    ["https://[", "https://tiles.example.org:99999/{z}/{x}/{y}.png", "https://:443/x"],
    ids=["broken-ipv6", "port-range", "no-host"],
)
def test_a_broken_address_is_refused_at_start(
    name: str, address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"MATCHER_{name.upper()}", address)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert refused.value.errors()[0]["loc"] == (name,)


def test_well_formed_addresses_are_kept() -> None:
    settings = Settings(
        map_tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
        smtp_url="smtp://mailer:secret@127.0.0.1:2525",
    )
    assert settings.map_tile_url == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value().endswith(":2525")
