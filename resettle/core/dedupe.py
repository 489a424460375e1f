"""Duplicate detection on plain person records, across scripts and spellings.

Why: a person registered twice takes two seats on a flight or two pledged places, and the
second registration rarely looks like the first (Hussein for Hossein, حسين for حسین, only the
year of birth, given and family name swapped). Registrars review the proposed pairs, so
every pair carries the reasons behind its score.

Method, in two steps:

1. **Blocking** (never all pairs): records are grouped by several keys; only records that
   share at least one key are compared. Keys: unordered (given, family) phonetic keys + a
   two-year birth band; family key + band; given key + first letter of the family key +
   band; normalised original-script full name; document number; phone number. Each key
   tolerates a different error (swap, typo in the given name, typo in the family name,
   wrong birth year with intact script, anything with a shared document or phone). Blocks
   larger than ``max_block_size`` (a placeholder phone shared by hundreds) are skipped and
   counted, never silently expanded into all pairs.
2. **Scoring**: a sum of log-odds evidence in the spirit of Fellegi-Sunter with hand-set,
   documented weights (``MatchWeights``), mapped to 0..1 with the logistic function. Names
   are compared in Latin (Jaro-Winkler, rapidfuzz), as phonetic keys and in the original
   script, in both the given/family and the swapped alignment; dates of birth with a
   tolerance when one is estimated; document numbers and phones are strong evidence;
   conflicting sex, document numbers or exact dates of birth are strong counter-evidence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz.distance import Indel, JaroWinkler

from resettle.core.names import (
    canonical_name,
    final_vowel,
    fold_latin,
    name_key,
    normalize_script,
    transliterate,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_WEIGHTS",
    "BirthDate",
    "DuplicatePair",
    "MatchWeights",
    "PersonRecord",
    "ScanResult",
    "ScanStats",
    "find_duplicates",
    "scan",
    "score_pair",
]

_SEXES = frozenset({"", "F", "M", "X"})


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A date of birth that may be known only to the year or to the month.

    ``estimated`` marks dates given from memory or by a placeholder convention (1 January);
    a date without day or month is always treated as estimated.
    """

    year: int
    month: int | None = None
    day: int | None = None
    estimated: bool = False

    def __post_init__(self) -> None:
        if not 1850 <= self.year <= 2200:
            raise ValueError(f"birth year {self.year} is outside 1850..2200")
        if self.month is None and self.day is not None:
            raise ValueError("birth day given without a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"birth month {self.month} is not 1..12")
        if self.day is not None and self.month is not None:
            try:
                date(self.year, self.month, self.day)
            except ValueError as exc:
                raise ValueError(
                    f"{self.year:04d}-{self.month:02d}-{self.day:02d} is not a date"
                ) from exc

    @property
    def is_estimated(self) -> bool:
        return self.estimated or self.month is None or self.day is None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What duplicate detection needs to know about one registered person."""

    key: str
    given_latin: str
    family_latin: str
    given_original: str = ""
    family_original: str = ""
    birth: BirthDate | None = None
    sex: str = ""
    nationality: str = ""
    document_number: str = ""
    phone: str = ""
    household_key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("person record needs a key")
        if not (
            self.given_latin or self.family_latin or self.given_original or self.family_original
        ):
            raise ValueError(f"person record {self.key!r} has no name at all")
        if self.sex not in _SEXES:
            raise ValueError(f"person record {self.key!r}: sex {self.sex!r} is not F, M, X or ''")


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that are probably the same person; ``a`` < ``b``."""

    a: str
    b: str
    score: float
    reasons: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.a < self.b:
            raise ValueError(f"pair keys must be ordered and distinct: {self.a!r}, {self.b!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} is outside 0..1")


@dataclass(frozen=True, slots=True)
class MatchWeights:
    """Log-odds evidence weights; the score is logistic(prior + sum of the weights that apply).

    Defaults were set by hand so that each piece of evidence reads naturally (a shared
    document number alone outweighs everything but conflicting sex) and then checked on
    ``resettle.core.dedupe_generate`` sets: identical names alone are not enough (0.5 +
    needs a date of birth, a household, a phone or a document), two people with the same
    common name and different exact dates of birth stay well below the threshold.
    """

    prior: float = -7.0
    # name evidence, per field (given / family)
    family_exact: float = 3.5
    family_variant: float = 3.0  # same phonetic key, or across scripts
    family_similar: float = 1.5  # Jaro-Winkler >= similar_cutoff
    family_weak: float = -1.0  # Jaro-Winkler >= weak_cutoff
    family_differ: float = -5.0
    given_exact: float = 3.0
    given_variant: float = 2.5
    given_similar: float = 1.0
    given_weak: float = -1.5
    given_differ: float = -5.0
    similar_cutoff: float = 0.90
    weak_cutoff: float = 0.80
    swapped_penalty: float = 0.5
    # date of birth
    dob_same_full: float = 5.0
    dob_same_month: float = 2.0
    dob_same_year_estimated: float = 1.5
    dob_year_off_one_estimated: float = 0.5
    dob_year_off_two_estimated: float = -2.0
    dob_conflict_same_year: float = -3.0
    dob_year_off_one_exact: float = -3.0
    dob_far: float = -7.0
    # documents and context
    document_same: float = 6.0
    document_differ: float = -4.0
    phone_same: float = 2.5
    phone_same_household: float = 0.0
    phone_differ: float = -1.0
    sex_differ: float = -6.0
    nationality_differ: float = -1.5
    household_same: float = 2.0
    # term frequency: agreement on a name shared by a fraction f of the scanned records
    # adds tf_scale * ln(reference / f), capped at +-tf_cap (Fellegi-Sunter u-probabilities)
    tf_scale: float = 0.7
    tf_cap: float = 2.0
    tf_given_reference: float = 0.01
    tf_family_reference: float = 0.005
    tf_min_records: int = 1000
    # registry size: the number of unrelated namesakes grows with the registry, so the prior
    # moves by -population_scale * ln(n / population_reference), capped at +-population_cap
    # (0.5 rather than the theoretical 1: set on generated sets of 3,000..100,000 records)
    population_reference: int = 20_000
    population_scale: float = 0.5
    population_cap: float = 1.5

    def __post_init__(self) -> None:
        if not 0.0 < self.weak_cutoff < self.similar_cutoff < 1.0:
            raise ValueError("need 0 < weak_cutoff < similar_cutoff < 1")
        for name in (
            "document_same",
            "phone_same",
            "dob_same_full",
            "family_exact",
            "given_exact",
            "household_same",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive (it is evidence for a match)")
        for name in ("document_differ", "sex_differ", "dob_far", "family_differ", "given_differ"):
            if getattr(self, name) >= 0:
                raise ValueError(f"{name} must be negative (it is evidence against a match)")


DEFAULT_WEIGHTS = MatchWeights()
DEFAULT_THRESHOLD = 0.5
DEFAULT_MAX_BLOCK_SIZE = 400


@dataclass(frozen=True, slots=True)
class ScanStats:
    """How much work blocking left: ``comparisons`` is the number of distinct pairs scored."""

    records: int
    blocks: int
    skipped_blocks: int
    skipped_block_records: int
    comparisons: int

    @property
    def all_pairs(self) -> int:
        return self.records * (self.records - 1) // 2


@dataclass(frozen=True, slots=True)
class ScanResult:
    pairs: tuple[DuplicatePair, ...]
    stats: ScanStats


# --- features --------------------------------------------------------------------------


@dataclass(slots=True)
class _NameForms:
    """One name field in every form that is compared; interned, so ``ident`` is a cache key."""

    ident: int
    latin: str  # folded Latin (transliterated from the script when no Latin was given)
    compact: str  # latin without spaces
    tokens: int
    lkey: str  # phonetic key of the Latin spelling
    lfin: str  # final vowel class of the Latin spelling
    script: str  # normalised original script without spaces, "" if none
    skey: str  # phonetic key of the original script, "" if none
    sfin: str
    from_script: bool  # the Latin form is a transliteration of the script
    canon: str | None  # the listed name this spelling stands for, if known

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k in dict.fromkeys((self.lkey, self.skey)) if k)

    @property
    def tf_key(self) -> str:
        return self.lkey or self.skey


@dataclass(slots=True)
class _Features:
    key: str
    given: _NameForms
    family: _NameForms
    year: int
    month: int
    day: int
    estimated: bool
    sex: str
    nationality: str
    document: str
    phone: str
    household: str
    blocking: list[tuple[str, ...]] = field(default_factory=list)


class _Interner:
    def __init__(self) -> None:
        self._forms: dict[tuple[str, str], _NameForms] = {}
        self.forms: list[_NameForms] = []

    def get(self, latin: str, original: str) -> _NameForms:
        cache_key = (latin, original)
        forms = self._forms.get(cache_key)
        if forms is None:
            script = normalize_script(original).replace(" ", "") if original else ""
            skey = name_key(original) if script else ""
            folded = fold_latin(latin) if latin else ""
            if not folded and script:
                folded = fold_latin(transliterate(original))
            forms = _NameForms(
                ident=len(self._forms),
                latin=folded,
                compact=folded.replace(" ", ""),
                tokens=len(folded.split()),
                lkey=name_key(folded) if folded else "",
                lfin=final_vowel(folded) if folded else "",
                script=script,
                skey=skey,
                sfin=final_vowel(original) if script else "",
                from_script=not latin and bool(script),
                canon=canonical_name(original if not latin and script else folded),
            )
            self._forms[cache_key] = forms
            self.forms.append(forms)
        return forms


def _digits(text: str) -> str:
    digits = "".join(c for c in text if c.isdigit())
    # compare the subscriber part: +98 912..., 0912..., 912... are one number
    return digits[-9:] if len(digits) >= 7 else ""


def _document(text: str) -> str:
    cleaned = "".join(c for c in text.upper() if c.isalnum())
    return cleaned if len(cleaned) >= 4 else ""


def _features(record: PersonRecord, interner: _Interner) -> _Features:
    birth = record.birth
    feats = _Features(
        key=record.key,
        given=interner.get(record.given_latin, record.given_original),
        family=interner.get(record.family_latin, record.family_original),
        year=birth.year if birth else 0,
        month=(birth.month or 0) if birth else 0,
        day=(birth.day or 0) if birth else 0,
        estimated=birth.is_estimated if birth else True,
        sex=record.sex if record.sex in ("F", "M") else "",
        nationality=record.nationality.strip().upper(),
        document=_document(record.document_number),
        phone=_digits(record.phone),
        household=record.household_key,
    )
    bands: tuple[str, ...] = ("?",)
    if birth:
        bands = tuple(dict.fromkeys((str(feats.year // 2), str((feats.year + 1) // 2))))
    gkeys = feats.given.keys or ("",)
    fkeys = feats.family.keys or ("",)
    keys: set[tuple[str, ...]] = set()
    for band in bands:
        for g in gkeys:
            for f in fkeys:
                low, high = sorted((g, f))
                keys.add(("n", low, high, band))
                keys.add(("g", g, f[:1], band))
        for f in fkeys:
            keys.add(("f", f, band))
    if feats.given.script or feats.family.script:
        keys.add(("s", *sorted((feats.given.script, feats.family.script))))
    if feats.document:
        keys.add(("d", feats.document))
    if feats.phone:
        keys.add(("p", feats.phone))
    feats.blocking = list(keys)
    return feats


# --- scoring ---------------------------------------------------------------------------

_EXACT, _SCRIPT, _VARIANT, _CROSS, _SOUNDALIKE, _SIMILAR, _WEAK, _DIFFER, _MISSING, _FUZZY = range(
    10
)
_AGREE = frozenset((_EXACT, _SCRIPT, _VARIANT, _CROSS))


def _compare_names(x: _NameForms, y: _NameForms) -> tuple[int, float]:
    """Kind of agreement between two name fields and their fuzzy similarity.

    ``_FUZZY`` means "no exact or phonetic agreement": the caller grades the similarity.
    """
    if not (x.latin or x.script) or not (y.latin or y.script):
        return _MISSING, 0.0
    if x.script and y.script and x.script == y.script:
        return _SCRIPT, 1.0
    cross = x.from_script or y.from_script
    if x.latin and x.latin == y.latin:
        return (_CROSS if cross else _EXACT), 1.0
    both_scripts = bool(x.script and y.script)
    if x.canon is not None and y.canon is not None and not both_scripts:
        # both are listed names: the table decides (Hussein = Hossein, Hassan != Hossein)
        if x.canon == y.canon:
            return (_CROSS if cross else _VARIANT), 1.0
        return _DIFFER, JaroWinkler.similarity(x.latin, y.latin)
    loose = False
    if not both_scripts:
        for ka, fa, kb, fb, via_script in (
            (x.lkey, x.lfin, y.lkey, y.lfin, False),
            (x.skey, x.sfin, y.lkey, y.lfin, True),
            (x.lkey, x.lfin, y.skey, y.sfin, True),
        ):
            if ka and ka == kb:
                if fa == fb:
                    return (_CROSS if (via_script or cross) else _VARIANT), 1.0
                loose = True  # same consonants, another final vowel: Zahra / Zohreh
    if x.tokens == y.tokens:
        sim = JaroWinkler.similarity(x.latin, y.latin)
        if not both_scripts and x.lkey and y.lkey:
            sim = max(sim, 0.97 * JaroWinkler.similarity(x.lkey, y.lkey))
    else:
        # Jaro-Winkler rewards the shared prefix of "Hossein" / "Hossein Rahim" too much
        sim = Indel.normalized_similarity(x.compact, y.compact)
    if both_scripts:
        # the scripts disagree: a shared phonetic key (Hassan / Hossein) is not enough
        sim = min(sim, JaroWinkler.similarity(x.script, y.script))
    return (_SOUNDALIKE if loose else _FUZZY), sim


class _Scorer:
    def __init__(
        self,
        weights: MatchWeights,
        tf_given: Sequence[float] = (),
        tf_family: Sequence[float] = (),
        population_shift: float = 0.0,
    ) -> None:
        self.w = weights
        self.prior = weights.prior + population_shift
        self.tf_given = tf_given
        self.tf_family = tf_family
        self._cache: dict[tuple[int, int], tuple[int, float]] = {}

    def names(self, x: _NameForms, y: _NameForms) -> tuple[int, float]:
        ck = (x.ident, y.ident) if x.ident <= y.ident else (y.ident, x.ident)
        hit = self._cache.get(ck)
        if hit is None:
            kind, sim = _compare_names(x, y)
            w = self.w
            if kind == _FUZZY:
                kind = (
                    _SIMILAR
                    if sim >= w.similar_cutoff
                    else _WEAK
                    if sim >= w.weak_cutoff
                    else _DIFFER
                )
            hit = (kind, sim)
            self._cache[ck] = hit
        return hit

    def tf(self, kind: int, family: bool, x: _NameForms, y: _NameForms) -> float:
        """Term-frequency adjustment: agreeing on a common name is weaker evidence."""
        table = self.tf_family if family else self.tf_given
        if kind not in _AGREE or not table:
            return 0.0
        return (table[x.ident] + table[y.ident]) / 2.0

    def field_weight(self, kind: int, family: bool) -> float:
        w = self.w
        if kind in (_EXACT, _SCRIPT):
            return w.family_exact if family else w.given_exact
        if kind in (_VARIANT, _CROSS):
            return w.family_variant if family else w.given_variant
        if kind in (_SIMILAR, _SOUNDALIKE):
            return w.family_similar if family else w.given_similar
        if kind == _WEAK:
            return w.family_weak if family else w.given_weak
        if kind == _DIFFER:
            return w.family_differ if family else w.given_differ
        return 0.0

    def alignment(
        self, g1: _NameForms, g2: _NameForms, f1: _NameForms, f2: _NameForms, explain: bool
    ) -> tuple[float, list[str]]:
        gk, gs = self.names(g1, g2)
        fk, fs = self.names(f1, f2)
        gtf, ftf = self.tf(gk, False, g1, g2), self.tf(fk, True, f1, f2)
        total = self.field_weight(gk, False) + gtf + self.field_weight(fk, True) + ftf
        if not explain:
            return total, []
        return total, [_name_reason("family", fk, fs, ftf), _name_reason("given", gk, gs, gtf)]

    def total(self, a: _Features, b: _Features, explain: bool) -> tuple[float, list[str]]:
        w = self.w
        reasons: list[str] = []
        direct, direct_reasons = self.alignment(a.given, b.given, a.family, b.family, explain)
        total = direct
        best_direct = self.field_weight(_EXACT, False) + self.field_weight(_EXACT, True)
        if direct < best_direct:
            swapped, swapped_reasons = self.alignment(a.given, b.family, a.family, b.given, explain)
            swapped -= w.swapped_penalty
            if swapped > direct:
                total = swapped
                direct_reasons = ["given and family names swapped", *swapped_reasons]
        reasons.extend(direct_reasons)
        total += self.prior
        # date of birth
        if a.year and b.year:
            dy = abs(a.year - b.year)
            est = a.estimated or b.estimated
            if dy == 0:
                if a.month and b.month and a.month == b.month and a.day and b.day:
                    if a.day == b.day:
                        total += w.dob_same_full
                        reason = "same date of birth"
                    elif est:
                        total += w.dob_same_month
                        reason = "same year and month of birth (one day estimated)"
                    else:
                        total += w.dob_conflict_same_year
                        reason = "different dates of birth in the same year"
                elif a.month and b.month and a.month != b.month and not est:
                    total += w.dob_conflict_same_year
                    reason = "different dates of birth in the same year"
                elif a.month and b.month and a.month == b.month:
                    total += w.dob_same_month
                    reason = "same year and month of birth"
                else:
                    total += w.dob_same_year_estimated
                    reason = "same birth year (estimated)"
            elif dy == 1 and est:
                total += w.dob_year_off_one_estimated
                reason = "birth year within 1 (estimated)"
            elif dy == 1:
                total += w.dob_year_off_one_exact
                reason = "birth years differ by 1"
            elif dy == 2 and est:
                total += w.dob_year_off_two_estimated
                reason = "birth years differ by 2 (estimated)"
            else:
                total += w.dob_far
                reason = f"birth years differ by {dy}"
            if explain:
                reasons.append(reason)
        # documents, phone, sex, nationality, household
        if a.document and b.document:
            if a.document == b.document:
                total += w.document_same
                if explain:
                    reasons.append("same document number")
            else:
                total += w.document_differ
                if explain:
                    reasons.append("different document numbers")
        same_household = bool(a.household) and a.household == b.household
        if a.phone and b.phone:
            if a.phone == b.phone:
                total += w.phone_same_household if same_household else w.phone_same
                if explain:
                    reasons.append("same phone number")
            else:
                total += w.phone_differ
                if explain:
                    reasons.append("different phone numbers")
        if a.sex and b.sex and a.sex != b.sex:
            total += w.sex_differ
            if explain:
                reasons.append("different sex")
        if a.nationality and b.nationality and a.nationality != b.nationality:
            total += w.nationality_differ
            if explain:
                reasons.append("different nationality")
        if same_household:
            total += w.household_same
            if explain:
                reasons.append("same household")
        return total, reasons


def _name_reason(which: str, kind: int, sim: float, tf: float) -> str:
    if kind in _AGREE:
        text = {
            _EXACT: f"{which} names match",
            _SCRIPT: f"{which} names match in the original script",
            _VARIANT: f"{which} names are spelling variants",
            _CROSS: f"{which} names match across scripts",
        }[kind]
        if tf <= -0.5:
            text += " (a common name)"
        elif tf >= 0.5:
            text += " (a rare name)"
        return text
    if kind == _SOUNDALIKE:
        return f"{which} names sound alike"
    if kind == _SIMILAR:
        return f"{which} names similar ({sim:.2f})"
    if kind == _WEAK:
        return f"{which} names only weakly similar ({sim:.2f})"
    if kind == _DIFFER:
        return f"{which} names differ"
    return f"{which} name missing on one record"


def _logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _make_pair(a: _Features, b: _Features, score: float, reasons: list[str]) -> DuplicatePair:
    first, second = (a.key, b.key) if a.key < b.key else (b.key, a.key)
    return DuplicatePair(first, second, round(score, 4), tuple(reasons))


def score_pair(
    a: PersonRecord, b: PersonRecord, *, weights: MatchWeights = DEFAULT_WEIGHTS
) -> DuplicatePair:
    """Score and explain one pair (for the review queue), whatever the threshold."""
    if a.key == b.key:
        raise ValueError(f"cannot compare record {a.key!r} with itself")
    interner = _Interner()
    fa, fb = _features(a, interner), _features(b, interner)
    total, reasons = _Scorer(weights).total(fa, fb, explain=True)
    return _make_pair(fa, fb, _logistic(total), reasons)


def _population_shift(n: int, w: MatchWeights) -> float:
    if n < w.tf_min_records:
        return 0.0
    shift = -w.population_scale * math.log(n / w.population_reference)
    return max(-w.population_cap, min(w.population_cap, shift))


def _term_frequencies(
    feats: Sequence[_Features], interner: _Interner, w: MatchWeights
) -> tuple[list[float], list[float]]:
    """Per interned name, the evidence adjustment for agreeing on it as given / family name."""
    n = len(feats)
    if n < w.tf_min_records:
        return [], []
    tables: list[list[float]] = []
    for role, reference in (("given", w.tf_given_reference), ("family", w.tf_family_reference)):
        counts: dict[str, int] = defaultdict(int)
        for f in feats:
            counts[getattr(f, role).tf_key] += 1
        table = []
        for forms in interner.forms:
            freq = max(counts.get(forms.tf_key, 0), 1) / n
            adj = w.tf_scale * math.log(reference / freq)
            table.append(max(-w.tf_cap, min(w.tf_cap, adj)))
        tables.append(table)
    return tables[0], tables[1]


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def scan(
    records: Sequence[PersonRecord],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Iterable[tuple[str, str]] = (),
    weights: MatchWeights = DEFAULT_WEIGHTS,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
) -> ScanResult:
    """Find likely duplicate pairs among ``records`` and report how much work blocking left.

    ``exclude`` holds pairs already resolved as "not the same" (in either order); they are
    never proposed again. Pairs are returned by decreasing score, then by keys.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold {threshold} is outside 0..1")
    if max_block_size < 2:
        raise ValueError("max_block_size must be at least 2")
    seen_keys: set[str] = set()
    for record in records:
        if record.key in seen_keys:
            raise ValueError(f"record key {record.key!r} appears twice")
        seen_keys.add(record.key)
    excluded = {_pair_key(a, b) for a, b in exclude}
    interner = _Interner()
    feats = [_features(r, interner) for r in records]
    blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, f in enumerate(feats):
        for bk in f.blocking:
            blocks[bk].append(i)
    n = len(feats)
    candidates: set[int] = set()
    skipped = skipped_records = used_blocks = 0
    for members in blocks.values():
        m = len(members)
        if m < 2:
            continue
        if m > max_block_size:
            skipped += 1
            skipped_records += m
            continue
        used_blocks += 1
        for x in range(m):
            i = members[x] * n
            candidates.update(i + j for j in members[x + 1 :])
    # members lists are built in index order, so every code is i * n + j with i < j
    tf_given, tf_family = _term_frequencies(feats, interner, weights)
    scorer = _Scorer(weights, tf_given, tf_family, _population_shift(n, weights))
    logit_threshold = (
        -math.inf
        if threshold <= 0.0
        else math.inf
        if threshold >= 1.0
        else math.log(threshold / (1.0 - threshold))
    )
    found: list[DuplicatePair] = []
    for code in candidates:
        fa, fb = feats[code // n], feats[code % n]
        total, _ = scorer.total(fa, fb, explain=False)
        if total < logit_threshold:
            continue
        if excluded and _pair_key(fa.key, fb.key) in excluded:
            continue
        total, reasons = scorer.total(fa, fb, explain=True)
        found.append(_make_pair(fa, fb, _logistic(total), reasons))
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    stats = ScanStats(
        records=n,
        blocks=used_blocks,
        skipped_blocks=skipped,
        skipped_block_records=skipped_records,
        comparisons=len(candidates),
    )
    return ScanResult(tuple(found), stats)


def find_duplicates(
    records: Sequence[PersonRecord],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Collection[tuple[str, str]] = (),
    weights: MatchWeights = DEFAULT_WEIGHTS,
) -> list[DuplicatePair]:
    """Pairs of records scoring at least ``threshold``, best first, minus ``exclude``."""
    return list(scan(records, threshold=threshold, exclude=exclude, weights=weights).pairs)
