"""The phonetic search key stored with each person, so search works across scripts.

Original-script names are encrypted at rest; the policy marks this key (a consonant
skeleton of the Latin transliteration) as less sensitive, and it is what fuzzy search uses.
"""

from __future__ import annotations

from resettle.core.names import phonetic_key, to_latin


def name_tokens(text: str) -> list[str]:
    """Phonetic keys of each word in ``text``, whatever its script."""
    return [t for t in phonetic_key(to_latin(text)).split() if t]


def search_name_for(*names: str) -> str:
    """Space-delimited set of tokens, padded so a token matches with ``contains(' k ')``."""
    tokens: set[str] = set()
    for name in names:
        tokens.update(name_tokens(name))
    return f" {' '.join(sorted(tokens))} " if tokens else ""
