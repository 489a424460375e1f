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


class MissingRecord(Exception):
    """The row to claim does not exist."""


class StaleVersion(Exception):
    """The row changed since the caller read it (its version moved on)."""


def claim_version(
    model: type[DomainModel], pk: uuid.UUID | str, expected_version: int | None
) -> None:
    """Bump a row's version if it is still ``expected_version``, inside the caller's
    transaction; the row stays locked until commit, so concurrent writers serialise.

    ``None`` claims whatever version the row has now (for system callers such as the
    departures service acting on a household). Raises MissingRecord or StaleVersion; each
    service turns them into its own words.
    """
    from django.db.models import F
    from django.utils import timezone

    if expected_version is None:
        current = (
            model._default_manager.select_for_update()
            .filter(pk=pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is None:
            raise MissingRecord(str(pk))
        expected_version = current
    updated = model._default_manager.filter(pk=pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if updated == 0:
        if not model._default_manager.filter(pk=pk).exists():
            raise MissingRecord(str(pk))
        raise StaleVersion(str(pk))
