"""Languages normalised to standard codes: names, tags and regions meet on one code."""

from __future__ import annotations

import pytest

from matcher.languages import to_code, to_codes

# (id, as entered, the code stored)
TABLE = [
    ("english_name", "Spanish", "es"),
    ("own_name", "español", "es"),
    ("code", "es", "es"),
    ("code_in_capitals", "EN", "en"),
    ("three_letter_code", "spa", "es"),
    ("region_dropped", "es-MX", "es"),
    ("underscore_read_as_hyphen", "es_MX", "es"),
    ("script_dropped", "zh-Hant", "zh"),
    ("macrolanguage_preferred", "Mandarin", "zh"),
    ("distinct_language_kept", "Cantonese", "yue"),
    ("deprecated_code_replaced", "iw", "he"),
    ("name_and_code_agree", "Tagalog", "fil"),
    ("two_words", "Haitian Creole", "ht"),
    ("name_with_region", "Portuguese (Brazil)", "pt"),
    ("sign_language", "American Sign Language", "ase"),
    ("asl_is_american_sign_language", "ASL", "ase"),
    ("space_trimmed", "  Somali ", "so"),
    ("unknown_kept_lower_cased", " Nadsat ", "nadsat"),
    ("blank", "   ", ""),
]


@pytest.mark.parametrize(("given", "code"), [r[1:] for r in TABLE], ids=[r[0] for r in TABLE])
def test_a_language_is_stored_as_its_code(given: str, code: str) -> None:
    assert to_code(given) == code


def test_a_list_keeps_its_order_without_blanks_or_repeats() -> None:
    assert to_codes(["Spanish", "", "en", "es-MX", "English", "Vietnamese"]) == ["es", "en", "vi"]
