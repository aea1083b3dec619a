"""Language names and tags from imports become the codes matching compares."""

from __future__ import annotations

import pytest

from matcher.languages import known_code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Spanish", "es"),
        ("spanish", "es"),
        ("Español", "es"),
        ("es", "es"),
        ("ES", "es"),
        ("spa", "es"),
        ("es-MX", "es"),
        (" Vietnamese ", "vi"),
        ("American Sign Language", "ase"),
        ("", None),
        ("zzz", None),
    ],
)
def test_names_and_tags_become_codes(name: str, code: str | None) -> None:
    assert known_code(name) == code
