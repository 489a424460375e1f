"""Duplicate detection (resettle.core.dedupe) and its test-set generator."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from resettle.core.dedupe import (
    DEFAULT_THRESHOLD,
    BirthDate,
    DuplicatePair,
    MatchWeights,
    PersonRecord,
    find_duplicates,
    scan,
    score_pair,
)
from resettle.core.dedupe_generate import generate, precision_recall
from resettle.core.persian_names import FAMILY_NAMES, GIVEN_NAMES_FEMALE, GIVEN_NAMES_MALE

HOSSEIN_FA = "\u062d\u0633\u06cc\u0646"
HOSSEIN_AR = "\u062d\u0633\u064a\u0646"  # Arabic yeh
HASSAN_FA = "\u062d\u0633\u0646"
KARIMI_FA = "\u06a9\u0631\u06cc\u0645\u06cc"
KARIMI_AR = "\u0643\u0631\u064a\u0645\u064a"  # Arabic kaf and yeh


def rec(key: str, given: str, family: str, **kw: object) -> PersonRecord:
    base: dict[str, object] = {
        "birth": BirthDate(1980, 5, 17),
        "sex": "M",
        "nationality": "IR",
    }
    base.update(kw)
    return PersonRecord(key, given, family, **base)  # type: ignore[arg-type]


# --- validation -------------------------------------------------------------------------


def test_birthdate_validation() -> None:
    with pytest.raises(ValueError, match="not a date"):
        BirthDate(2001, 2, 30)
    with pytest.raises(ValueError, match="day given without a month"):
        BirthDate(2001, None, 3)
    with pytest.raises(ValueError, match="month 13"):
        BirthDate(2001, 13)
    with pytest.raises(ValueError, match="outside"):
        BirthDate(1700)
    assert BirthDate(2001).is_estimated
    assert BirthDate(2001, 3).is_estimated
    assert not BirthDate(2001, 3, 4).is_estimated
    assert BirthDate(2001, 1, 1, estimated=True).is_estimated


def test_record_and_pair_validation() -> None:
    with pytest.raises(ValueError, match="needs a key"):
        PersonRecord("", "Ali", "Karimi")
    with pytest.raises(ValueError, match="no name"):
        PersonRecord("k", "", "")
    with pytest.raises(ValueError, match="sex"):
        PersonRecord("k", "Ali", "Karimi", sex="male")
    with pytest.raises(ValueError, match="ordered"):
        DuplicatePair("b", "a", 0.5, ())
    with pytest.raises(ValueError, match="outside"):
        DuplicatePair("a", "b", 1.5, ())
    with pytest.raises(ValueError, match="weak_cutoff"):
        MatchWeights(weak_cutoff=0.95, similar_cutoff=0.9)
    with pytest.raises(ValueError, match="document_differ"):
        MatchWeights(document_differ=1.0)


def test_scan_rejects_bad_input() -> None:
    a = rec("a", "Ali", "Karimi")
    with pytest.raises(ValueError, match="appears twice"):
        scan([a, a])
    with pytest.raises(ValueError, match="threshold"):
        scan([a], threshold=1.5)
    with pytest.raises(ValueError, match="itself"):
        score_pair(a, a)


# --- pairwise scores and reasons -----------------------------------------------------------


def test_same_person_across_scripts_and_spellings() -> None:
    a = rec("a", "Hossein", "Karimi", given_original=HOSSEIN_FA, family_original=KARIMI_FA)
    b = rec(
        "b",
        "Hussein",
        "Kareemi",
        given_original=HOSSEIN_AR,
        family_original=KARIMI_AR,
        birth=BirthDate(1981, estimated=True),
    )
    pair = score_pair(a, b)
    assert pair.score >= DEFAULT_THRESHOLD
    assert "family names match in the original script" in pair.reasons
    assert "given names match in the original script" in pair.reasons
    assert "birth year within 1 (estimated)" in pair.reasons


def test_latin_only_against_script_only_matches_across_scripts() -> None:
    a = rec("a", "Hussein", "Karimi")
    b = rec("b", "", "", given_original=HOSSEIN_AR, family_original=KARIMI_AR)
    pair = score_pair(a, b)
    assert "family names match across scripts" in pair.reasons
    assert "given names match across scripts" in pair.reasons
    assert "same date of birth" in pair.reasons
    assert pair.score >= DEFAULT_THRESHOLD


def test_spelling_variants_reason() -> None:
    pair = score_pair(rec("a", "Mohammad", "Mousavi"), rec("b", "Muhammad", "Musavi"))
    assert "given names are spelling variants" in pair.reasons
    assert "family names are spelling variants" in pair.reasons


def test_document_number_is_strong_evidence_and_conflict_strong_counter() -> None:
    a = rec("a", "Reza", "Ahmadi", document_number="P 1234-5678", birth=BirthDate(1980))
    b = rec("b", "Reza", "Ahmadi", document_number="p12345678", birth=BirthDate(1981))
    c = replace(b, key="c", document_number="P99999999")
    same = score_pair(a, b)
    other = score_pair(a, c)
    assert "same document number" in same.reasons
    assert "different document numbers" in other.reasons
    assert same.score > 0.95
    assert other.score < DEFAULT_THRESHOLD


def test_same_phone_counts_more_outside_the_household() -> None:
    a = rec("a", "Reza", "Ahmadi", phone="+98 912 345 6789", birth=BirthDate(1980))
    b = rec("b", "Reza", "Ahmadi", phone="0912-345-6789", birth=BirthDate(1980))
    pair = score_pair(a, b)
    assert "same phone number" in pair.reasons
    no_phone = score_pair(replace(a, phone=""), replace(b, phone=""))
    assert pair.score > no_phone.score


def test_conflicting_sex_and_exact_dates_are_counter_evidence() -> None:
    a = rec("a", "Ali", "Karimi")
    assert score_pair(a, rec("b", "Ali", "Karimi")).score > 0.9
    other_sex = score_pair(a, rec("b", "Ali", "Karimi", sex="F"))
    assert "different sex" in other_sex.reasons
    assert other_sex.score < DEFAULT_THRESHOLD
    other_day = score_pair(a, rec("b", "Ali", "Karimi", birth=BirthDate(1980, 9, 2)))
    assert "different dates of birth in the same year" in other_day.reasons
    assert other_day.score < DEFAULT_THRESHOLD
    far = score_pair(a, rec("b", "Ali", "Karimi", birth=BirthDate(1990, estimated=True)))
    assert "birth years differ by 10" in far.reasons
    assert far.score < 0.05


def test_swapped_given_and_family_names() -> None:
    a = rec("a", "Karimi", "Hossein", birth=BirthDate(1980, estimated=True), household_key="h1")
    b = rec("b", "Hosein", "Karimi", household_key="h1")
    pair = score_pair(a, b)
    assert pair.reasons[0] == "given and family names swapped"
    assert "same household" in pair.reasons
    assert pair.score >= DEFAULT_THRESHOLD


def test_hassan_and_hossein_in_script_are_not_variants() -> None:
    # same consonant skeleton in Latin, but the Persian spellings differ
    a = rec("a", "Hassan", "Karimi", given_original=HASSAN_FA, family_original=KARIMI_FA)
    b = rec("b", "Hossein", "Karimi", given_original=HOSSEIN_FA, family_original=KARIMI_FA)
    pair = score_pair(a, b)
    assert not any(r.startswith("given names are spelling variants") for r in pair.reasons)
    assert pair.score < DEFAULT_THRESHOLD


def test_zahra_and_zohreh_are_different_listed_names() -> None:
    a = rec("a", "Zahra", "Karimi", sex="F", household_key="h", birth=BirthDate(2010))
    b = rec("b", "Zohreh", "Karimi", sex="F", household_key="h", birth=BirthDate(2012))
    pair = score_pair(a, b)
    assert "given names differ" in pair.reasons
    assert pair.score < DEFAULT_THRESHOLD  # sisters, not one person


def test_unlisted_names_with_another_final_vowel_only_sound_alike() -> None:
    pair = score_pair(rec("a", "Golara", "Karimi"), rec("b", "Golareh", "Karimi"))
    assert "given names sound alike" in pair.reasons


def test_mahmoud_is_not_mohammad() -> None:
    pair = score_pair(rec("a", "Mahmoud", "Karimi"), rec("b", "Muhammad", "Karimi"))
    assert "given names differ" in pair.reasons
    assert pair.score < DEFAULT_THRESHOLD


def test_twins_in_one_household_are_not_duplicates() -> None:
    a = rec("a", "Hassan", "Karimi", household_key="h", phone="0912 000 1111")
    b = rec("b", "Hossein", "Karimi", household_key="h", phone="0912 000 1111")
    assert score_pair(a, b).score < DEFAULT_THRESHOLD


# --- scan: blocking, exclusions, ordering ---------------------------------------------------


def _distinct_people(n: int) -> list[PersonRecord]:
    out = []
    givens = GIVEN_NAMES_MALE + GIVEN_NAMES_FEMALE
    for i in range(n):
        g = givens[i % len(givens)]
        f = FAMILY_NAMES[(i // len(givens)) % len(FAMILY_NAMES)]
        out.append(
            PersonRecord(
                f"p{i:05d}",
                g[0],
                f[0],
                g[1],
                f[1],
                BirthDate(1940 + i % 70, 1 + i % 12, 1 + i % 28),
                sex="M" if g in GIVEN_NAMES_MALE else "F",
            )
        )
    return out


def test_blocking_never_compares_all_pairs() -> None:
    records = _distinct_people(3000)
    result = scan(records)
    assert result.stats.all_pairs == 3000 * 2999 // 2
    assert result.stats.comparisons < result.stats.all_pairs // 100
    assert result.pairs == ()


def test_blocking_finds_a_pair_sharing_only_a_document() -> None:
    records = _distinct_people(500)
    twin = replace(records[10], key="zz-dup", given_latin="Xerxes", given_original="")
    records[10] = replace(records[10], document_number="A1234567")
    twin = replace(twin, document_number="a-1234567", birth=BirthDate(1900))
    result = scan([*records, twin], threshold=0.0)
    keys = {(p.a, p.b) for p in result.pairs}
    assert (records[10].key, "zz-dup") in keys
    assert result.stats.comparisons < 501 * 500 // 2 // 20


def test_oversized_blocks_are_skipped_and_counted() -> None:
    records = [replace(r, phone="0000000000") for r in _distinct_people(300)]
    result = scan(records, max_block_size=100)
    assert result.stats.skipped_blocks >= 1
    assert result.stats.skipped_block_records >= 300
    assert result.stats.comparisons < 300 * 299 // 2 // 10


def test_exclusions_are_never_proposed_again() -> None:
    a = rec("a", "Ali", "Karimi")
    b = rec("b", "Ali", "Karimi")
    c = rec("c", "Aly", "Karimi")
    assert {(p.a, p.b) for p in find_duplicates([a, b, c])} == {("a", "b"), ("a", "c"), ("b", "c")}
    left = find_duplicates([a, b, c], exclude={("b", "a"), ("a", "c")})
    assert [(p.a, p.b) for p in left] == [("b", "c")]


def test_pairs_sorted_by_score_and_above_threshold() -> None:
    gen = generate(2000, seed=3)
    pairs = find_duplicates(gen.records, threshold=0.3)
    scores = [p.score for p in pairs]
    assert scores == sorted(scores, reverse=True)
    assert min(scores) >= 0.3
    assert all(p.reasons for p in pairs)


# --- generator and quality -----------------------------------------------------------------


def test_generator_is_seeded_and_has_known_truth() -> None:
    one = generate(3000, seed=7)
    two = generate(3000, seed=7)
    other = generate(3000, seed=8)
    assert one.records == two.records and one.true_pairs == two.true_pairs
    assert one.records != other.records
    assert len(one.records) == 3000
    assert 0.04 * 3000 <= len(one.true_pairs) <= 0.07 * 3000
    kinds = Counter(k for ks in one.perturbations.values() for k in ks)
    for kind in (
        "transliteration",
        "script letters",
        "swapped",
        "estimated year",
        "estimated year off by one",
        "typo",
        "other household",
    ):
        assert kinds[kind] > 0, kind


def test_generator_names_come_from_the_synthetic_lists() -> None:
    gen = generate(1000, seed=1)
    latin_tokens = {t.lower() for n in GIVEN_NAMES_MALE + GIVEN_NAMES_FEMALE for t in n[0].split()}
    originals = [r for r in gen.records if r.given_original]
    assert originals
    # untouched registrations carry list names; variants stay close to them
    assert sum(r.given_latin.split()[0].lower() in latin_tokens for r in gen.records) > 900


def test_precision_recall_helper() -> None:
    truth = frozenset({("a", "b"), ("c", "d")})
    assert precision_recall([("b", "a")], truth) == (1.0, 0.5)
    assert precision_recall([("a", "b"), ("a", "c")], truth) == (0.5, 0.5)
    assert precision_recall([], truth) == (1.0, 0.0)


def test_quality_on_generated_set() -> None:
    gen = generate(6000, seed=11)
    result = scan(gen.records)
    precision, recall = precision_recall(result.pairs, gen.true_pairs)
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall
    assert result.stats.comparisons < result.stats.all_pairs // 200


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_quality_on_larger_generated_sets(seed: int) -> None:
    gen = generate(20_000, seed=seed)
    result = scan(gen.records)
    precision, recall = precision_recall(result.pairs, gen.true_pairs)
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall
