"""Model fields for values that must never sit in the database in clear text.

The field class is the single switch point: models declare which values are sensitive,
and the encryption layer decides how they are stored.

How a value travels:

* **read**: ``from_db_value`` has no row, so it wraps the stored token in :class:`Sealed`;
  the attribute descriptor decrypts it on first access, when the row's primary key is
  known (AAD ``"<table>|<column>|<pk>"``), and keeps the plaintext on the instance.
* **write**: ``pre_save`` (``save()``, ``create()``, ``bulk_create()``) encrypts with the
  instance at hand. Values read through the descriptor are :class:`BoundText` (a ``str``
  that remembers its instance and field), so paths that only pass the value on
  (``bulk_update``, resettle.registry.bulk) still encrypt for the right row.
* A plain ``str`` that reaches the database with no row attached (``QuerySet.update(
  field="...")``) is refused with :class:`EncryptionError`: it could not be bound to its
  row. Write through the instance (``save(update_fields=[...])``) instead.
* Empty strings are stored as empty strings (the ciphertext length would reveal it anyway).
* Values stored before encryption was switched on (no ``e1$`` prefix) are read as they
  are and encrypted by ``resettle keys rotate``.

Blind index: when the model has a sibling ``<name>_index`` field (Document.number and
Document.number_index), ``pre_save`` keeps it equal to ``blind_index(value)``; include the
index field in ``update_fields`` when saving only the value.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query_utils import DeferredAttribute

from resettle.encryption.keys import PREFIX, EncryptionError, blind_index, seal, unseal


class Sealed:
    """A ciphertext as loaded from the database, not yet opened (needs its row's pk)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "<sealed value>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


class BoundText(str):
    """Plaintext that remembers the instance and field it was read from."""

    _instance: models.Model
    _field: SensitiveTextField


def _bound(text: str, instance: models.Model, field: SensitiveTextField) -> str:
    if not text:
        return text
    bound = BoundText(text)
    bound._instance = instance
    bound._field = field
    return bound


def _pk_text(pk: Any) -> str:
    if pk is None:
        raise EncryptionError("a sensitive value needs its row's primary key before saving")
    if isinstance(pk, uuid.UUID):
        return str(pk)
    try:
        return str(uuid.UUID(str(pk)))
    except ValueError:
        return str(pk)


class _SensitiveAttribute(DeferredAttribute):
    """Decrypts lazily on first read; stores plain ``str`` on write."""

    field: SensitiveTextField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = unseal(value.token, aad=self.field.aad_for(instance))
            instance.__dict__[self.field.attname] = value
        if isinstance(value, str):
            return _bound(value, instance, self.field)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        if isinstance(value, BoundText):
            value = str.__str__(value)  # drop the other instance's binding
        instance.__dict__[self.field.attname] = value


class SensitiveTextField(models.TextField):  # type: ignore[type-arg]
    """Free text that is encrypted at rest (names in original script, references...)."""

    description = "Sensitive text, encrypted at rest"
    descriptor_class = _SensitiveAttribute

    # --- binding --------------------------------------------------------------------

    def aad_for(self, instance: models.Model) -> str:
        return f"{self.model._meta.db_table}|{self.column}|{_pk_text(instance.pk)}"

    def _index_attname(self, instance: models.Model) -> str | None:
        try:
            index = instance._meta.get_field(f"{self.name}_index")
        except FieldDoesNotExist:  # the model keeps no index for this value
            return None
        return index.attname if isinstance(index, models.Field) else None

    def _seal_for(self, instance: models.Model, text: str) -> Sealed | str:
        index = self._index_attname(instance)
        if index is not None:
            setattr(instance, index, blind_index(text) if text else "")
        if not text:
            return ""
        return Sealed(seal(text, aad=self.aad_for(instance)))

    # --- Django hooks ---------------------------------------------------------------

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return Sealed(value)
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        raw = model_instance.__dict__.get(self.attname)
        if raw is None and self.attname not in model_instance.__dict__:
            raw = getattr(model_instance, self.attname)  # deferred: load it first
        if isinstance(raw, Sealed) or raw is None:
            return raw  # unchanged since loaded: keep the stored ciphertext
        return self._seal_for(model_instance, str(raw))

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None or isinstance(value, Sealed):
            return None if value is None else value.token
        if hasattr(value, "as_sql"):
            return value  # an expression (bulk_update's CASE): its Values come back here
        if isinstance(value, BoundText):
            sealed = self._seal_for(value._instance, str.__str__(value))
            return sealed.token if isinstance(sealed, Sealed) else sealed
        text = str(value)
        if text == "":
            return ""
        if text.startswith(PREFIX):
            return text  # already sealed (e.g. copied by a rotation or a restore)
        raise EncryptionError(
            f"{self.model._meta.label}.{self.name}: a value written without its row "
            "(QuerySet.update?) cannot be bound to that row; assign it on the instance "
            "and save(update_fields=[...]) instead"
        )

    def value_to_string(self, obj: models.Model) -> str:
        return str(self.value_from_object(obj) or "")
