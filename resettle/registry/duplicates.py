"""Duplicate detection wired to the registry: records out of the database, pairs back in.

The scoring and blocking live in ``resettle.core.dedupe`` (pure Python); this module
turns persons into ``PersonRecord`` values, remembers "not the same" decisions so a pair
is never proposed again, and keeps the review queue (``DuplicateCandidate``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet

from resettle.accounts.selectors import Scope
from resettle.audit.services import record
from resettle.core.dedupe import DEFAULT_THRESHOLD, BirthDate, PersonRecord, ScanResult, scan
from resettle.registry.importing import current_document_numbers
from resettle.registry.models import (
    DuplicateCandidate,
    DuplicateStatus,
    Membership,
    Person,
)

if TYPE_CHECKING:
    from resettle.registry.importing import ImportPlan

_RECORD_FIELDS = (
    "id", "registration_id", "given_name", "family_name", "given_name_original",
    "family_name_original", "date_of_birth", "dob_precision", "dob_estimated", "sex",
    "nationality", "phone",
)


def scoped_persons(scope: Scope | None) -> QuerySet[Person]:
    """Persons a scan may compare: all for the CLI (``None``), else the scope's sites."""
    qs = Person.objects.all()
    if scope is not None and scope.site_ids is not None:
        qs = qs.filter(site_id__in=list(scope.site_ids))
    return qs


def to_record(person: Person, *, document: str = "", household: str = "") -> PersonRecord:
    dob = person.date_of_birth
    birth = BirthDate(
        year=dob.year,
        month=dob.month if person.dob_precision in ("day", "month") else None,
        day=dob.day if person.dob_precision == "day" else None,
        estimated=person.dob_estimated,
    )
    return PersonRecord(
        key=person.registration_id,
        given_latin=person.given_name,
        family_latin=person.family_name,
        given_original=person.given_name_original,
        family_original=person.family_name_original,
        birth=birth,
        sex=person.sex,
        nationality=person.nationality,
        document_number=document,
        phone=person.phone,
        household_key=household,
    )


def _households(person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    result: dict[uuid.UUID, str] = {}
    for start in range(0, len(person_ids), 5000):
        for person_id, household_id in Membership.objects.filter(
            active=True, person_id__in=person_ids[start:start + 5000]
        ).values_list("person_id", "household_id"):
            result[person_id] = str(household_id)
    return result


def registry_records(persons: QuerySet[Person]) -> tuple[list[PersonRecord], dict[str, Person]]:
    people = list(persons.only(*_RECORD_FIELDS))
    ids = [p.pk for p in people]
    documents = current_document_numbers(ids)
    households = _households(ids)
    records = [
        to_record(p, document=documents.get(p.pk, ""), household=households.get(p.pk, ""))
        for p in people
    ]
    return records, {p.registration_id: p for p in people}


def distinct_pairs() -> list[tuple[str, str]]:
    return list(
        DuplicateCandidate.objects.filter(status=DuplicateStatus.DISTINCT).values_list(
            "first__registration_id", "second__registration_id"
        )
    )


def scan_registry(
    *, scope: Scope | None, threshold: float = DEFAULT_THRESHOLD
) -> tuple[ScanResult, dict[str, Person]]:
    records, people = registry_records(scoped_persons(scope))
    return scan(records, threshold=threshold, exclude=distinct_pairs()), people


@transaction.atomic
def refresh_queue(
    *, actor: Any, scope: Scope | None, threshold: float = DEFAULT_THRESHOLD, via: str = "web"
) -> ScanResult:
    """Scan and replace the open pairs of the review queue (decided pairs stay)."""
    result, people = scan_registry(scope=scope, threshold=threshold)
    open_pairs = DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN)
    if scope is not None and scope.site_ids is not None:
        open_pairs = open_pairs.filter(first__site_id__in=list(scope.site_ids))
    open_pairs.delete()
    decided = {
        (a, b) for a, b in DuplicateCandidate.objects.values_list("first_id", "second_id")
    }
    fresh = []
    for pair in result.pairs:
        first, second = people[pair.a], people[pair.b]
        if (first.pk, second.pk) in decided or (second.pk, first.pk) in decided:
            continue
        fresh.append(DuplicateCandidate(first=first, second=second, score=pair.score,
                                        reasons=list(pair.reasons)))
    DuplicateCandidate.objects.bulk_create(fresh, batch_size=1000)
    record(actor=actor, action="duplicates.scan", object_type="registry.person",
           detail={"records": result.stats.records, "comparisons": result.stats.comparisons,
                   "pairs": len(fresh), "threshold": threshold, "via": via})
    return result


def import_duplicates(plan: ImportPlan, scope: Scope | None) -> list[dict[str, Any]]:
    """Pairs where a new or changed row looks like another person (registered or in the file).

    Existing records are compared with the row's new values; pairs between two records
    that the import does not touch are left to the review queue.
    """
    incoming: dict[str, Any] = {}
    for p in plan.persons:
        if p.is_new or p.changes:
            incoming[p.person.registration_id] = p
    if not incoming:
        return []
    records, _people = registry_records(scoped_persons(scope))
    records = [r for r in records if r.key not in incoming]
    for p in incoming.values():
        records.append(to_record(p.person, document=p.row.document_number or "",
                                 household=f"import:{p.row.household_id}"))
    result = scan(records, exclude=distinct_pairs())
    found: list[dict[str, Any]] = []
    for pair in result.pairs:
        a_in, b_in = pair.a in incoming, pair.b in incoming
        if not (a_in or b_in):
            continue
        row_key, other = (pair.a, pair.b) if a_in else (pair.b, pair.a)
        found.append({
            "line": incoming[row_key].row.line,
            "registration_id": row_key,
            "other": other,
            "other_line": incoming[other].row.line if other in incoming else None,
            "score": pair.score,
            "reasons": list(pair.reasons),
        })
    found.sort(key=lambda d: (d["line"], -d["score"]))
    return found


def pairs_as_json(result: ScanResult) -> dict[str, list[dict[str, Any]]]:
    return {"pairs": [
        {"a": p.a, "b": p.b, "score": p.score, "reasons": list(p.reasons)}
        for p in result.pairs
    ]}


def open_candidates(scope: Scope) -> QuerySet[DuplicateCandidate]:
    qs = DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).select_related(
        "first", "second", "first__site", "second__site"
    )
    if scope.site_ids is not None:
        sites = list(scope.site_ids)
        qs = qs.filter(first__site_id__in=sites, second__site_id__in=sites)
    return qs.order_by("-score", "first__registration_id")
