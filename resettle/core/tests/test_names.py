"""Name normalisation, transliteration and phonetic keys (resettle.core.names)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resettle.core.names import (
    final_vowel,
    fold_latin,
    has_arabic_script,
    name_key,
    normalize_name,
    normalize_script,
    phonetic_key,
    script_key,
    to_latin,
    transliterate,
)
from resettle.core.persian_names import (
    FAMILY_NAMES,
    GIVEN_NAMES_FEMALE,
    GIVEN_NAMES_MALE,
    VARIANT_SPELLINGS,
)

ZWNJ, ZWJ, LRM, RLM = "\u200c", "\u200d", "\u200e", "\u200f"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("\u062d\u0633\u064a\u0646", "\u062d\u0633\u06cc\u0646"),  # Arabic yeh -> Persian yeh
        ("\u0643\u0631\u064a\u0645\u06cc", "\u06a9\u0631\u06cc\u0645\u06cc"),  # Arabic kaf
        ("\u0641\u0627\u0637\u0645\u0629", "\u0641\u0627\u0637\u0645\u0647"),  # teh marbuta
        ("\u0623\u062d\u0645\u062f", "\u0627\u062d\u0645\u062f"),  # alef with hamza above
        (
            "\u0625\u0628\u0631\u0627\u0647\u06cc\u0645",
            "\u0627\u0628\u0631\u0627\u0647\u06cc\u0645",
        ),
        ("\u0622\u0631\u0634", "\u0627\u0631\u0634"),  # alef madda
        ("\u0645\u0624\u0645\u0646", "\u0645\u0648\u0645\u0646"),  # waw with hamza
        ("\u0631\u0636\u0627\u0626\u06cc", "\u0631\u0636\u0627\u06cc\u06cc"),  # yeh with hamza
        ("\u0645\u0640\u0640\u062d\u0645\u062f", "\u0645\u062d\u0645\u062f"),  # tatweel
        ("\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f", "\u0645\u062d\u0645\u062f"),  # harakat
        (
            "\u0646\u06cc\u06a9" + ZWNJ + "\u067e\u0648\u0631",
            "\u0646\u06cc\u06a9\u067e\u0648\u0631",
        ),
        (RLM + "\u0639\u0644\u06cc" + LRM + ZWJ, "\u0639\u0644\u06cc"),
        ("\u06f1\u06f3\u06f6\u06f2", "1362"),  # Persian digits
        ("\ufe97\ufe92\ufeae\ufb8f\ufeea", "\u062a\u0628\u0631\u06a9\u0647"),  # presentation forms
    ],
)
def test_normalize_script_unifies_variants(variant: str, canonical: str) -> None:
    assert normalize_script(variant) == canonical


def test_normalize_script_collapses_whitespace() -> None:
    assert normalize_script("  \u0639\u0644\u06cc   \u0631\u0636\u0627 ") == (
        "\u0639\u0644\u06cc \u0631\u0636\u0627"
    )


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hossein", "hossein"),
        ("  HOSSEIN  ", "hossein"),
        ("Ja'far", "jafar"),
        ("Ja\u2019far", "jafar"),
        ("Abdol-Reza", "abdol reza"),
        ("Mo\u1e25ammad", "mohammad"),
        ("\u0160ir\u00e2zi", "sirazi"),
        ("Zeyn\u0101b 2", "zeynab"),
        ("Stra\u00dfe", "strasse"),
    ],
)
def test_fold_latin(text: str, folded: str) -> None:
    assert fold_latin(text) == folded


@pytest.mark.parametrize(
    "spellings",
    [
        ("Hossein", "Hussein", "Hosein", "Hosseyn", "Husain", "HOSSEIN"),
        ("Mohammad", "Muhammad", "Mohammed", "Mohamad", "Mohamed"),
        ("Fatemeh", "Fateme", "Fatemah"),
        ("Ghasem", "Qasem", "Qassem", "Gasem"),
        ("Ebrahim", "Ibrahim", "Ebraheem"),
        ("Yousef", "Yusuf", "Yousuf", "Youssef"),
        ("Kourosh", "Kurosh", "Koorosh"),
        ("Javad", "Jawad", "Djavad"),
        ("Khadijeh", "Khadije"),
        ("Bijan", "Bizhan"),
        ("Mousavi", "Musavi", "Moosavi", "Mowsavi"),
        ("Rezaei", "Rezaee", "Rezaie", "Rezayi"),
    ],
)
def test_phonetic_key_merges_transliteration_variants(spellings: tuple[str, ...]) -> None:
    keys = {phonetic_key(s) for s in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    ("a", "b"),
    [("Hossein", "Mohammad"), ("Ali", "Reza"), ("Karimi", "Rahimi"), ("Ahmad", "Mahmoud")],
)
def test_phonetic_key_keeps_different_names_apart(a: str, b: str) -> None:
    assert phonetic_key(a) != phonetic_key(b)


def test_phonetic_key_examples() -> None:
    assert phonetic_key("Hossein") == "hsn"
    assert phonetic_key("Mohammad") == "mhmd"
    assert phonetic_key("Fatemeh") == "ftm"
    assert phonetic_key("Ebrahim") == "abrhm"
    assert phonetic_key("Mohammad Reza") == "mhmd rz"
    assert phonetic_key("") == ""


def test_every_listed_name_has_the_same_key_in_both_scripts() -> None:
    mismatched = [
        (latin, persian)
        for latin, persian in (*GIVEN_NAMES_MALE, *GIVEN_NAMES_FEMALE, *FAMILY_NAMES)
        if phonetic_key(latin) != script_key(persian) or final_vowel(latin) != final_vowel(persian)
    ]
    assert mismatched == []


def test_listed_variant_spellings_share_the_key_or_differ_only_in_final_vowel() -> None:
    # Fatima / Fatemeh: same consonants, Arabic-style final vowel ("sounds alike" in dedupe)
    for canonical, variants in VARIANT_SPELLINGS.items():
        for variant in variants:
            assert phonetic_key(variant) == phonetic_key(canonical), (canonical, variant)


def test_script_key_matches_latin_across_letter_variants() -> None:
    arabic_style = "\u062d\u0633\u064a\u0646"  # حسين with Arabic yeh
    assert script_key(arabic_style) == phonetic_key("Hussein") == "hsn"
    assert script_key("\u0641\u0627\u0637\u0645\u0629") == phonetic_key("Fateme")


@pytest.mark.parametrize(
    ("script", "latin"),
    [
        ("\u062d\u0633\u064a\u0646", "Hossein"),
        ("\u0645\u062d\u0645\u062f \u0631\u0636\u0627", "Mohammad Reza"),
        ("\u0641\u0627\u0637\u0645\u0629", "Fatemeh"),
        ("\u062d\u0633\u06cc\u0646" + ZWNJ + "\u0632\u0627\u062f\u0647", "Hosseinzadeh"),
        ("\u06a9\u0631\u06cc\u0645" + ZWNJ + "\u067e\u0648\u0631", "Karimpour"),
        ("\u0631\u0636\u0627\u06cc\u06cc", "Rezaei"),
    ],
)
def test_transliterate_known_names(script: str, latin: str) -> None:
    assert transliterate(script) == latin


def test_transliterate_unknown_word_by_letter_rules() -> None:
    # زهره is in the lists; an unlisted word with z + h must not become the digraph "zh"
    out = transliterate("\u0645\u0632\u0647\u0631")  # مزهر
    assert "'" in out
    assert phonetic_key(out) == "mzhr"
    assert transliterate("\u0648\u062d\u06cc\u062f\u06cc\u0627\u0646")[0] == "V"


def test_final_vowel_tells_zahra_from_zohreh() -> None:
    assert phonetic_key("Zahra") == phonetic_key("Zohreh")
    assert final_vowel("Zahra") == final_vowel("\u0632\u0647\u0631\u0627") == "a"
    assert final_vowel("Zohreh") == final_vowel("\u0632\u0647\u0631\u0647") == "e"
    assert final_vowel("Mostafa") == final_vowel("\u0645\u0635\u0637\u0641\u06cc") == "a"
    assert final_vowel("Hossein") == ""


def test_name_key_ignores_spaces_and_zwnj() -> None:
    assert name_key("Mohammad Reza") == name_key("Mohammadreza")
    assert name_key("Abdol Lahi") == name_key("Abdollahi")
    assert (
        name_key("\u0646\u06cc\u06a9 \u067e\u0648\u0631")
        == name_key("\u0646\u06cc\u06a9" + ZWNJ + "\u067e\u0648\u0631")
        == name_key("Nikpour")
    )


def test_dispatch_by_script() -> None:
    assert has_arabic_script("\u0639\u0644\u06cc") and not has_arabic_script("Ali")
    assert normalize_name("\u0639\u0644\u064a") == "\u0639\u0644\u06cc"
    assert normalize_name("  ALI ") == "ali"
    assert to_latin("\u0639\u0644\u064a") == "ali"
    assert to_latin("Al\u00ee") == "ali"


def test_name_lists_are_well_formed() -> None:
    assert len(GIVEN_NAMES_MALE) >= 40 and len(GIVEN_NAMES_FEMALE) >= 40
    assert len(FAMILY_NAMES) >= 60
    for table in (GIVEN_NAMES_MALE, GIVEN_NAMES_FEMALE, FAMILY_NAMES):
        assert len({latin for latin, _ in table}) == len(table)
        for latin, persian in table:
            assert latin.isascii() and latin[0].isupper()
            assert has_arabic_script(persian)


@given(st.text(max_size=30))
def test_normalisers_are_idempotent_and_total(text: str) -> None:
    once = normalize_script(text)
    assert normalize_script(once) == once
    folded = fold_latin(text)
    assert fold_latin(folded) == folded
    assert set(folded) <= set("abcdefghijklmnopqrstuvwxyz ")
    key = phonetic_key(text)
    assert phonetic_key(key.lower()) is not None  # never raises
    assert " " not in name_key(text)
