"""Re-encrypting every sensitive value under a new data key, resumably.

``rotate`` creates a new active data key (the old one is retired: it still decrypts, but
encrypts nothing new), then walks every SensitiveTextField column in primary-key order,
in batches. Each batch is one transaction that also advances the progress marker (the
``Rotation`` row), so an interrupted run resumes where its last batch committed, and a
value already under the target key is skipped. A final sweep re-reads every column and
only marks the rotation finished when no value is left under another key (values written
meanwhile by a process still caching the old key are caught by the sweep).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from resettle.encryption import keys
from resettle.encryption.fields import Sealed, SensitiveTextField
from resettle.encryption.models import DataKey, KeyState, Rotation

DONE = "done"


@dataclass
class RotationResult:
    target_key_id: str
    resumed: bool
    rows_reencrypted: int
    #: "table pk: message" for values that could not be opened (never the value itself)
    errors: list[str] = field(default_factory=list)
    finished: bool = False
    destroyed_keys: list[str] = field(default_factory=list)


def sensitive_columns() -> list[tuple[type[models.Model], SensitiveTextField]]:
    """Every encrypted column of every installed model, in a stable order."""
    found = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, SensitiveTextField):
                found.append((model, f))
    return sorted(found, key=lambda pair: (pair[0]._meta.db_table, pair[1].column))


def _column_key(model: type[models.Model], f: SensitiveTextField) -> str:
    return f"{model._meta.db_table}.{f.column}"


def _rows(model: type[models.Model], f: SensitiveTextField, after: str,
          batch_size: int) -> list[tuple[Any, Any]]:
    query = model._base_manager.exclude(**{f.attname: ""}).exclude(
        **{f"{f.attname}__isnull": True})
    if after:
        pk_field = model._meta.pk
        assert pk_field is not None
        query = query.filter(pk__gt=pk_field.to_python(after))
    return list(query.order_by("pk").values_list("pk", f.attname)[:batch_size])


def _plaintext(model: type[models.Model], f: SensitiveTextField, pk: Any, raw: Any) -> str:
    instance = model(pk=pk)
    if isinstance(raw, Sealed):
        return keys.unseal(raw.token, aad=f.aad_for(instance))
    return str(raw)  # stored before encryption was switched on


def _needs_work(raw: Any, target: str) -> bool:
    return not (isinstance(raw, Sealed) and keys.key_id_of(raw.token) == target)


def _start_or_resume() -> tuple[Rotation, bool]:
    with transaction.atomic():
        current = Rotation.objects.filter(finished_at__isnull=True).first()
        if current is not None:
            return current, True
        target = keys.create_data_key(retire_current=True)
        return Rotation.objects.create(target_key_id=target, started_at=timezone.now()), False


def _pass(rotation: Rotation, batch_size: int, max_batches: int | None,
          report: Callable[[str, int], None], errors: list[str]) -> tuple[int, bool]:
    """One walk over every column; (rows re-encrypted, interrupted by max_batches)."""
    done = 0
    batches = 0
    target = rotation.target_key_id
    for model, f in sensitive_columns():
        key = _column_key(model, f)
        after = rotation.progress.get(key, "")
        if after == DONE:
            continue
        while True:
            if max_batches is not None and batches >= max_batches:
                return done, True
            rows = _rows(model, f, after, batch_size)
            if not rows:
                break
            with transaction.atomic():
                changed = 0
                for pk, raw in rows:
                    if not _needs_work(raw, target):
                        continue
                    instance = model(pk=pk)
                    try:
                        plain = _plaintext(model, f, pk, raw)
                    except keys.EncryptionError as exc:
                        errors.append(f"{model._meta.db_table} {pk}: {exc}")
                        continue
                    token = keys.seal(plain, aad=f.aad_for(instance), key_id=target)
                    model._base_manager.filter(pk=pk).update(**{f.attname: token})
                    changed += 1
                after = str(rows[-1][0])
                rotation.progress[key] = after
                rotation.rows_done += changed
                rotation.save(update_fields=["progress", "rows_done"])
            done += changed
            batches += 1
            report(key, changed)
        rotation.progress[key] = DONE
        rotation.save(update_fields=["progress"])
    return done, False


def key_usage() -> Counter[str]:
    """How many stored values each key id seals ("plaintext" = not yet encrypted)."""
    usage: Counter[str] = Counter()
    for model, f in sensitive_columns():
        for raw in _iter_raw(model, f):
            usage["plaintext" if not isinstance(raw, Sealed) else keys.key_id_of(raw.token)] += 1
    return usage


def _iter_raw(model: type[models.Model], f: SensitiveTextField) -> Iterator[Any]:
    yield from (model._base_manager.exclude(**{f.attname: ""})
                .values_list(f.attname, flat=True).iterator(chunk_size=2000))


def rotate(*, batch_size: int = 500, max_batches: int | None = None,
           destroy_retired: bool = False,
           report: Callable[[str, int], None] = lambda key, n: None) -> RotationResult:
    """Re-encrypt everything under a new key, or resume the unfinished rotation."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    rotation, resumed = _start_or_resume()
    result = RotationResult(target_key_id=rotation.target_key_id, resumed=resumed,
                            rows_reencrypted=0)
    for _ in range(3):  # the sweep: repeat while values under other keys remain
        done, interrupted = _pass(rotation, batch_size, max_batches, report, result.errors)
        result.rows_reencrypted += done
        if interrupted or result.errors:
            return result
        usage = key_usage()
        if set(usage) <= {rotation.target_key_id}:
            break
        rotation.progress = {}
        rotation.save(update_fields=["progress"])
    else:
        result.errors.append("values under old keys keep appearing: stop other writers and "
                             "run `resettle keys rotate` again")
        return result
    from resettle.audit.services import record

    with transaction.atomic():
        rotation.finished_at = timezone.now()
        rotation.save(update_fields=["finished_at"])
        record(actor=None, action="keys.rotated", object_type="encryption.datakey",
               object_id=rotation.target_key_id,
               detail={"values": rotation.rows_done, "destroyed": destroy_retired})
        if destroy_retired:
            old = DataKey.objects.filter(state=KeyState.RETIRED)
            result.destroyed_keys = sorted(old.values_list("key_id", flat=True))
            old.delete()
    result.finished = True
    keys.clear_cache()
    return result
