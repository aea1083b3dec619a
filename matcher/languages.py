"""Languages as standard codes, so that a participant's "Spanish" meets a program's "es".

Matching compares language strings exactly (``spec/SCENARIO.md``), so every language
that enters the store, from the API, the pages, ``import-scenario`` and the
importers, goes through ``to_code`` first. The rule, in order:

1. Surrounding space is trimmed and ``_`` read as ``-`` (``es_MX`` is ``es-MX``).
2. A few abbreviations that are also valid codes of other languages are read as
   people mean them: ``ASL`` is American Sign Language (``ase``), not Asilulu.
3. A valid BCP 47 tag (``es``, ``ES``, ``spa``, ``es-MX``, ``zh-Hant``, ``iw``) is
   standardised by ``langcodes`` and reduced to its language subtag, preferring the
   macrolanguage: ``es-MX`` -> ``es``, ``spa`` -> ``es``, ``cmn`` -> ``zh``,
   ``iw`` -> ``he``. Regions and scripts are dropped: staff who speak Spanish serve a
   participant whose Spanish is Mexican, and exact comparison of a finer code would
   keep them apart. Distinct languages stay distinct (Cantonese is ``yue``).
4. Otherwise the text is read as a language's name, in English or in the language
   itself (``Spanish``, ``español``, ``Haitian Creole``, ``American Sign Language``),
   and reduced the same way (``Tagalog`` -> ``fil``, as the tag ``tl``). As in
   ``langcodes``, a name followed by more words is that name's language
   (``Spanish (Mexico)``, ``Hakka Chinese``): one language per entry.
5. Anything else is kept, trimmed and lower-cased, so that two spellings that
   differ only in case still compare equal; it matches only the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import langcodes

ALIASES = {"asl": "ase"}
"""Abbreviations people use that are valid codes of other languages."""


def _code(tag: str) -> str:
    language = langcodes.Language.get(tag, normalize=True)
    return str(language.prefer_macrolanguage().language)


@lru_cache(maxsize=4096)
def known_code(value: str) -> str | None:
    """The standard code of one language by rules 1-4, or None when the text names
    no language (importers report those instead of keeping them silently)."""
    text = value.strip().replace("_", "-")
    if not text:
        return None
    folded = text.casefold()
    if folded in ALIASES:
        return ALIASES[folded]
    if langcodes.tag_is_valid(text):
        return _code(text)
    try:
        return _code(langcodes.find(text).to_tag())
    except LookupError:
        return None


def to_code(value: str) -> str:
    """The standard code of one language, by the module's rule; "" for blank text."""
    code = known_code(value)
    if code is not None:
        return code
    return " ".join(value.strip().casefold().split())


def to_codes(values: Iterable[str]) -> list[str]:
    """Each language's code, blanks dropped and repeats removed, in the order given."""
    return list(dict.fromkeys(code for code in map(to_code, values) if code))
