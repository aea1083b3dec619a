"""Language names and tags from other systems, as the codes matching compares.

Directories and exports write languages as names ("Spanish", "Español") or as tags
("es", "spa", "es-MX"); participants' preferences are compared as codes, so a name
left as it is never meets a preference. ``langcodes`` (with its ``language_data``
name tables) knows both; the code kept is the language subtag alone ("es-MX" ->
"es"), since matching asks which language staff speak, not which variety.
"""

from __future__ import annotations

import langcodes


def to_code(name: str) -> str | None:
    """The language code of a name or tag (``"Spanish"`` -> ``"es"``, ``"spa"`` ->
    ``"es"``), or None when it names no language."""
    text = " ".join(name.split())
    if not text:
        return None
    try:
        if langcodes.tag_is_valid(text):
            code = langcodes.Language.get(langcodes.standardize_tag(text)).language
        else:
            code = langcodes.find(text).language
    except (LookupError, ValueError):
        return None
    return code or None
