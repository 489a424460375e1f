"""Model fields for values that must never sit in the database in clear text.

The field class is the single switch point: models declare which values are sensitive,
and the encryption layer decides how they are stored.
"""

from __future__ import annotations

from django.db import models


class SensitiveTextField(models.TextField):  # type: ignore[type-arg]
    """Free text that is encrypted at rest (names in original script, references...)."""

    description = "Sensitive text, encrypted at rest"
