"""The populations a program's places may be reserved for (``eligibility.reserved_for``).

The contract allows any string; these are the ones the forms offer and the importers
write, after HUD's dedicated-bed categories. A participant's populations are
sensitive: they live in the encrypted attributes and reach a provider only when that
program's places are reserved and a consent covers the disclosure.
"""

from __future__ import annotations

KNOWN: dict[str, str] = {
    "veteran": "Veteran",
    "youth": "Youth",
    "chronically_homeless": "Chronically homeless",
    "hiv": "Living with HIV/AIDS",
    "dv_survivor": "Survivor of domestic violence",
}
"""Code -> label, in the order forms show them."""
