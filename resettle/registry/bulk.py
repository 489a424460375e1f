"""Bulk INSERT and UPDATE with ``executemany``, for imports of 100,000 rows.

Why: Django's ``bulk_create`` compiles every value through the full field machinery
(about 10 µs per value), which alone would take most of the one-minute budget for a
100,000-person import. Here each field gets one converter, chosen once per call: the
identity for plain text, number and boolean columns, the backend's adapter for UUIDs,
dates, datetimes and JSON, and the field's own ``get_db_prep_save`` for anything else
(so encrypted fields still encrypt). Same SQL, same values, no ORM per-value overhead.
Fields with their own ``pre_save`` (encrypted text and its blind index) run it exactly as
an INSERT through ``save()`` would; unset ``auto_now``/``auto_now_add`` timestamps get one
shared "now". The caller sets primary keys; no
signals are sent (none are used here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

_PLAIN = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.FloatField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
    models.BigIntegerField, models.SmallIntegerField,
)
_BATCH = 500


def _converter(field: models.Field[Any, Any], conn: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    kind = type(target)
    if kind in _PLAIN:
        return lambda value: value
    if kind is models.UUIDField:
        if conn.vendor == "sqlite":
            return lambda value: None if value is None else value.hex
        return lambda value: value
    if kind is models.DateField:
        if conn.vendor == "sqlite":
            return lambda value: None if value is None else date.isoformat(value)
        return lambda value: value
    if kind is models.DateTimeField:
        adapt = conn.ops.adapt_datetimefield_value
        last: list[Any] = [None, None]

        def datetime_value(value: Any) -> Any:
            # imports stamp every row with the same instant: adapt it once
            if value is None:
                return None
            if value is not last[0]:
                last[0], last[1] = value, adapt(value)
            return last[1]

        return datetime_value
    if kind is models.JSONField and conn.vendor == "sqlite":
        return lambda value: None if value is None else json.dumps(value)
    return lambda value: target.get_db_prep_save(value, conn)


def _columns(model: type[models.Model], fields: Sequence[str] | None) -> list[Any]:
    concrete = [f for f in model._meta.concrete_fields]
    if fields is None:
        return concrete
    return [model._meta.get_field(name) for name in fields]


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT every object (all concrete fields); their primary keys must already be set."""
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model, None)
    converters = [_converter(f, connection) for f in columns]
    qn = connection.ops.quote_name
    # identifiers come from the model's metadata (quoted); values are always parameters
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    # pre_save as Model.save() does for an INSERT: timestamps, encryption, blind indexes
    # (a field's pre_save may set a later field, so all run before any value is read)
    special = [f for f in columns if type(f).pre_save is not models.Field.pre_save
               and not isinstance(f, models.DateTimeField)]
    stamps = [f for f in columns if isinstance(f, models.DateTimeField)
              and (f.auto_now or f.auto_now_add)]
    now = timezone.now()
    for obj in objs:
        for f in stamps:
            if getattr(obj, f.attname) is None:
                setattr(obj, f.attname, now)
    attnames = [f.attname for f in columns]
    pairs = list(zip(attnames, converters, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), _BATCH):
            params = []
            for obj in objs[start:start + _BATCH]:
                prepared = {f.attname: f.pre_save(obj, True) for f in special}
                params.append([
                    convert(prepared[name] if name in prepared else getattr(obj, name))
                    for name, convert in pairs
                ])
            cursor.executemany(sql, params)


def update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """UPDATE ``fields`` of every object, by primary key."""
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model, fields)
    pk = model._meta.pk
    assert pk is not None and pk.column is not None
    converters = [_converter(f, connection) for f in columns]
    pk_convert = _converter(pk, connection)
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        qn(model._meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in columns),
        qn(pk.column),
    )
    pairs = list(zip([f.attname for f in columns], converters, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), _BATCH):
            params = [
                [*(convert(getattr(obj, name)) for name, convert in pairs),
                 pk_convert(obj.pk)]
                for obj in objs[start:start + _BATCH]
            ]
            cursor.executemany(sql, params)
