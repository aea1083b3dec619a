"""Taxonomy terms of stored programs: which map to nothing, and mapping them again.

An imported program keeps every taxonomy term it came with (``details.service_terms``).
Its service types are what the crosswalk made of those terms at import; when the
crosswalk changes (a new shipped version, a site's ``--taxonomy-map``), ``remap``
applies it to the store without re-importing the feed. A program whose terms map to
nothing keeps them, has no service type, and is never matched; ``unmapped`` counts
those terms by how many programs carry them, so a site knows what to map first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from matcher.interop.hsds.mapping import service_types_of_terms, term_label
from matcher.interop.taxonomy import Taxonomy
from matcher.store import tables as t
from matcher.store.programs import set_service_types


def _with_terms(session: Session) -> list[t.Program]:
    rows = session.exec(select(t.Program).order_by(col(t.Program.id)))
    return [row for row in rows if row.details.get("service_terms")]


def unmapped_terms(session: Session) -> tuple[int, list[tuple[str, int]]]:
    """How many stored programs have no service type from their terms, and their
    terms by the number of such programs that carry them, most frequent first."""
    counts: Counter[str] = Counter()
    programs = 0
    for row in _with_terms(session):
        if row.service_types:
            continue
        programs += 1
        counts.update({term_label(term) for term in row.details["service_terms"]})
    return programs, sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass
class Remapped:
    """Programs whose service types changed, and those left with none."""

    changed: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


def remap(session: Session, taxonomy: Taxonomy) -> Remapped:
    """Map every stored program's kept terms again with ``taxonomy``, in the caller's
    transaction; a program whose types are unchanged is not written."""
    out = Remapped()
    for row in _with_terms(session):
        kinds = service_types_of_terms(taxonomy, row.details["service_terms"])
        if not kinds:
            out.unmapped.append(row.id)
        if kinds != row.service_types:
            out.changed[row.id] = (list(row.service_types), kinds)
            set_service_types(session, row, kinds)
    return out
