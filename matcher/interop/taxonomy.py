"""The service taxonomy: Open Eligibility, a small LEAD extension, and the map between
their terms and the project's own service-type codes.

Providers' records arrive tagged with a shared taxonomy (HSDS exports name Open
Eligibility terms); the matcher speaks ``data/service_types.csv`` codes. Open
Eligibility is shipped verbatim (``data/vendor/open-eligibility/taxonomy.xml``); what it
lacks for LEAD (medication for opioid use disorder, harm reduction supplies, peer
counselling, licence reinstatement, small-business counselling, ...) is added in
``data/taxonomy/lead-extension.csv`` under ids ``lead-N``, which cannot collide with
Open Eligibility's numbers. ``data/taxonomy/service-type-map.csv`` maps each service
type to terms, and says for each mapping whether a term's descendants inherit it, so an
importer can read a narrower term nobody mapped (``docs/taxonomy.md``).

Real 211 feeds name AIRS / 211 LA codes (``BH-1800.8500``) rather than Open
Eligibility terms. The AIRS taxonomy is proprietary: none of its names or definitions
are shipped. ``data/taxonomy/airs-crosswalk.csv`` is the project's own map from code
*prefixes* to service types (the longest prefix wins; ``-`` maps a prefix to nothing).
Names are matched tolerant of case, punctuation and plurals ("Food Pantries" is "Food
Pantry"), and through ``data/taxonomy/synonyms.csv``. A site adds its own crosswalk
(``--taxonomy-map``), which comes before everything shipped.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from matcher.paths import DATA

OPEN_ELIGIBILITY = DATA / "vendor" / "open-eligibility" / "taxonomy.xml"
EXTENSION = DATA / "taxonomy" / "lead-extension.csv"
SERVICE_TYPE_MAP = DATA / "taxonomy" / "service-type-map.csv"
SERVICE_TYPES = DATA / "service_types.csv"
CROSSWALK = DATA / "taxonomy" / "airs-crosswalk.csv"
SYNONYMS = DATA / "taxonomy" / "synonyms.csv"
NOTHING = "-"
"""A crosswalk's service type for "this term is none of ours": never matched."""

_AIRS = re.compile(r"^[A-Z]{1,2}(?:-\d{4}(?:\.\d{4})?(?:-\d{3}(?:\.\d{2})?)?)?$")
"""The shape of an AIRS / 211 LA code: ``BH``, ``BH-1800``, ``BH-1800.8500``,
``RX-8450.8000-050``, ``RP-1400.8000-020.15``."""
_WORDS = re.compile(r"[^0-9a-z]+")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_key(name: str) -> str:
    """A name as compared: case, punctuation and plurals ignored ("Food Pantries" and
    "food pantry" give the same key; "&" reads as "and")."""
    words = _WORDS.split(name.casefold().replace("&", " and "))
    return " ".join(_singular(w) for w in words if w)


def code_prefixes(code: str) -> list[str]:
    """An AIRS-shaped code and its shorter prefixes, longest first
    (``BH-1800.8500`` -> ``BH-1800.8500``, ``BH-1800``, ``BH``); empty for anything else."""
    text = code.strip().upper()
    if not _AIRS.match(text):
        return []
    cuts = [m.start() for m in re.finditer(r"[-.]", text)]
    return [text, *(text[:i] for i in reversed(cuts))]


_LEVELS = ("top_level", "second_level", "third_level", "fourth_level")
_FACETS = {"services": "service", "situations": "situation"}


@dataclass(frozen=True)
class Term:
    """One taxonomy term. ``code`` is the term's code in its own taxonomy (Open
    Eligibility's number, the extension's short name); ``facet`` tells Open
    Eligibility's services from its human situations (who a service is for)."""

    id: str
    code: str | None
    name: str
    description: str | None
    parent_id: str | None
    taxonomy: str  # "open-eligibility" | "lead-extension"
    facet: str = "service"  # "service" | "situation"


class TaxonomyInvalid(ValueError):
    """A taxonomy data file breaks a rule; names the file, row and field."""

    def __init__(self, path: Path, row: int | None, column: str | None, message: str) -> None:
        self.path, self.row, self.column = path, row, column
        where = path.name + (f", row {row}" if row is not None else "")
        where += f", {column}" if column else ""
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Mapping:
    """A service type meets a term; with ``descendants``, also the narrower terms under
    it that have no mapping of their own."""

    service_type: str
    term_id: str
    descendants: bool


@dataclass
class Taxonomy:
    """The loaded taxonomy, its mapping to service types, and what loading noticed
    (``notes``: duplicate ids and how they were kept)."""

    terms: list[Term]
    mappings: list[Mapping]
    service_types: list[str]
    notes: list[str] = field(default_factory=list)
    crosswalk: dict[str, list[str]] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)
    site: dict[str, list[str]] = field(default_factory=dict)
    """A site's own crosswalk, by code prefix, term id or ``name_key``: first of all."""

    def __post_init__(self) -> None:
        self._by_id = {t.id: t for t in self.terms}
        self._by_name: dict[str, list[Term]] = defaultdict(list)
        for t in self.terms:
            self._by_name[t.name.casefold()].append(t)
        self._terms_of: dict[str, list[Term]] = defaultdict(list)
        self._direct: dict[str, list[Mapping]] = defaultdict(list)
        for m in self.mappings:
            self._terms_of[m.service_type].append(self._by_id[m.term_id])
            self._direct[m.term_id].append(m)
        self._order = {code: i for i, code in enumerate(self.service_types)}
        self._by_key: dict[str, list[Term]] = defaultdict(list)
        for t in self.terms:
            self._by_key[name_key(t.name)].append(t)

    def with_site_map(self, path: Path) -> Taxonomy:
        """This taxonomy with a site's own crosswalk (``read_site_map``) put first."""
        return replace(self, site=read_site_map(path, self.service_types))

    def service_types_for(self, *keys: object) -> list[str]:
        """The service types a term means, from the first of ``keys`` (its code, id,
        name...) that anything maps: the site's crosswalk, the shipped map by id or
        name (tolerant of case and plurals, and through the synonyms), then the AIRS
        crosswalk by the longest code prefix. A key mapped to nothing (``-``) stops
        the search: the term is known to be none of ours."""
        for key in keys:
            if not isinstance(key, str) or not key.strip():
                continue
            found = self._lookup(key.strip())
            if found is not None:
                return found
        return []

    def _lookup(self, key: str) -> list[str] | None:
        prefixes = code_prefixes(key)
        for table in (self.site, None, self.crosswalk):
            if table is None:
                found = self._by_term(key)
                if found:
                    return found
                continue
            for candidate in (*prefixes, key, name_key(key)):
                if candidate in table:
                    return [c for c in table[candidate] if c != NOTHING]
        return None

    def _by_term(self, key: str) -> list[str]:
        direct = self.service_types_for_term(key)
        if direct:
            return direct
        normal = name_key(key)
        ids = [t.id for t in self._by_key.get(normal, [])]
        if normal in self.synonyms:
            ids.append(self.synonyms[normal])
        codes: set[str] = set()
        for term_id in ids:
            codes.update(self._service_types_of(term_id))
        return sorted(codes, key=lambda c: self._order.get(c, len(self._order)))

    def term(self, id_or_name: str) -> Term | None:
        """The term with this id, else the first (services before situations, Open
        Eligibility before the extension) with this name, ignoring case."""
        key = id_or_name.strip()
        found = self._by_id.get(key)
        if found is not None:
            return found
        named = self._by_name.get(key.casefold())
        return named[0] if named else None

    def children(self, term_id: str | None) -> list[Term]:
        """The terms directly under ``term_id`` (None: the top level), in file order."""
        return [t for t in self.terms if t.parent_id == term_id]

    def ancestors(self, term_id: str) -> list[Term]:
        """The chain of parents of ``term_id``, nearest first."""
        chain: list[Term] = []
        parent = self._by_id[term_id].parent_id if term_id in self._by_id else None
        while parent is not None and parent in self._by_id and len(chain) < len(self.terms):
            chain.append(self._by_id[parent])
            parent = self._by_id[parent].parent_id
        return chain

    def terms_for_service_type(self, code: str) -> list[Term]:
        """The terms a service type is mapped to, most specific first (empty for a code
        the project does not have)."""
        return list(self._terms_of.get(code, []))

    def service_types_for_term(self, id_or_name: str) -> list[str]:
        """The service types a term means: its own mapping, else the nearest ancestor's
        mapping that its descendants inherit; empty when nothing fits. A name shared
        by several terms (Open Eligibility repeats names under different parents) gives
        every one's service types."""
        key = id_or_name.strip()
        candidates = (
            [self._by_id[key]] if key in self._by_id else self._by_name.get(key.casefold(), [])
        )
        codes: set[str] = set()
        for t in candidates:
            codes.update(self._service_types_of(t.id))
        return sorted(codes, key=lambda c: self._order.get(c, len(self._order)))

    def _service_types_of(self, term_id: str) -> list[str]:
        if self._direct.get(term_id):
            return [m.service_type for m in self._direct[term_id]]
        for parent in self.ancestors(term_id):
            inherited = [m.service_type for m in self._direct.get(parent.id, []) if m.descendants]
            if inherited:
                return inherited
            if self._direct.get(parent.id):
                return []  # the nearest mapped ancestor keeps its mapping to itself
        return []


def read_open_eligibility(path: Path = OPEN_ELIGIBILITY) -> tuple[list[Term], list[str]]:
    """Open Eligibility's terms in file order, and notes on what had to be repaired.

    An id the file repeats (1206 is both "Medical Care" and, under it, "Primary Care")
    stays with its first term; the later one is kept as ``<id>-2`` (``-3``...) so that
    no term is lost and no id means two things.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        raise TaxonomyInvalid(path, None, None, f"cannot read the taxonomy: {error}") from None
    descriptions = {
        c.get("id", ""): " ".join((c.text or "").split()) or None for c in root.iter("category")
    }
    terms: list[Term] = []
    notes: list[str] = []
    seen: dict[str, str] = {}

    def walk(node: ET.Element, parent: str | None, facet: str) -> None:
        for child in node:
            if child.tag not in _LEVELS:
                continue
            raw, name = (child.get("id") or "").strip(), " ".join(child.get("title", "").split())
            if not raw or not name:
                line = f"a {child.tag} without id or title under {parent or 'the root'}"
                raise TaxonomyInvalid(path, None, "id", line)
            term_id, n = raw, 1
            while term_id in seen:
                n += 1
                term_id = f"{raw}-{n}"
            if term_id != raw:
                notes.append(
                    f"{path.name}: id {raw} appears more than once ({seen[raw]}, {name}); "
                    f"{name} is kept as {term_id}"
                )
            seen[term_id] = name
            description = descriptions.get(raw) if child.tag == "top_level" else None
            terms.append(Term(term_id, raw, name, description, parent, "open-eligibility", facet))
            walk(child, term_id, facet)

    for section, facet in _FACETS.items():
        for node in root.iter(section):
            walk(node, None, facet)
    return terms, notes


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """A CSV's rows with their line numbers, after checking its header."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise TaxonomyInvalid(path, 1, missing[0], "required column is missing")
            return [
                (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
                for row in reader
            ]
    except (OSError, UnicodeDecodeError) as error:
        raise TaxonomyInvalid(path, None, None, f"cannot read: {error}") from None


def read_extension(path: Path, known: set[str]) -> list[Term]:
    """The LEAD extension's terms; each id is ``lead-N``, unique, and each parent is a
    known term (Open Eligibility's or an earlier extension term)."""
    terms: list[Term] = []
    ids = set(known)
    for line, row in _rows(path, ("id", "code", "name", "parent_id", "description")):
        term_id = row["id"]
        if not term_id.startswith("lead-") or term_id in ids:
            why = "is taken" if term_id in ids else "must be lead-<n>"
            raise TaxonomyInvalid(path, line, "id", f"{term_id!r} {why}")
        if not row["name"]:
            raise TaxonomyInvalid(path, line, "name", "must not be empty")
        parent = row["parent_id"] or None
        if parent is not None and parent not in ids:
            raise TaxonomyInvalid(path, line, "parent_id", f"no term {parent!r}")
        ids.add(term_id)
        terms.append(
            Term(
                term_id,
                row["code"] or None,
                row["name"],
                row["description"] or None,
                parent,
                "lead-extension",
            )
        )
    return terms


def read_service_types(path: Path = SERVICE_TYPES) -> list[str]:
    """The project's service-type codes, in file order."""
    return [row["code"] for _, row in _rows(path, ("code",)) if row["code"]]


def read_mapping(path: Path, term_ids: set[str], service_types: list[str]) -> list[Mapping]:
    """The service-type map, each row checked against the terms and service types."""
    known = set(service_types)
    mappings: list[Mapping] = []
    for line, row in _rows(path, ("service_type", "term_id", "descendants")):
        if row["service_type"] not in known:
            raise TaxonomyInvalid(path, line, "service_type", f"unknown {row['service_type']!r}")
        if row["term_id"] not in term_ids:
            raise TaxonomyInvalid(path, line, "term_id", f"no term {row['term_id']!r}")
        if row["descendants"] not in ("yes", "no"):
            raise TaxonomyInvalid(path, line, "descendants", "must be yes or no")
        mappings.append(Mapping(row["service_type"], row["term_id"], row["descendants"] == "yes"))
    return mappings


def _types(path: Path, line: int, column: str, value: str, known: list[str]) -> list[str]:
    """A crosswalk cell: service types separated by ``;``, or ``-`` for none."""
    kinds = [k.strip() for k in value.split(";") if k.strip()]
    if not kinds:
        raise TaxonomyInvalid(path, line, column, "must name a service type or -")
    for kind in kinds:
        if kind != NOTHING and kind not in known:
            raise TaxonomyInvalid(path, line, column, f"unknown service type {kind!r}")
    return kinds


def read_crosswalk(path: Path, service_types: list[str]) -> dict[str, list[str]]:
    """The AIRS crosswalk: each ``prefix`` an AIRS-shaped code, listed once."""
    out: dict[str, list[str]] = {}
    for line, row in _rows(path, ("prefix", "service_type")):
        prefix = row["prefix"].upper()
        if not code_prefixes(prefix):
            raise TaxonomyInvalid(path, line, "prefix", f"{row['prefix']!r} is no AIRS code")
        if prefix in out:
            raise TaxonomyInvalid(path, line, "prefix", f"{prefix} is listed twice")
        out[prefix] = _types(path, line, "service_type", row["service_type"], service_types)
    return out


def read_synonyms(path: Path, term_ids: set[str]) -> dict[str, str]:
    """Other names of terms, by ``name_key``."""
    out: dict[str, str] = {}
    for line, row in _rows(path, ("name", "term_id")):
        if row["term_id"] not in term_ids:
            raise TaxonomyInvalid(path, line, "term_id", f"no term {row['term_id']!r}")
        out[name_key(row["name"])] = row["term_id"]
    return out


def read_site_map(path: Path, service_types: list[str]) -> dict[str, list[str]]:
    """A site's crosswalk: columns ``term`` (an AIRS code prefix, a term id or code, or
    a name) and ``service_type`` (one or more, ``;``-separated, or ``-`` for none)."""
    out: dict[str, list[str]] = {}
    for line, row in _rows(path, ("term", "service_type")):
        term = row["term"]
        if not term:
            raise TaxonomyInvalid(path, line, "term", "must not be empty")
        kinds = _types(path, line, "service_type", row["service_type"], service_types)
        key = term.upper() if code_prefixes(term) else term
        out[key] = kinds
        out.setdefault(name_key(term), kinds)
    return out


def build_taxonomy(
    open_eligibility: Path = OPEN_ELIGIBILITY,
    extension: Path = EXTENSION,
    service_type_map: Path = SERVICE_TYPE_MAP,
    service_types: Path = SERVICE_TYPES,
    crosswalk: Path = CROSSWALK,
    synonyms: Path = SYNONYMS,
) -> Taxonomy:
    """Read and check the files (see the module docstring) into a ``Taxonomy``."""
    oe_terms, notes = read_open_eligibility(open_eligibility)
    ext_terms = read_extension(extension, {t.id for t in oe_terms})
    terms = oe_terms + ext_terms
    codes = read_service_types(service_types)
    ids = {t.id for t in terms}
    mappings = read_mapping(service_type_map, ids, codes)
    return Taxonomy(
        terms,
        mappings,
        codes,
        notes,
        crosswalk=read_crosswalk(crosswalk, codes),
        synonyms=read_synonyms(synonyms, ids),
    )


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The shipped taxonomy, read once per process."""
    return build_taxonomy()
