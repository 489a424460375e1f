"""Parsing and checking the values a registrar types or a spreadsheet carries.

One set of rules for the registration forms, the import and the export, so a value the
form accepts is one the import accepts and an exported value re-imports unchanged.
Each parser raises ``ValueError`` with a message that quotes the value and says what was
expected; callers prefix it with the line and column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from resettle.registry.countries import to_alpha2

#: characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"

RELATIONSHIPS = (
    "principal", "spouse", "child", "parent", "sibling", "grandchild", "grandparent",
    "other_relative", "unrelated",
)
SEXES = ("F", "M", "X")

_LIST_SPLIT = re.compile(r"[;|]")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_NEED = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,4})?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,30}$")
_DOCUMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$")
_DATE_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE_YEAR = re.compile(r"^(\d{4})$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"), None)


def neutralise(text: str) -> str:
    """Guard a cell against formula injection: prefix a trigger character with ``'``."""
    return GUARD + text if text.startswith(FORMULA_TRIGGERS) else text


def unguard(text: str) -> str:
    """Undo ``neutralise``: ``'+964...`` becomes ``+964...``; the field's parser then decides
    whether the rest is a legitimate value (a phone may start with ``+``, a name may not)."""
    if text.startswith(GUARD) and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def clean_text(text: str) -> str:
    """NFC, zero-width characters dropped, whitespace collapsed and trimmed."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    return " ".join(text.split())


def _no_formula(text: str) -> str:
    if text.startswith(FORMULA_TRIGGERS):
        raise ValueError(f"'{text}' starts with '{text[0]}' (looks like a formula)")
    return text


def parse_latin_name(text: str) -> str:
    """A name in Latin script: letters (with diacritics), spaces, ' - . only."""
    text = clean_text(text)
    if not text:
        raise ValueError("is required")
    _no_formula(text)
    for ch in text:
        if ch in " '-.\u2019":
            continue
        if not ch.isalpha() or not unicodedata.name(ch, "").startswith("LATIN"):
            raise ValueError(f"'{text}' is not in Latin script")
    if not text[0].isalpha():
        raise ValueError(f"'{text}' must start with a letter")
    return text


def parse_original_name(text: str) -> str:
    """A name in its original script, kept exactly (only Unicode-normalised and trimmed)."""
    text = unicodedata.normalize("NFC", text).strip()
    if text:
        _no_formula(text)
    return text


def parse_sex(text: str) -> str:
    value = text.strip().upper()
    if value not in SEXES:
        raise ValueError(f"'{text}' is not F, M or X")
    return value


def parse_relationship(text: str) -> str:
    value = text.strip().lower().replace(" ", "_").replace("-", "_")
    if value not in RELATIONSHIPS:
        raise ValueError(f"'{text}' is not one of {', '.join(RELATIONSHIPS)}")
    return value


def parse_country(text: str) -> str:
    value = to_alpha2(text)
    if value is None:
        raise ValueError(f"'{text}' is not an ISO 3166 country code")
    return value


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(text) if part.strip()]


def parse_countries(text: str) -> list[str]:
    result: list[str] = []
    for part in split_list(text):
        code = to_alpha2(part)
        if code is None:
            raise ValueError(f"'{part}' is not an ISO 3166 country code")
        if code not in result:
            result.append(code)
    return result


def parse_languages(text: str) -> list[str]:
    result: list[str] = []
    for part in split_list(text):
        code = part.lower()
        if not _LANGUAGE.match(code):
            raise ValueError(f"'{part}' is not an ISO 639 language code")
        if code not in result:
            result.append(code)
    return result


def parse_needs(text: str) -> list[str]:
    result: list[str] = []
    for part in split_list(text):
        code = part.upper()
        if not _NEED.match(code):
            raise ValueError(f"'{part}' is not a specific-needs code (like SM or SM-MI)")
        if code not in result:
            result.append(code)
    return result


def parse_phone(text: str) -> str:
    value = clean_text(text)
    if value and not _PHONE.match(value):
        raise ValueError(f"'{text}' is not a phone number")
    return value


def parse_document_number(text: str) -> str:
    value = clean_text(text)
    if value and not _DOCUMENT.match(value):
        raise ValueError(f"'{text}' is not a document number (letters, digits, - / . and "
                         "spaces, starting with a letter or digit)")
    if len(value) > 64:
        raise ValueError("is longer than 64 characters")
    return value


@dataclass(frozen=True)
class Birth:
    """A date of birth and how much of it is known (year, month or day)."""

    date: date
    precision: str  # "day", "month" or "year"

    @property
    def estimated(self) -> bool:
        return self.precision != "day"


def parse_birth(text: str, *, today: date) -> Birth:
    """YYYY-MM-DD, YYYY-MM or YYYY (the last two are estimated); never in the future."""
    value = text.strip()
    birth: Birth | None = None
    try:
        if m := _DATE_DAY.match(value):
            birth = Birth(date(int(m[1]), int(m[2]), int(m[3])), "day")
        elif m := _DATE_MONTH.match(value):
            birth = Birth(date(int(m[1]), int(m[2]), 1), "month")
        elif m := _DATE_YEAR.match(value):
            birth = Birth(date(int(m[1]), 1, 1), "year")
    except ValueError:
        birth = None
    if birth is None:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    if birth.date.year < 1890:
        raise ValueError(f"'{text}' is before 1890")
    if birth.date > today:
        raise ValueError(f"'{text}' is in the future")
    return birth


def format_birth(when: date, precision: str) -> str:
    """The inverse of ``parse_birth``."""
    if precision == "year":
        return f"{when.year:04d}"
    if precision == "month":
        return f"{when.year:04d}-{when.month:02d}"
    return when.isoformat()


def format_list(values: list[str]) -> str:
    return ";".join(values)
