"""The LEAD matcher's HSDS profile: what HSDS 3.1 has no field for, as ``attribute``s.

HSDS describes a service's free places (``service_capacity``) but not who is already
waiting, which rules exclude people, or the places a LEAD fund has paid for or may buy.
The profile carries each of these as an ``attribute`` of the service, linked to a term
of the profile's own taxonomy (``lead-matcher``) and holding its value as text:

=================================  ================  =============================
term code                          ``link_type``     ``value``
=================================  ================  =============================
``lead.capacity.waitlist``         lead_capacity     whole number >= 0
``lead.capacity.lead_reserved``    lead_capacity     whole number >= 0
``lead.capacity.purchasable``      lead_capacity     whole number >= 0
``lead.capacity.price``            lead_capacity     decimal >= 0 (one place)
``lead.barrier.<name>``            lead_barrier      ``true`` / ``false``
``lead.eligibility.gender``        eligibility       a gender served (repeatable)
``lead.eligibility.household``     eligibility       a household kind (repeatable)
``lead.eligibility.pets_allowed``  eligibility       ``true`` / ``false``
``lead.eligibility.requires_id``   eligibility       ``true`` / ``false``
``lead.serves``                    audience          a population (repeatable)
``lead.location.neighborhood``     lead_location     neighbourhood name
=================================  ================  =============================

Barrier names are the contract's: ``excludes_active_use``, ``excludes_sex_work``,
``requires_religious_participation``, ``conversion_therapy``,
``excludes_criminal_history``. Terms are recognised by their ``code``, so a feed that
copies the terms under other ids still works. Ids the profile mints (terms, and the
attributes an export writes) are UUID 5 names in ``NAMESPACE``, stable across exports.
The JSON Merge Patch files that state this for HSDS tools are in
``data/hsds-profile/``.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from matcher.paths import DATA

PROFILE_URI = "https://lead-matcher.invalid/hsds-profile"
PROFILE_DIR = DATA / "hsds-profile"
NAMESPACE = uuid.UUID("6f1e8a52-3c1d-5b7e-9a43-2d7c0e5b8f10")

ValueKind = Literal["count", "money", "flag", "text"]


def mint(*parts: str) -> str:
    """A stable UUID 5 for a profile-made record, from what identifies it."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


PROFILE_TAXONOMY = {
    "id": mint("taxonomy", "lead-matcher"),
    "name": "lead-matcher",
    "description": "LEAD matcher HSDS profile: waitlist, barriers, eligibility and "
    "LEAD-funded places of a service",
    "uri": PROFILE_URI,
    "version": "1",
}
SERVICE_TYPE_TAXONOMY = {
    "id": mint("taxonomy", "lead-service-types"),
    "name": "lead-service-types",
    "description": "The LEAD matcher's service types (data/service_types.csv)",
    "uri": PROFILE_URI + "#service-types",
    "version": "1",
}

BARRIERS = (
    "excludes_active_use",
    "excludes_sex_work",
    "requires_religious_participation",
    "conversion_therapy",
    "excludes_criminal_history",
)


@dataclass(frozen=True, slots=True)
class ProfileTerm:
    """One term of the profile's taxonomy and how its attribute's value reads."""

    code: str
    name: str
    description: str
    link_type: str
    kind: ValueKind
    repeatable: bool = False

    @property
    def id(self) -> str:
        return mint("term", self.code)

    def record(self) -> dict[str, Any]:
        """The HSDS ``taxonomy_term`` record."""
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "taxonomy": PROFILE_TAXONOMY["name"],
            "taxonomy_id": PROFILE_TAXONOMY["id"],
        }


_TERMS = [
    ProfileTerm(
        "lead.capacity.waitlist",
        "Waitlist length",
        "Community members already waiting for a place; LEAD never takes a place they could",
        "lead_capacity",
        "count",
    ),
    ProfileTerm(
        "lead.capacity.lead_reserved",
        "LEAD-reserved places",
        "Free places the LEAD fund has already paid for, apart from the available ones",
        "lead_capacity",
        "count",
    ),
    ProfileTerm(
        "lead.capacity.purchasable",
        "Purchasable places",
        "Extra places the LEAD fund may buy now",
        "lead_capacity",
        "count",
    ),
    ProfileTerm(
        "lead.capacity.price",
        "Price of one place",
        "What the LEAD fund pays for one purchased place",
        "lead_capacity",
        "money",
    ),
    *(
        ProfileTerm(
            f"lead.barrier.{name}",
            name.replace("_", " ").capitalize(),
            f"The service's rules: {name.replace('_', ' ')}",
            "lead_barrier",
            "flag",
        )
        for name in BARRIERS
    ),
    ProfileTerm(
        "lead.eligibility.gender",
        "Gender served",
        "A gender identity the service serves (one attribute each)",
        "eligibility",
        "text",
        repeatable=True,
    ),
    ProfileTerm(
        "lead.eligibility.household",
        "Household served",
        "A household kind the service serves: single, couple, family (one attribute each)",
        "eligibility",
        "text",
        repeatable=True,
    ),
    ProfileTerm(
        "lead.eligibility.pets_allowed",
        "Pets allowed",
        "Whether people with pets are accepted",
        "eligibility",
        "flag",
    ),
    ProfileTerm(
        "lead.eligibility.requires_id",
        "Requires ID",
        "Whether government ID is required",
        "eligibility",
        "flag",
    ),
    ProfileTerm(
        "lead.serves",
        "Population served",
        "A population the service is tailored to (lgbtq, women, spanish, ...)",
        "audience",
        "text",
        repeatable=True,
    ),
    ProfileTerm(
        "lead.location.neighborhood",
        "Neighbourhood",
        "The neighbourhood the service is in, for neighbourhood-level reporting",
        "lead_location",
        "text",
    ),
]
TERMS: dict[str, ProfileTerm] = {t.code: t for t in _TERMS}
TERMS_BY_ID: dict[str, ProfileTerm] = {t.id: t for t in _TERMS}


@dataclass(frozen=True, slots=True)
class ServiceType:
    """One of our service types, as an HSDS taxonomy term."""

    code: str
    label: str
    description: str

    @property
    def id(self) -> str:
        return mint("service-type", self.code)

    def record(self) -> dict[str, Any]:
        """The HSDS ``taxonomy_term`` record."""
        return {
            "id": self.id,
            "code": self.code,
            "name": self.label,
            "description": self.description,
            "taxonomy": SERVICE_TYPE_TAXONOMY["name"],
            "taxonomy_id": SERVICE_TYPE_TAXONOMY["id"],
        }


@cache
def service_types() -> dict[str, ServiceType]:
    """Our service types by code, from ``data/service_types.csv``."""
    with (DATA / "service_types.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: ServiceType(row["code"], row["label"], row["description"])
            for row in csv.DictReader(handle)
        }


@cache
def service_types_by_term_id() -> dict[str, str]:
    """Our service types by the id of their taxonomy term (computed once: ids are minted)."""
    return {kind.id: code for code, kind in service_types().items()}


def format_value(term: ProfileTerm, value: object) -> str:
    """An attribute's ``value`` text for a Python value of ``term``'s kind."""
    if term.kind == "flag":
        return "true" if value else "false"
    if term.kind == "money":
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    return str(value)


def parse_value(term: ProfileTerm, text: str | None) -> int | float | bool | str:
    """The value of an attribute of ``term``; raises ``ValueError`` naming the rule."""
    raw = (text or "").strip()
    if term.kind == "flag":
        if raw.lower() not in ("true", "false"):
            raise ValueError("must be true or false")
        return raw.lower() == "true"
    if term.kind == "count":
        if not raw.isdigit():
            raise ValueError("must be a whole number >= 0")
        return int(raw)
    if term.kind == "money":
        try:
            amount = float(raw)
        except ValueError:
            raise ValueError("must be a decimal number >= 0") from None
        if not (0 <= amount < 1e12):
            raise ValueError("must be a decimal number >= 0")
        return amount
    if not raw:
        raise ValueError("must not be empty")
    return raw


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: how HSDS profiles change the core schemas."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out
