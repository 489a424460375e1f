"""Name normalisation, Persian/Arabic transliteration and a phonetic key for Persian names.

Why: the same person is registered as "Hossein" and "Hussein", as حسين (Arabic yeh) and
حسین (Persian yeh), with or without a zero-width non-joiner, with the year of birth only.
Duplicate detection (``resettle.core.dedupe``) compares names through three lenses built
here:

* ``normalize_script``: one canonical Persian spelling (letter variants unified, diacritics,
  tatweel and invisible characters removed), for exact comparison within the script;
* ``fold_latin``: Latin text without diacritics, punctuation or case;
* ``phonetic_key``: a consonant skeleton of a Latin spelling in which the usual
  transliteration variants (ou/u/oo, ee/i, ei/ey, doubled letters, gh/q/g, kh/h, w/v,
  final silent h ...) coincide. ``script_key`` gives the same key straight from Persian or
  Arabic script, so a name typed in Latin can be matched against one typed in Persian.

All functions are pure and deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from resettle.core.persian_names import (
    FAMILY_NAMES,
    GIVEN_NAMES_FEMALE,
    GIVEN_NAMES_MALE,
    VARIANT_SPELLINGS,
)

__all__ = [
    "canonical_name",
    "final_vowel",
    "fold_latin",
    "has_arabic_script",
    "name_key",
    "normalize_name",
    "normalize_script",
    "phonetic_key",
    "script_key",
    "to_latin",
    "transliterate",
]

# --- Arabic-script normalisation -------------------------------------------------------

# Invisible formatting characters that registrars' keyboards and copy-paste insert:
# ZWSP, ZWNJ, ZWJ, LRM, RLM, bidi embeddings/overrides/isolates, word joiner, BOM, soft hyphen,
# Arabic letter mark.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff\u00ad\u061c"
)
_TATWEEL = "\u0640"

_LETTER_MAP: dict[str, str] = {
    "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
    "\u06d0": "\u06cc",  # YEH with two dots below
    "\u0626": "\u06cc",  # YEH WITH HAMZA ABOVE -> FARSI YEH
    "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
    "\u06aa": "\u06a9",  # SWASH KAF
    "\u0629": "\u0647",  # TEH MARBUTA -> HEH
    "\u06c0": "\u0647",  # HEH WITH YEH ABOVE -> HEH
    "\u06d5": "\u0647",  # AE -> HEH
    "\u06c1": "\u0647",  # HEH GOAL -> HEH
    "\u0623": "\u0627",  # ALEF WITH HAMZA ABOVE
    "\u0625": "\u0627",  # ALEF WITH HAMZA BELOW
    "\u0622": "\u0627",  # ALEF WITH MADDA
    "\u0671": "\u0627",  # ALEF WASLA
    "\u0624": "\u0648",  # WAW WITH HAMZA ABOVE -> WAW
    "\u0621": "",  # standalone HAMZA carries no letter
    # Arabic-Indic and extended (Persian) digits -> ASCII
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
}


def _is_arabic_mark(ch: str) -> bool:
    """Harakat, tanwin, shadda, sukun, superscript alef and Quranic marks."""
    o = ord(ch)
    return (
        0x064B <= o <= 0x065F
        or o == 0x0670
        or 0x06D6 <= o <= 0x06ED
        or 0x0610 <= o <= 0x061A
        or 0x08D3 <= o <= 0x08FF
    )


def has_arabic_script(text: str) -> bool:
    """True if any character is in an Arabic-script block (Persian, Arabic, Urdu ...)."""
    return any(
        0x0600 <= ord(c) <= 0x06FF or 0x0750 <= ord(c) <= 0x077F or 0xFB50 <= ord(c) <= 0xFEFF
        for c in text
    )


@lru_cache(maxsize=65536)
def normalize_script(text: str) -> str:
    """Canonical Persian spelling: letter variants unified, marks and invisibles removed.

    Zero-width non-joiners inside a name (نیک‌پور) are removed, not turned into spaces, so
    that نیک‌پور, نیکپور and نيك‌پور compare equal. Whitespace is collapsed to one space.
    """
    # NFKC folds Arabic presentation forms (isolated/final glyph codepoints) to letters;
    # the invisible characters are removed first because NFKC keeps them.
    text = "".join(c for c in text if c not in _INVISIBLE)
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for ch in text:
        if ch == _TATWEEL or _is_arabic_mark(ch) or ch in _INVISIBLE:
            continue
        ch = _LETTER_MAP.get(ch, ch)
        if ch:
            out.append(ch)
    return " ".join("".join(out).split())


# --- Latin folding ---------------------------------------------------------------------

_APOSTROPHES = frozenset("'`\u2018\u2019\u02bc\u02bb\u02be\u02bf\u00b4")
_SPECIAL_LATIN = {"ø": "o", "đ": "d", "ł": "l", "\u0131": "i", "æ": "ae", "œ": "oe", "ß": "ss"}


@lru_cache(maxsize=65536)
def fold_latin(text: str) -> str:
    """Lower-case ASCII letters and single spaces: diacritics, apostrophes and digits dropped.

    Hyphens, dots and underscores become spaces ("Abdol-Reza" -> "abdol reza"); apostrophes
    (the usual transcription of ayn/hamza, "Ja'far") disappear.
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    out: list[str] = []
    for ch in text:
        if unicodedata.combining(ch) or ch in _APOSTROPHES:
            continue
        ch = _SPECIAL_LATIN.get(ch, ch)
        if "a" <= ch[0] <= "z":
            out.append(ch)
        elif ch.isspace() or ch in "-_./,":
            out.append(" ")
    return " ".join("".join(out).split())


# --- Transliteration Persian/Arabic -> Latin ----------------------------------------------

_CONSONANTS: dict[str, str] = {
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ث": "s",
    "ج": "j",
    "چ": "ch",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "z",
    "ر": "r",
    "ز": "z",
    "ژ": "zh",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "z",
    "ط": "t",
    "ظ": "z",
    "غ": "gh",
    "ف": "f",
    "ق": "gh",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
}
_ALEF = "\u0627"
_AYN = "\u0639"
_WAW = "\u0648"
_YEH = "\u06cc"
_HEH = "\u0647"
_VOWEL_LETTERS = frozenset((_ALEF, _WAW, _YEH))
# Latin pairs the phonetic key reads as one sound; when two Persian letters transliterate to
# such a pair (zeh + heh -> "zh") an apostrophe keeps them apart, as careful transcriptions do.
_DIGRAPH_STARTS = frozenset("kgsczpdt")


def _build_dictionary() -> dict[str, str]:
    table: dict[str, str] = {}
    for latin, persian in (*GIVEN_NAMES_MALE, *GIVEN_NAMES_FEMALE, *FAMILY_NAMES):
        table.setdefault(normalize_script(persian), latin)
    return table


_DICTIONARY: dict[str, str] = _build_dictionary()
_SUFFIXES: tuple[tuple[str, str], ...] = (
    (normalize_script("زاده"), "zadeh"),
    (normalize_script("پور"), "pour"),
    (normalize_script("نژاد"), "nejad"),
    (normalize_script("فر"), "far"),
    (normalize_script("ی"), "i"),
)


def _translit_letters(word: str) -> str:
    """Letter-by-letter rules for a normalised Persian word (no short vowels are written)."""
    parts: list[str] = []
    n = len(word)
    for i, ch in enumerate(word):
        prev = word[i - 1] if i > 0 else ""
        nxt = word[i + 1] if i + 1 < n else ""
        nxt2 = word[i + 2] if i + 2 < n else ""
        if ch == _ALEF:
            piece = "a"
            if i == 0 and nxt == _YEH:
                piece = ""  # ای... = i
            elif i == 0 and nxt == _WAW:
                piece = ""  # او... = ou
        elif ch == _AYN:
            piece = "a" if i == 0 and nxt not in _VOWEL_LETTERS else ""
        elif ch == _WAW:
            consonantal = (
                i == 0
                or (prev == _ALEF and i > 1)
                or nxt == _ALEF
                or (nxt == _YEH and nxt2 not in _VOWEL_LETTERS)
            )
            piece = "v" if consonantal else "ou"
        elif ch == _YEH:
            if (i == 0 and nxt != "") or (prev == _ALEF and i > 1) or nxt in (_ALEF, _WAW):
                piece = "y"
            else:
                piece = "i"
        elif ch == _HEH:
            piece = "eh" if i == n - 1 and prev not in ("", _ALEF) else "h"
        else:
            piece = _CONSONANTS.get(ch, "")
            if not piece and ("a" <= ch <= "z" or "0" <= ch <= "9"):
                piece = ch
        if piece and parts and piece[0] == "h" and parts[-1] and parts[-1][-1] in _DIGRAPH_STARTS:
            parts.append("'")
        if piece:
            parts.append(piece)
    return "".join(parts)


def _translit_word(word: str) -> str:
    known = _DICTIONARY.get(word)
    if known is not None:
        return known
    for suffix, latin_suffix in _SUFFIXES:
        root = word[: -len(suffix)]
        if word.endswith(suffix) and len(root) >= 2 and root in _DICTIONARY:
            root_latin = _DICTIONARY[root]
            if latin_suffix == "i" and root_latin[-1] in "aeiou":
                latin_suffix = "i" if root_latin.endswith("i") else "ei"
            return root_latin + latin_suffix
    text = _translit_letters(word)
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=65536)
def transliterate(text: str) -> str:
    """Persian/Arabic script -> a common Latin spelling ("حسين" -> "Hossein").

    Known names come from ``resettle.core.persian_names`` (also as roots of -zadeh, -pour,
    -nejad, -far, -i family names); other words follow letter rules. Persian script does not
    write short vowels, so unknown words come out as a skeleton ("Mhmd"-like); that is still
    enough for ``phonetic_key``, which drops vowels anyway. Latin input passes through.
    """
    norm = normalize_script(text)
    return " ".join(_translit_word(w) for w in norm.split())


# --- Phonetic key ----------------------------------------------------------------------

_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("tch", "C"),
    ("sch", "S"),
    ("kh", "h"),
    ("gh", "q"),
    ("sh", "S"),
    ("ch", "C"),
    ("zh", "j"),
    ("ph", "f"),
    ("dh", "z"),
    ("th", "t"),
    ("ck", "k"),
)
_SINGLE = str.maketrans({"c": "k", "g": "q", "x": "h", "w": "v"})
_VOWELS = frozenset("aeiouy")
_SEPARATOR = re.compile(r"[^a-z' ]")
_OW_VOWEL = re.compile(r"(?<=o)w(?![aeiouy])")


def _token_key(token: str) -> str:
    if token.startswith("dj"):
        token = token[1:]
    for pair, code in _DIGRAPHS:
        token = token.replace(pair, code)
    token = _OW_VOWEL.sub("ou", token)  # Mowsavi = Mousavi: w closing a vowel is a vowel
    token = token.translate(_SINGLE).replace("'", "")
    if not token:
        return ""
    # final silent h after a vowel: Fatemeh = Fateme = Fatima
    if len(token) > 2 and token[-1] == "h" and token[-2] in _VOWELS:
        token = token[:-1]
    first = token[0]
    # any initial vowel is written "a" (Ebrahim = Ibrahim, Omid, Ali = علی); initial y stays
    head = "a" if first in "aeiou" else first
    out = [head]
    for ch in token[1:]:
        if ch in _VOWELS:
            continue
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=65536)
def phonetic_key(text: str) -> str:
    """Consonant skeleton of a Latin spelling, designed for transliterated Persian names.

    Hossein, Hussein, Hosein, Hosseyn -> "hsn"; Mohammad, Muhammad, Mohammed -> "mhmd";
    Fatemeh, Fatima, Fateme -> "ftm"; Ghasem, Qasem, Gasem -> "qsm"; Ebrahim, Ibrahim ->
    "abrhm". Rules: digraphs first (kh->h, gh/q/g->q, sh, ch, zh/j, ph->f, w->v), a final
    silent h after a vowel dropped, w closing a vowel (Mowsavi) read as u, any initial
    vowel written "a", other vowels (and y after the first letter) dropped, repeated
    consonants collapsed. Tokens are kept
    separate by spaces; compare ``name_key`` for a space-insensitive key.
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(
        "'" if c in _APOSTROPHES else c for c in folded if not unicodedata.combining(c)
    )
    folded = _SEPARATOR.sub(" ", folded)
    keys = (_token_key(t) for t in folded.split())
    return " ".join(k for k in keys if k)


@lru_cache(maxsize=65536)
def script_key(text: str) -> str:
    """The ``phonetic_key`` of a name written in Persian/Arabic script."""
    return phonetic_key(transliterate(text))


def name_key(text: str) -> str:
    """Space-insensitive phonetic key of a name in any script.

    "Mohammad Reza" = "Mohammadreza", "Abdol Lahi" = "Abdollahi", "نیک پور" = "نیک‌پور".
    """
    key = script_key(text) if has_arabic_script(text) else phonetic_key(text)
    out: list[str] = []
    for ch in key:
        if ch != " " and (not out or ch != out[-1]):
            out.append(ch)
    return "".join(out)


def normalize_name(text: str) -> str:
    """Normalise a name in either script: Persian canonical form or folded Latin."""
    return normalize_script(text) if has_arabic_script(text) else fold_latin(text)


def to_latin(text: str) -> str:
    """Folded Latin form of a name in either script (transliterating Persian/Arabic)."""
    return fold_latin(transliterate(text)) if has_arabic_script(text) else fold_latin(text)


@lru_cache(maxsize=65536)
def final_vowel(text: str) -> str:
    """Class of the vowel a name ends with: "a", "e", "i", "u" or "" (a consonant).

    ``phonetic_key`` drops vowels, so Zahra (زهرا) and Zohreh (زهره) share the key "zhr";
    the final vowel, written in both scripts, tells them apart. Arabic-style spellings of
    a final heh (Fatima for Fatemeh) differ here too, which ``resettle.core.dedupe`` treats
    as a weaker, "sounds alike" agreement.
    """
    if has_arabic_script(text):
        # through the transliteration: known names know their vowel (Mostafa, مصطفی)
        return final_vowel(transliterate(text))
    folded = fold_latin(text)
    if not folded:
        return ""
    word = folded.split()[-1]
    if word.endswith(("ee", "i", "y", "ey")):
        return "i"
    if word.endswith(("eh", "e")) or (word.endswith("ah") and len(word) > 4):
        return "e"
    if word.endswith("a"):
        return "a"
    if word.endswith(("o", "u")):
        return "u"
    return ""


def _build_canonical() -> dict[str, str]:
    table: dict[str, str] = {}
    for latin, _persian in (*GIVEN_NAMES_MALE, *GIVEN_NAMES_FEMALE, *FAMILY_NAMES):
        table.setdefault(fold_latin(latin), latin)
    for canonical, variants in VARIANT_SPELLINGS.items():
        for variant in variants:
            table.setdefault(fold_latin(variant), canonical)
    return table


_CANONICAL: dict[str, str] = _build_canonical()


@lru_cache(maxsize=65536)
def canonical_name(text: str) -> str | None:
    """The listed name a spelling stands for ("Hussein" -> "Hossein"), or None if unknown.

    Why: a few distinct, very common names share a consonant skeleton (Hassan / Hossein,
    Mahmoud / Mohammad, Zahra / Zohreh). When both spellings are known names, the name
    table decides instead of the phonetic key. Every token must be known; Persian script is
    transliterated first.
    """
    latin = fold_latin(transliterate(text)) if has_arabic_script(text) else fold_latin(text)
    tokens = latin.split()
    if not tokens:
        return None
    names = [_CANONICAL.get(t) for t in tokens]
    if any(n is None for n in names):
        return None
    return " ".join(n for n in names if n is not None)
