"""Column tables of programs, participants and needs, built once per scenario.

The rules are vectorised: every attribute a rule reads is a numpy column indexed
by position (program ``g``, participant ``p``, need ``n``). Sets of strings
(service types, genders, households, languages, populations served, populations a
program's places are reserved for) become bit
masks over a vocabulary, so "shares a type" is one ``&`` over the arrays. The
tables are plain data: building them is the only place that walks the pydantic
objects, once per entity, never once per pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from matcher.scenario import Participant, Program, Scenario

if TYPE_CHECKING:
    from matcher.rules.profiles import Profiles

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Bits = npt.NDArray[np.uint64]


@dataclass
class Vocab:
    """Strings to small integers, in first-seen order; exact comparison, case included."""

    codes: dict[str, int] = field(default_factory=dict)

    def code(self, word: str) -> int:
        """The code of ``word``, adding it when new."""
        return self.codes.setdefault(word, len(self.codes))

    def bits(self, rows: Sequence[Sequence[str]]) -> Bits:
        """One row of 64-bit words per input row, bit ``code(word)`` set for each word."""
        code = self.code
        flat = [code(w) for row in rows for w in row]
        owner = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
        words = max(1, (len(self.codes) + 63) // 64)
        out = np.zeros((len(rows), words), dtype=np.uint64)
        codes = np.array(flat, dtype=np.uint64)
        bit = np.left_shift(np.uint64(1), codes % np.uint64(64))
        np.bitwise_or.at(out, (owner, (codes // np.uint64(64)).astype(np.int64)), bit)
        return out

    def lookup(self, word: str | None) -> int:
        """The code of ``word`` without adding it; -1 when unstated or unknown."""
        if word is None:
            return -1
        return self.codes.get(word, -1)


def shares_bit(a: Bits, b: Bits) -> BoolArray:
    """Row-wise: do ``a[i]`` and ``b[i]`` have a set bit in common? Pads the narrower."""
    width = max(a.shape[1], b.shape[1])
    a = _widen(a, width)
    b = _widen(b, width)
    return np.asarray(((a & b) != 0).any(axis=1))


def _widen(bits: Bits, width: int) -> Bits:
    if bits.shape[1] == width:
        return bits
    pad = np.zeros((bits.shape[0], width - bits.shape[1]), dtype=np.uint64)
    return np.hstack([bits, pad])


def in_sorted(values: IntArray, keys: IntArray) -> BoolArray:
    """``np.isin(values, keys)`` for sorted ``keys`` (as ``np.unique`` leaves them): one
    binary search per value, where ``isin`` sorts millions of pair keys every time."""
    if len(keys) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.asarray(keys[at] == values)


def rows_of(values: IntArray, keys: IntArray, size: int) -> IntArray:
    """Each value's position in ``keys`` (distinct ids below ``size``; every value among
    them): ``np.searchsorted`` for sorted keys, as one lookup per value, not a search."""
    position = np.zeros(size, dtype=np.int64)
    position[keys] = np.arange(len(keys))
    return np.asarray(position[values], dtype=np.int64)


def has_bit(bits: Bits, codes: IntArray) -> BoolArray:
    """Row-wise: is bit ``codes[i]`` set in ``bits[i]``? A code of -1 is never set."""
    ok = codes >= 0
    safe = np.where(ok, codes, 0)
    word = safe // 64
    mask = np.left_shift(np.uint64(1), (safe % 64).astype(np.uint64))
    rows = np.arange(bits.shape[0])
    hit = (bits[rows, np.minimum(word, bits.shape[1] - 1)] & mask) != 0
    return np.asarray(ok & hit & (word < bits.shape[1]), dtype=bool)


@dataclass
class Programs:
    """Every program column a rule, a pool or a preference reads."""

    ids: list[str]
    lat: FloatArray
    lon: FloatArray
    types: Bits
    excludes_active_use: BoolArray
    excludes_sex_work: BoolArray
    requires_religious_participation: BoolArray
    conversion_therapy: BoolArray
    excludes_criminal_history: BoolArray
    genders_set: BoolArray
    genders: Bits
    min_age: FloatArray
    max_age: FloatArray
    households_set: BoolArray
    households: Bits
    pets_allowed: BoolArray
    requires_id: BoolArray
    reserved_set: BoolArray
    reserved_for: Bits
    serves: Bits
    languages: Bits

    @property
    def size(self) -> int:
        """Number of programs."""
        return len(self.ids)

    @property
    def fundable(self) -> BoolArray:
        """No barrier set: the only programs where the fund may buy places."""
        return ~(
            self.excludes_active_use
            | self.excludes_sex_work
            | self.requires_religious_participation
            | self.conversion_therapy
            | self.excludes_criminal_history
        )


@dataclass
class Participants:
    """Every participant column a rule or a preference reads."""

    ids: list[str]
    lat: FloatArray
    lon: FloatArray
    age: FloatArray
    gender: IntArray
    household: IntArray
    active_use: BoolArray
    sex_work: BoolArray
    criminal_history: BoolArray
    has_pet: BoolArray
    has_id: BoolArray
    accepts_faith_based: BoolArray
    populations: Bits
    max_distance_km: FloatArray
    prefers: Bits
    has_prefers: BoolArray
    languages: Bits
    has_languages: BoolArray
    stay_owner: IntArray
    stay_lat: FloatArray
    stay_lon: FloatArray
    stay_radius_km: FloatArray
    avoid_keys: IntArray

    @property
    def size(self) -> int:
        """Number of participants."""
        return len(self.ids)


@dataclass
class Needs:
    """Every need column: owner, acuity, the participant's rank, types, preferred programs."""

    ids: list[str]
    participant: IntArray
    acute: BoolArray
    rank: IntArray
    types: Bits
    preferred_keys: IntArray
    has_preferred: BoolArray
    declined_keys: IntArray

    @property
    def size(self) -> int:
        """Number of needs."""
        return len(self.ids)


@dataclass
class Tables:
    """The three tables of one scenario, sharing vocabularies."""

    programs: Programs
    participants: Participants
    needs: Needs
    type_vocab: Vocab
    program_index: dict[str, int]
    profiles: Profiles | None = None
    """Set by ``matcher.rules.profiles.profiles`` on first use."""


def _flags(items: Sequence[object], path: str) -> BoolArray:
    """A boolean column read through a dotted attribute path (``barriers.conversion_therapy``)."""
    return np.fromiter(map(attrgetter(path), items), dtype=bool, count=len(items))


def _floats(values: Iterable[float | int | None]) -> FloatArray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """Rows of ``width`` values as ``width`` columns (empty columns when there is no row)."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _codes(vocab: Vocab, words: Iterable[str | None]) -> IntArray:
    """``vocab.lookup`` of every word, as a column."""
    get = vocab.codes.get
    return np.array([-1 if w is None else get(w, -1) for w in words], dtype=np.int64)


def build_tables(scenario: Scenario) -> Tables:
    """Column tables of a validated scenario; one pass over each entity list."""
    types = Vocab()
    populations = Vocab()
    languages = Vocab()
    genders = Vocab()
    households = Vocab()
    reserved = Vocab()
    progs: list[Program] = list(scenario.programs)
    people: list[Participant] = list(scenario.participants)
    index = {g.id: i for i, g in enumerate(progs)}

    programs = Programs(
        ids=[g.id for g in progs],
        lat=_floats(g.location.lat for g in progs),
        lon=_floats(g.location.lon for g in progs),
        types=types.bits([g.service_types for g in progs]),
        excludes_active_use=_flags(progs, "barriers.excludes_active_use"),
        excludes_sex_work=_flags(progs, "barriers.excludes_sex_work"),
        requires_religious_participation=_flags(progs, "barriers.requires_religious_participation"),
        conversion_therapy=_flags(progs, "barriers.conversion_therapy"),
        excludes_criminal_history=_flags(progs, "barriers.excludes_criminal_history"),
        genders_set=np.array([g.eligibility.genders is not None for g in progs], dtype=bool),
        genders=genders.bits([g.eligibility.genders or [] for g in progs]),
        min_age=_floats(g.eligibility.min_age for g in progs),
        max_age=_floats(g.eligibility.max_age for g in progs),
        households_set=np.array([g.eligibility.households is not None for g in progs], dtype=bool),
        households=households.bits([g.eligibility.households or [] for g in progs]),
        pets_allowed=_flags(progs, "eligibility.pets_allowed"),
        requires_id=_flags(progs, "eligibility.requires_id"),
        reserved_set=np.array([g.eligibility.reserved_for is not None for g in progs], dtype=bool),
        reserved_for=reserved.bits([g.eligibility.reserved_for or [] for g in progs]),
        serves=populations.bits([g.serves for g in progs]),
        languages=languages.bits([g.languages for g in progs]),
    )

    stay_owner: list[int] = []
    stay_lat: list[float] = []
    stay_lon: list[float] = []
    stay_radius: list[float] = []
    avoid: list[int] = []
    n_prog = len(progs)
    for p, person in enumerate(people):
        if person.stay_away:
            for circle in person.stay_away:
                stay_owner.append(p)
                stay_lat.append(circle.lat)
                stay_lon.append(circle.lon)
                stay_radius.append(circle.radius_m / 1000.0)
        if person.avoid_programs:
            avoid.extend(p * n_prog + index[g] for g in person.avoid_programs if g in index)

    # One pass over the participants into columns (a hundred thousand at state scale):
    # every attribute read once, rather than one pass per column.
    (
        lat,
        lon,
        age,
        gender,
        household,
        active_use,
        sex_work,
        criminal_history,
        has_pet,
        has_id,
        faith,
        pops,
        max_km,
        prefers,
        langs,
    ) = _columns(
        [
            (
                where.lat,
                where.lon,
                a.age,
                a.gender,
                a.household,
                a.active_use,
                a.sex_work,
                a.criminal_history,
                a.has_pet,
                a.has_id,
                a.accepts_faith_based,
                a.populations,
                p.max_distance_km,
                p.prefers,
                p.languages,
            )
            for p in people
            for a, where in ((p.attributes, p.location),)
        ],
        15,
    )
    participants = Participants(
        ids=[p.id for p in people],
        lat=_floats(lat),
        lon=_floats(lon),
        age=_floats(age),
        gender=_codes(genders, gender),
        household=_codes(households, household),
        active_use=np.array(active_use, dtype=bool),
        sex_work=np.array(sex_work, dtype=bool),
        criminal_history=np.array(criminal_history, dtype=bool),
        has_pet=np.array(has_pet, dtype=bool),
        has_id=np.array(has_id, dtype=bool),
        accepts_faith_based=np.array(faith, dtype=bool),
        populations=reserved.bits(pops),
        max_distance_km=np.array([np.inf if km is None else km for km in max_km], dtype=np.float64),
        prefers=populations.bits(prefers),
        has_prefers=np.array([bool(x) for x in prefers], dtype=bool),
        languages=languages.bits(langs),
        has_languages=np.array([bool(x) for x in langs], dtype=bool),
        stay_owner=np.array(stay_owner, dtype=np.int64),
        stay_lat=np.array(stay_lat, dtype=np.float64),
        stay_lon=np.array(stay_lon, dtype=np.float64),
        stay_radius_km=np.array(stay_radius, dtype=np.float64),
        avoid_keys=np.unique(np.array(avoid, dtype=np.int64)),
    )

    need_ids: list[str] = []
    owner: list[int] = []
    acute: list[bool] = []
    rank: list[int] = []
    need_types: list[list[str]] = []
    preferred: list[int] = []
    has_preferred: list[bool] = []
    declined: list[int] = []
    for p, person in enumerate(people):
        for k, need in enumerate(person.needs, start=1):
            n = len(need_ids)
            need_ids.append(need.id)
            owner.append(p)
            acute.append(need.acute)
            rank.append(k if need.rank is None else need.rank)  # Participant.need_rank
            need_types.append(need.service_types)
            known = [index[g] for g in need.preferred_programs if g in index]
            if known:
                preferred.extend(n * n_prog + g for g in known)
            has_preferred.append(bool(known))
            if need.declined_programs:
                declined.extend(n * n_prog + index[g] for g in need.declined_programs if g in index)

    needs = Needs(
        ids=need_ids,
        participant=np.array(owner, dtype=np.int64),
        acute=np.array(acute, dtype=bool),
        rank=np.array(rank, dtype=np.int64),
        types=types.bits(need_types),
        preferred_keys=np.unique(np.array(preferred, dtype=np.int64)),
        has_preferred=np.array(has_preferred, dtype=bool),
        declined_keys=np.unique(np.array(declined, dtype=np.int64)),
    )
    # Program type bits were sized before needs added words; widen both to one width.
    width = max(programs.types.shape[1], needs.types.shape[1])
    programs.types = _widen(programs.types, width)
    needs.types = _widen(needs.types, width)
    programs.serves = _widen(
        programs.serves, max(programs.serves.shape[1], participants.prefers.shape[1])
    )
    participants.prefers = _widen(participants.prefers, programs.serves.shape[1])
    programs.languages = _widen(
        programs.languages, max(programs.languages.shape[1], participants.languages.shape[1])
    )
    participants.languages = _widen(participants.languages, programs.languages.shape[1])
    programs.reserved_for = _widen(
        programs.reserved_for,
        max(programs.reserved_for.shape[1], participants.populations.shape[1]),
    )
    participants.populations = _widen(participants.populations, programs.reserved_for.shape[1])
    return Tables(programs, participants, needs, types, index)
