"""`resettle keys rotate`: everything re-encrypted, zero errors, resumable after a crash."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from resettle.encryption import keys, rotation
from resettle.encryption.models import DataKey, KeyState, Rotation
from resettle.registry.models import Person
from resettle.testing.fixtures import make_person


def _people(camp: Any, n: int) -> list[Person]:
    return [make_person(camp.site, f"ROT-{i}", "G", "F", phone=f"phone-{i}",
                        given_original=f"orig-{i}") for i in range(n)]


@pytest.mark.django_db
def test_rotation_reencrypts_everything(camp: Any) -> None:
    people = _people(camp, 5)
    old = keys.active_key_id()
    before = rotation.key_usage()
    assert set(before) == {old} and before[old] >= 10  # the camp's values + ours
    result = rotation.rotate(batch_size=2)
    assert result.finished and not result.errors and not result.resumed
    assert result.target_key_id != old
    assert set(rotation.key_usage()) == {result.target_key_id}
    assert result.rows_reencrypted == before[old]
    assert DataKey.objects.get(key_id=old).state == KeyState.RETIRED
    for p in people:
        fresh = Person.objects.get(pk=p.pk)
        assert (fresh.phone, fresh.given_name_original) == (p.phone, p.given_name_original)
    # new writes use the new key
    newer = make_person(camp.site, "ROT-X", "G", "F", phone="after")
    assert rotation.key_usage()[result.target_key_id] == before[old] + 1
    assert Person.objects.get(pk=newer.pk).phone == "after"


@pytest.mark.django_db
def test_interrupted_rotation_resumes(camp: Any, monkeypatch: Any) -> None:
    _people(camp, 6)
    old = keys.active_key_id()
    total = rotation.key_usage()[old]
    first = rotation.rotate(batch_size=2, max_batches=2)
    assert not first.finished
    marker = Rotation.objects.get(finished_at__isnull=True)
    done = first.rows_reencrypted
    assert marker.rows_done == done and 0 < done <= 4
    # a crash in the middle of the next batch: its transaction rolls back, the marker stays
    real_seal = keys.seal
    calls = {"n": 0}

    def failing_seal(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real_seal(*args, **kwargs)

    monkeypatch.setattr(keys, "seal", failing_seal)
    with pytest.raises(RuntimeError):
        rotation.rotate(batch_size=2)
    monkeypatch.setattr(keys, "seal", real_seal)
    marker.refresh_from_db()
    assert marker.rows_done == done and marker.finished_at is None
    usage = rotation.key_usage()
    assert usage[old] == total - done and usage[marker.target_key_id] == done
    second = rotation.rotate(batch_size=2, destroy_retired=True)
    assert second.resumed and second.finished and not second.errors
    assert second.target_key_id == marker.target_key_id
    assert second.rows_reencrypted == total - done
    assert set(rotation.key_usage()) == {second.target_key_id}
    assert second.destroyed_keys == [old]
    assert not DataKey.objects.filter(key_id=old).exists()
    keys.clear_cache()
    assert sorted(p.phone for p in Person.objects.filter(registration_id__startswith="ROT-")) \
        == sorted(f"phone-{i}" for i in range(6))


@pytest.mark.django_db
def test_rotation_reports_tampered_values_and_does_not_finish(camp: Any) -> None:
    from resettle.encryption.tests.test_fields import raw, set_raw

    a, b = _people(camp, 2)
    set_raw("registry_person", "phone", a.pk, raw("registry_person", "phone", b.pk))
    result = rotation.rotate()
    assert not result.finished
    assert len(result.errors) == 1 and str(a.pk) in result.errors[0]
    assert "phone-" not in result.errors[0]


@pytest.mark.django_db
def test_rotation_encrypts_legacy_plaintext(camp: Any) -> None:
    from resettle.encryption.tests.test_fields import raw, set_raw

    (a,) = _people(camp, 1)
    set_raw("registry_person", "phone", a.pk, "legacy-plain")
    assert rotation.key_usage()["plaintext"] == 1
    assert rotation.rotate().finished
    assert raw("registry_person", "phone", a.pk).startswith("e1$")
    assert Person.objects.get(pk=a.pk).phone == "legacy-plain"


@pytest.mark.django_db
def test_keys_command(camp: Any, capsys: Any) -> None:
    _people(camp, 2)
    total = sum(rotation.key_usage().values())
    call_command("keys", "rotate")
    out = capsys.readouterr().out
    assert "rotation finished with zero errors" in out
    call_command("keys", "status")
    out = capsys.readouterr().out
    assert f"values {total}" in out and "retired" in out
