"""Seeded generator of person registries with known duplicates, for tests and benches.

Why: duplicate detection can only be tuned and checked against a truth; real registries of
threatened people cannot be used. The names are synthetic combinations of generic Persian
names (``resettle.core.persian_names``), not real people.

The population is built household by household (principal applicant, spouse with her own
family name, children sharing a family name, twins now and then, shared household phones),
so that the hard negatives of a real camp are present: relatives with the same family name,
phone and household; unrelated people with the same common name and birth year. Then a
fraction of persons is registered again with the errors seen in practice: another Latin
transliteration, Arabic instead of Persian letter forms, invisible characters, given and
family names swapped, only an estimated year of birth (sometimes off by one), a typo,
missing script, document or phone, another household.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import combinations

from resettle.core.dedupe import BirthDate, DuplicatePair, PersonRecord
from resettle.core.persian_names import (
    FAMILY_NAMES,
    GIVEN_NAMES_FEMALE,
    GIVEN_NAMES_MALE,
    VARIANT_SPELLINGS,
)

__all__ = ["GeneratedSet", "generate", "precision_recall"]

_ZWNJ = "\u200c"
_RLM = "\u200f"
_TATWEEL = "\u0640"
_FATHA = "\u064e"
_KASRA = "\u0650"

Name = tuple[str, str]  # (latin, persian)


@dataclass(frozen=True, slots=True)
class GeneratedSet:
    """Records in random order and the set of truly duplicate key pairs (a < b)."""

    records: tuple[PersonRecord, ...]
    true_pairs: frozenset[tuple[str, str]]
    perturbations: dict[tuple[str, str], tuple[str, ...]]

    def __post_init__(self) -> None:
        keys = {r.key for r in self.records}
        for a, b in self.true_pairs:
            if not (a < b and a in keys and b in keys):
                raise ValueError(f"true pair ({a}, {b}) is not an ordered pair of record keys")


def _zipf_weights(n: int, exponent: float = 0.7, offset: float = 4.0) -> list[float]:
    """Mildly skewed popularity: some names are much more common, as in a real registry."""
    return [1.0 / (i + offset) ** exponent for i in range(n)]


def _name_pools() -> tuple[list[Name], list[Name], list[Name]]:
    male: list[Name] = list(GIVEN_NAMES_MALE)
    female: list[Name] = list(GIVEN_NAMES_FEMALE)
    for first in GIVEN_NAMES_MALE[:4]:  # Ali, Hossein, Hassan, Mohammad + second name
        for second in GIVEN_NAMES_MALE[:24]:
            if first != second:
                male.append((f"{first[0]} {second[0]}", f"{first[1]} {second[1]}"))
    for first in GIVEN_NAMES_FEMALE[:3]:
        for second in GIVEN_NAMES_FEMALE[:12]:
            if first != second:
                female.append((f"{first[0]} {second[0]}", f"{first[1]} {second[1]}"))
    family: dict[str, Name] = {name[0]: name for name in FAMILY_NAMES}
    suffixes = (
        ("zadeh", _ZWNJ + "زاده"),
        ("pour", _ZWNJ + "پور"),
        ("nejad", _ZWNJ + "نژاد"),
        ("far", "فر"),
        ("lou", "لو"),
        ("khani", "خانی"),
        ("i", "ی"),
    )
    for root_latin, root_persian in (*GIVEN_NAMES_MALE, *_EXTRA_ROOTS):
        for suffix_latin, suffix_persian in suffixes:
            if suffix_latin == "i" and root_latin[-1] in "aeiou":
                continue
            name = (root_latin + suffix_latin, root_persian + suffix_persian)
            family.setdefault(name[0], name)
    for prefix_latin, prefix_persian in (("Mir", "میر"), ("Haj", "حاج")):
        for root_latin, root_persian in FAMILY_NAMES:
            name = (prefix_latin + root_latin.lower(), prefix_persian + root_persian)
            family.setdefault(name[0], name)
    return male, female, list(family.values())


# Roots of compound family names besides given names: places, virtues, old Persian names.
_EXTRA_ROOTS: tuple[Name, ...] = (
    ("Tabriz", "تبریز"),
    ("Shiraz", "شیراز"),
    ("Kerman", "کرمان"),
    ("Yazd", "یزد"),
    ("Kashan", "کاشان"),
    ("Ghazvin", "قزوین"),
    ("Zanjan", "زنجان"),
    ("Hamedan", "همدان"),
    ("Ardabil", "اردبیل"),
    ("Rasht", "رشت"),
    ("Nik", "نیک"),
    ("Khosh", "خوش"),
    ("Jahan", "جهان"),
    ("Golestan", "گلستان"),
    ("Bahar", "بهار"),
    ("Nour", "نور"),
    ("Sharif", "شریف"),
    ("Amin", "امین"),
    ("Saleh", "صالح"),
    ("Nazar", "نظر"),
    ("Safar", "صفر"),
    ("Soltan", "سلطان"),
    ("Rostam", "رستم"),
    ("Sohrab", "سهراب"),
    ("Bahram", "بهرام"),
    ("Jalal", "جلال"),
    ("Kamal", "کمال"),
    ("Habib", "حبیب"),
    ("Mansour", "منصور"),
    ("Nader", "نادر"),
    ("Heidar", "حیدر"),
    ("Sadegh", "صادق"),
    ("Kazem", "کاظم"),
    ("Hashem", "هاشم"),
    ("Taher", "طاهر"),
    ("Rashid", "رشید"),
    ("Fazel", "فاضل"),
    ("Hakim", "حکیم"),
    ("Golzar", "گلزار"),
    ("Aziz", "عزیز"),
    ("Asad", "اسد"),
    ("Zaman", "زمان"),
    ("Najaf", "نجف"),
    ("Morad", "مراد"),
)


_MALE, _FEMALE, _FAMILY = _name_pools()
# Given names are concentrated (Mohammad, Ali, Fatemeh, Zahra); family names much less so:
# the most common family name is carried by about 1% of the records.
_MALE_W, _FEMALE_W = _zipf_weights(len(_MALE)), _zipf_weights(len(_FEMALE))
_FAMILY_W = _zipf_weights(len(_FAMILY), exponent=0.5)


@dataclass(slots=True)
class _Person:
    given: Name
    family: Name
    sex: str
    birth: BirthDate
    nationality: str
    document: str
    phone: str
    household: str
    has_script: bool


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._doc_serial = rng.randrange(10_000_000, 20_000_000)
        self._phones: set[str] = set()

    def given(self, sex: str, avoid: set[str]) -> Name:
        pool, weights = (_MALE, _MALE_W) if sex == "M" else (_FEMALE, _FEMALE_W)
        for _ in range(20):
            name = self.rng.choices(pool, weights)[0]
            if name[0] not in avoid:
                return name
        return name

    def family(self) -> Name:
        return self.rng.choices(_FAMILY, _FAMILY_W)[0]

    def birth(self, year: int) -> BirthDate:
        r = self.rng.random()
        if r < 0.80:
            return BirthDate(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        if r < 0.92:
            return BirthDate(year, estimated=True)
        if r < 0.97:
            return BirthDate(year, self.rng.randint(1, 12), estimated=True)
        return BirthDate(year, 1, 1, estimated=True)

    def phone(self) -> str:
        while True:
            number = f"9{self.rng.randrange(10**8, 10**9)}"
            if number not in self._phones:
                self._phones.add(number)
                break
        style = self.rng.random()
        if style < 0.4:
            return f"+98 {number[:3]} {number[3:6]} {number[6:]}"
        if style < 0.8:
            return "0" + number
        return f"0098-{number}"

    def document(self) -> str:
        self._doc_serial += self.rng.randint(1, 97)
        return f"P{self._doc_serial:08d}"

    def household(self, hh_key: str, year_now: int) -> list[_Person]:
        rng = self.rng
        size = rng.choices(range(1, 9), (15, 15, 18, 20, 15, 9, 5, 3))[0]
        nationality = rng.choices(("IR", "AF", "IQ"), (90, 7, 3))[0]
        phone = self.phone()
        principal_sex = "M" if rng.random() < 0.75 else "F"
        p_year = year_now - rng.randint(20, 70)
        members: list[_Person] = []
        used_given: set[str] = set()

        def add(sex: str, family: Name, year: int, adult: bool, own_phone: bool) -> _Person:
            given = self.given(sex, used_given)
            used_given.add(given[0])
            person = _Person(
                given=given,
                family=family,
                sex=sex,
                birth=self.birth(year),
                nationality=nationality,
                document=self.document() if rng.random() < (0.6 if adult else 0.2) else "",
                phone=self.phone() if own_phone else phone,
                household=hh_key,
                has_script=rng.random() < 0.92,
            )
            if not adult and rng.random() < 0.7:
                person.phone = ""
            members.append(person)
            return person

        principal_family = self.family()
        add(principal_sex, principal_family, p_year, True, rng.random() < 0.3)
        children_family = principal_family if principal_sex == "M" else self.family()
        if size >= 2 and rng.random() < 0.8:
            spouse_sex = "F" if principal_sex == "M" else "M"
            spouse_family = self.family() if spouse_sex == "F" else children_family
            add(spouse_sex, spouse_family, p_year + rng.randint(-8, 8), True, rng.random() < 0.4)
        previous: _Person | None = None
        while len(members) < size:
            if rng.random() < 0.1 and p_year - 25 > year_now - 95:
                # a parent of the principal
                add(
                    rng.choice("MF"),
                    principal_family if rng.random() < 0.5 else self.family(),
                    p_year - rng.randint(20, 35),
                    True,
                    False,
                )
                continue
            if p_year + 17 > year_now:
                break  # principal too young for children
            c_year = rng.randint(p_year + 17, min(year_now, p_year + 40))
            child = add(rng.choice("MF"), children_family, c_year, c_year <= year_now - 18, False)
            if previous is not None and rng.random() < 0.03:
                child.birth = previous.birth  # twins
            previous = child
        return members


# --- perturbations ---------------------------------------------------------------------

_RULES: tuple[tuple[str, str], ...] = (
    ("ou", "u"),
    ("ou", "oo"),
    ("u", "ou"),
    ("ei", "ey"),
    ("ey", "ei"),
    ("ee", "i"),
    ("i", "ee"),
    ("gh", "q"),
    ("q", "gh"),
    ("ss", "s"),
    ("mm", "m"),
    ("s", "ss"),
    ("v", "w"),
    ("e", "a"),
    ("o", "u"),
    ("kh", "x"),
    ("j", "dj"),
    ("ai", "ei"),
)


def _latin_variant(rng: random.Random, latin: str) -> str:
    """Another transliteration of the same Persian name (never identical to the input)."""
    tokens = latin.split(" ")
    idx = rng.randrange(len(tokens))
    token = tokens[idx]
    options = list(VARIANT_SPELLINGS.get(token, ()))
    lower = token.lower()
    if len(tokens) > 1 and rng.random() < 0.3:
        return "".join(t if i == 0 else t.lower() for i, t in enumerate(tokens))
    if lower.endswith("eh"):
        options.append(token[:-1])
    elif lower.endswith("e") and not lower.endswith("ee"):
        options.append(token + "h")
    for old, new in _RULES:
        pos = lower.find(old, 1)
        if pos > 0:
            options.append(token[:pos] + new + token[pos + len(old) :])
    options = [o for o in options if o != token]
    if not options:
        return latin
    tokens[idx] = rng.choice(options)
    return " ".join(tokens)


def _script_variant(rng: random.Random, persian: str) -> str:
    """Same name in Arabic letter forms, with diacritics or invisible characters."""
    out = persian
    choices = rng.sample(range(6), k=rng.randint(1, 3))
    for c in choices:
        if c == 0:
            out = out.replace("ی", "ي")
        elif c == 1:
            out = out.replace("ک", "ك")
        elif c == 2 and out.endswith("\u0647"):
            out = out[:-1] + "ة"
        elif c == 3 and len(out) > 2:
            pos = rng.randrange(1, len(out) - 1)
            out = out[:pos] + _TATWEEL + out[pos:]
        elif c == 4:
            pos = rng.randrange(1, len(out) + 1)
            out = out[:pos] + rng.choice((_FATHA, _KASRA)) + out[pos:]
        elif c == 5:
            out = out.replace(_ZWNJ, "") + _RLM if _ZWNJ in out else out + _RLM
    return out


def _typo(rng: random.Random, text: str) -> str:
    """One keyboard error somewhere after the first letter."""
    if len(text) < 3:
        return text
    pos = rng.randrange(1, len(text))
    kind = rng.randrange(4)
    letters = "abdefghiklmnorstuvyz"
    if kind == 0:
        return text[:pos] + rng.choice(letters) + text[pos + 1 :]
    if kind == 1:
        return text[:pos] + text[pos + 1 :]
    if kind == 2:
        return text[:pos] + rng.choice(letters) + text[pos:]
    if pos + 1 < len(text):
        return text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
    return text[:pos] + text[pos:] + rng.choice(letters)


def _duplicate(
    rng: random.Random, src: _Person, builder: _Builder, dup_household: str, year_now: int
) -> tuple[_Person, list[str]]:
    given, family = src.given, src.family
    applied: list[str] = []
    g_latin, f_latin = given[0], family[0]
    g_script, f_script = given[1], family[1]
    if rng.random() < 0.6:
        if rng.random() < 0.6:
            g_latin = _latin_variant(rng, g_latin)
        if rng.random() < 0.6 or g_latin == given[0]:
            f_latin = _latin_variant(rng, f_latin)
        applied.append("transliteration")
    if rng.random() < 0.4:
        g_script, f_script = _script_variant(rng, g_script), _script_variant(rng, f_script)
        applied.append("script letters")
    if rng.random() < 0.15:
        if rng.random() < 0.5:
            g_latin = _typo(rng, g_latin)
        else:
            f_latin = _typo(rng, f_latin)
        applied.append("typo")
    birth = src.birth
    if rng.random() < 0.35:
        shift = 0 if rng.random() < 0.5 else rng.choice((-1, 1))
        birth = BirthDate(min(birth.year + shift, year_now), estimated=True)
        applied.append("estimated year" if shift == 0 else "estimated year off by one")
    has_script = src.has_script and rng.random() > 0.1
    if src.has_script and not has_script:
        applied.append("no script")
    document = src.document if rng.random() < 0.5 else ""
    phone = src.phone if rng.random() < 0.6 else ""
    if rng.random() < 0.1:
        phone = builder.phone()
    household = src.household if rng.random() < 0.4 else dup_household
    if household != src.household:
        applied.append("other household")
    dup = replace(
        src,
        given=(g_latin, g_script),
        family=(f_latin, f_script),
        birth=birth,
        document=document,
        phone=phone,
        household=household,
        has_script=has_script,
    )
    if rng.random() < 0.1:
        dup.given, dup.family = dup.family, dup.given
        applied.append("swapped")
    return dup, applied


def _record(key: str, p: _Person) -> PersonRecord:
    return PersonRecord(
        key=key,
        given_latin=p.given[0],
        family_latin=p.family[0],
        given_original=p.given[1] if p.has_script else "",
        family_original=p.family[1] if p.has_script else "",
        birth=p.birth,
        sex=p.sex,
        nationality=p.nationality,
        document_number=p.document,
        phone=p.phone,
        household_key=p.household,
    )


def generate(
    n_records: int, *, seed: int, duplicate_rate: float = 0.05, year_now: int = 2025
) -> GeneratedSet:
    """``n_records`` records of which about ``duplicate_rate`` are second registrations.

    About one source person in ten is registered three times. Keys are assigned after
    shuffling, so record order and keys carry no hint of the truth.
    """
    if n_records < 2:
        raise ValueError("need at least 2 records")
    if not 0.0 <= duplicate_rate < 0.5:
        raise ValueError("duplicate_rate must be in [0, 0.5)")
    rng = random.Random(seed)
    builder = _Builder(rng)
    n_dups = round(n_records * duplicate_rate)
    originals: list[_Person] = []
    hh = 0
    while len(originals) < n_records - n_dups:
        hh += 1
        originals.extend(builder.household(f"H{hh:06d}", year_now))
    del originals[n_records - n_dups :]
    clusters: list[list[int]] = []
    people: list[_Person] = list(originals)
    notes: dict[int, list[str]] = {}
    sources = rng.sample(range(len(originals)), k=min(n_dups, len(originals)))
    made = 0
    for src_idx in sources:
        if made >= n_dups:
            break
        copies = 2 if rng.random() < 0.1 and made + 2 <= n_dups else 1
        cluster = [src_idx]
        for _ in range(copies):
            hh += 1
            dup, applied = _duplicate(rng, originals[src_idx], builder, f"H{hh:06d}", year_now)
            notes[len(people)] = applied
            cluster.append(len(people))
            people.append(dup)
            made += 1
        clusters.append(cluster)
    order = list(range(len(people)))
    rng.shuffle(order)
    key_of = {idx: f"P{pos:07d}" for pos, idx in enumerate(order)}
    records = tuple(_record(key_of[idx], people[idx]) for idx in order)
    truth: set[tuple[str, str]] = set()
    perturbations: dict[tuple[str, str], tuple[str, ...]] = {}
    for cluster in clusters:
        for i, j in combinations(cluster, 2):
            a, b = sorted((key_of[i], key_of[j]))
            truth.add((a, b))
            perturbations[(a, b)] = tuple(sorted(set(notes.get(i, []) + notes.get(j, []))))
    return GeneratedSet(records, frozenset(truth), perturbations)


def precision_recall(
    found: Iterable[DuplicatePair | tuple[str, str]], truth: frozenset[tuple[str, str]]
) -> tuple[float, float]:
    """Pairwise precision and recall of ``found`` against the true pairs."""
    pairs = {tuple(sorted((p.a, p.b) if isinstance(p, DuplicatePair) else p)) for p in found}
    hits = sum(1 for p in pairs if p in truth)
    precision = hits / len(pairs) if pairs else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall
