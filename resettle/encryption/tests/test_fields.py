"""Encryption at rest: round trip, binding to table/column/row, bulk paths, blind index."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction

from resettle.casework.models import Document, Hold
from resettle.encryption import keys
from resettle.encryption.fields import Sealed
from resettle.encryption.keys import EncryptionError, blind_index
from resettle.registry.models import Person
from resettle.testing.fixtures import make_person


def raw(table: str, column: str, pk: Any) -> str:
    pk_value = pk.hex if connection.vendor == "sqlite" else pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk_value])  # noqa: S608
        return str(cursor.fetchone()[0])


def set_raw(table: str, column: str, pk: Any, value: str) -> None:
    pk_value = pk.hex if connection.vendor == "sqlite" else pk
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                       [value, pk_value])


@pytest.mark.django_db
def test_round_trip_and_no_plaintext_in_the_column(camp: Any) -> None:
    person = make_person(camp.site, "R-1", "Ali", "Karimi", phone="+98 912 CANARY-PH1",
                         given_original="علی-CANARY", family_original="کریمی")
    stored = raw("registry_person", "phone", person.pk)
    assert stored.startswith("e1$")
    assert "CANARY" not in stored
    assert "CANARY" not in raw("registry_person", "given_name_original", person.pk)
    again = Person.objects.get(pk=person.pk)
    assert isinstance(again.__dict__["phone"], Sealed)  # lazily decrypted
    assert again.phone == "+98 912 CANARY-PH1"
    assert again.given_name_original == "علی-CANARY"
    # empty values stay empty (filters on "" keep working)
    assert raw("registry_person", "family_name_original", person.pk) != ""
    blank = make_person(camp.site, "R-2", "B", "C")
    assert raw("registry_person", "phone", blank.pk) == ""
    assert Person.objects.get(pk=blank.pk).phone == ""


@pytest.mark.django_db
def test_same_value_encrypts_differently_and_saving_unread_keeps_ciphertext(camp: Any) -> None:
    a = make_person(camp.site, "R-1", "A", "A", phone="same")
    b = make_person(camp.site, "R-2", "B", "B", phone="same")
    assert raw("registry_person", "phone", a.pk) != raw("registry_person", "phone", b.pk)
    before = raw("registry_person", "phone", a.pk)
    loaded = Person.objects.get(pk=a.pk)
    loaded.occupation = "teacher"
    loaded.save()
    assert raw("registry_person", "phone", a.pk) == before


@pytest.mark.django_db
def test_swapped_ciphertexts_fail_to_decrypt(camp: Any) -> None:
    a = make_person(camp.site, "R-1", "A", "A", phone="111")
    b = make_person(camp.site, "R-2", "B", "B", phone="222", given_original="x")
    token_a = raw("registry_person", "phone", a.pk)
    token_b = raw("registry_person", "phone", b.pk)
    set_raw("registry_person", "phone", a.pk, token_b)
    set_raw("registry_person", "phone", b.pk, token_a)
    with pytest.raises(EncryptionError, match=r"registry_person\|phone"):
        _ = Person.objects.get(pk=a.pk).phone
    # same row, other column: also refused
    set_raw("registry_person", "given_name_original", b.pk, token_a)
    with pytest.raises(EncryptionError):
        _ = Person.objects.get(pk=b.pk).given_name_original
    # a flipped byte is refused too
    original = make_person(camp.site, "R-3", "C", "C", phone="333")
    token = raw("registry_person", "phone", original.pk)
    mid = len(token) - 12  # inside the ciphertext, away from base64 padding
    flipped = token[:mid] + ("A" if token[mid] != "A" else "B") + token[mid + 1:]
    set_raw("registry_person", "phone", original.pk, flipped)
    with pytest.raises(EncryptionError):
        _ = Person.objects.get(pk=original.pk).phone


@pytest.mark.django_db
def test_bulk_create_and_bulk_update_encrypt(camp: Any) -> None:
    people = [Person(site=camp.site, registration_id=f"B-{i}", given_name="G", family_name="F",
                     sex="F", date_of_birth=date(1990, 1, 1), nationality="IR",
                     phone=f"BULK-CANARY-{i}") for i in range(3)]
    Person.objects.bulk_create(people)
    for p in people:
        assert "CANARY" not in raw("registry_person", "phone", p.pk)
        assert Person.objects.get(pk=p.pk).phone == p.phone
    loaded = list(Person.objects.filter(registration_id__startswith="B-").order_by("pk"))
    for p in loaded:
        p.phone = f"NEW-{p.registration_id}"
    Person.objects.bulk_update(loaded, ["phone"])
    for p in loaded:
        assert "NEW" not in raw("registry_person", "phone", p.pk)
        assert Person.objects.get(pk=p.pk).phone == f"NEW-{p.registration_id}"


@pytest.mark.django_db
def test_registry_bulk_writer_encrypts_for_the_right_row(camp: Any) -> None:
    from resettle.registry import bulk

    people = [Person(site=camp.site, registration_id=f"K-{i}", given_name="G", family_name="F",
                     sex="F", date_of_birth=date(1990, 1, 1), nationality="IR",
                     phone=f"KBULK-{i}") for i in range(2)]
    bulk.insert(people)
    for p in people:
        assert "KBULK" not in raw("registry_person", "phone", p.pk)
        assert Person.objects.get(pk=p.pk).phone == p.phone


@pytest.mark.django_db
def test_copying_a_value_between_rows_rebinds_it(camp: Any) -> None:
    a = make_person(camp.site, "R-1", "A", "A", phone="shared-number")
    b = make_person(camp.site, "R-2", "B", "B")
    b.phone = Person.objects.get(pk=a.pk).phone
    b.save()
    assert Person.objects.get(pk=b.pk).phone == "shared-number"


@pytest.mark.django_db
def test_queryset_update_of_an_encrypted_field_is_refused(camp: Any) -> None:
    a = make_person(camp.site, "R-1", "A", "A", phone="x")
    with pytest.raises(EncryptionError, match="save\\(update_fields"), transaction.atomic():
        Person.objects.filter(pk=a.pk).update(phone="plain")
    assert Person.objects.get(pk=a.pk).phone == "x"


@pytest.mark.django_db
def test_blind_index_is_kept_and_finds_exact_numbers(camp: Any) -> None:
    person = make_person(camp.site, "R-1", "A", "A")
    doc = Document.objects.create(person=person, kind="passport", number="P-123 456")
    assert doc.number_index == blind_index("p123456")
    assert Document.objects.get(number_index=blind_index("P123456")).pk == doc.pk
    assert "123" not in raw("casework_document", "number", doc.pk)
    assert blind_index("P-123 456") != blind_index("P-123 457")
    assert len(doc.number_index) == 64
    doc.number = "Q-9"
    doc.save(update_fields=["number", "number_index"])
    assert Document.objects.filter(number_index=blind_index("q9")).count() == 1
    # keyed: the index is not a plain hash of the value
    import hashlib

    assert doc.number_index != hashlib.sha256(b"q9").hexdigest()
    bulk = Document(person=person, kind="passport", number="BULK-1")
    Document.objects.bulk_create([bulk])
    assert Document.objects.get(pk=bulk.pk).number_index == blind_index("bulk1")


@pytest.mark.django_db
def test_hold_reference_and_notes_encrypted(camp: Any) -> None:
    person = make_person(camp.site, "R-1", "A", "A")
    hold = Hold.objects.create(person=person, hold_type="legal", reason="arrest_warrant",
                               reference="WARRANT-CANARY-7", notes="NOTE-CANARY",
                               start_date=date(2026, 1, 1))
    assert "CANARY" not in raw("casework_hold", "reference", hold.pk)
    assert "CANARY" not in raw("casework_hold", "notes", hold.pk)
    assert Hold.objects.get(pk=hold.pk).reference == "WARRANT-CANARY-7"


@pytest.mark.django_db
def test_data_keys_are_stored_wrapped_and_need_the_master_key(camp: Any, settings: Any) -> None:
    from resettle.encryption.models import DataKey

    person = make_person(camp.site, "R-1", "A", "A", phone="needs-master")
    key = DataKey.objects.get(state="active")
    assert raw("registry_person", "phone", person.pk).split("$")[1] == key.key_id
    settings.RESETTLE_MASTER_KEY = "another-master-key-" + "x" * 40
    keys.clear_cache()
    with pytest.raises(EncryptionError, match="master key"):
        _ = Person.objects.get(pk=person.pk).phone


def test_generated_master_key_file_is_private(tmp_path: Any, settings: Any) -> None:
    settings.RESETTLE_MASTER_KEY = ""
    settings.DATA_DIR = tmp_path
    material = keys.master_key_material()
    path = tmp_path / keys.MASTER_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert keys.master_key_material() == material  # stable across calls
    assert len(material) >= 40
