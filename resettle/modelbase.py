"""The one abstract base every domain record shares.

Opaque UUID keys: ids appear in URLs and logs and must reveal nothing (no counts, no
order of registration). ``version`` carries optimistic locking: a service updates a row
only ``WHERE version = <the version the user saw>``.
"""

from __future__ import annotations

import uuid

from django.db import models


class DomainModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


ISO_COUNTRY_MAX = 2
