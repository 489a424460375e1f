"""Every write to the registry: validate, write, record history and audit in one transaction.

Edits use optimistic locking: the caller passes the ``version`` the user saw, the row is
updated only ``WHERE version = <that version>``, and a newer edit raises ``EditConflict``
naming what changed meanwhile, so the user is asked instead of overwritten.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, ForeignObjectRel, Q
from django.utils import timezone

from resettle.accounts.policy import Action, Role, allowed_actions, visible_fields
from resettle.accounts.selectors import Scope, scope_for
from resettle.audit.services import record
from resettle.registry import bulk
from resettle.registry import values as v
from resettle.registry.countries import to_alpha2
from resettle.registry.importing import ImportPlan, parse_table, plan_import
from resettle.registry.models import (
    SENSITIVE_PERSON_FIELDS,
    ChangeSource,
    DuplicateCandidate,
    DuplicateStatus,
    Household,
    Membership,
    Person,
    PersonChange,
    Relationship,
    Site,
)
from resettle.registry.naming import search_name_for
from resettle.registry.tabular import Table


class RegistryError(Exception):
    """A registry write was refused; the message says why, for the user."""


class EditConflict(RegistryError):
    """Someone saved the record after the user opened it."""

    def __init__(self, current: Any, changed_fields: Sequence[str]) -> None:
        self.current = current
        self.changed_fields = list(changed_fields)
        names = ", ".join(self.changed_fields) or "the record"
        super().__init__(f"Someone else changed {names} since you opened it.")


#: person fields the registration form may set
PERSON_FIELDS = (
    "given_name", "family_name", "given_name_original", "family_name_original", "sex",
    "date_of_birth", "dob_precision", "dob_estimated", "nationality", "languages",
    "specific_needs", "ties", "phone", "education", "occupation", "skills", "site",
)


#: what an operator at the server console may do (no user named: the whole registry)
CONSOLE_SCOPE = Scope(
    roles=frozenset({Role.ADMIN}),
    site_ids=None,
    liaison_destination_ids=frozenset(),
    actions=allowed_actions(frozenset({Role.ADMIN})),
    fields=visible_fields(frozenset({Role.ADMIN})),
)


def scope_of(actor: Any) -> Scope:
    """The actor's scope; the console scope when no user is named (CLI without --user)."""
    return CONSOLE_SCOPE if actor is None else scope_for(actor)


def _actor_id(actor: Any) -> int | None:
    return actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None


def _jsonable(name: str, value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Site):
        return value.name
    return value


def history_entry(changes: Mapping[str, tuple[Any, Any]]) -> dict[str, Any]:
    """Field changes for ``PersonChange.changes``; encrypted fields keep no values."""
    entry: dict[str, Any] = {}
    for name, (old, new) in changes.items():
        if name == "search_name":
            continue
        if name in SENSITIVE_PERSON_FIELDS:
            entry[name] = {"changed": True}
        else:
            entry[name] = {"from": _jsonable(name, old), "to": _jsonable(name, new)}
    return entry


def _check_person(person: Person, *, today: date) -> None:
    problems: list[str] = []
    for name in ("given_name", "family_name"):
        try:
            setattr(person, name, v.parse_latin_name(getattr(person, name)))
        except ValueError as exc:
            problems.append(f"{name.replace('_', ' ')} {exc}")
    if person.date_of_birth > today:
        problems.append("date of birth is in the future")
    if person.dob_precision not in ("day", "month", "year"):
        problems.append("date of birth precision must be day, month or year")
    if person.dob_precision != "day":
        person.dob_estimated = True
    if person.sex not in v.SEXES:
        problems.append("sex must be F, M or X")
    if to_alpha2(person.nationality) is None:
        problems.append(f"nationality '{person.nationality}' is not an ISO 3166 code")
    if problems:
        raise RegistryError("; ".join(problems) + ".")
    person.search_name = search_name_for(person.given_name, person.family_name,
                                         person.given_name_original,
                                         person.family_name_original)


def _check_site_scope(scope: Scope, site_id: Any) -> None:
    if scope.site_ids is not None and str(site_id) not in scope.site_ids:
        raise RegistryError("That site is outside your scope.")


# --- persons ---------------------------------------------------------------------------


@transaction.atomic
def create_person(
    *,
    actor: Any,
    registration_id: str,
    values: Mapping[str, Any],
    household: Household | None = None,
    relationship: str = "",
    new_household_reference: str = "",
    today: date | None = None,
) -> Person:
    """Register a person, either into an existing household or as principal of a new one."""
    scope = scope_of(actor)
    registration_id = registration_id.strip()
    if not registration_id:
        raise RegistryError("A registration id is required.")
    if registration_id_in_use(registration_id):
        raise RegistryError(f"Registration id '{registration_id}' is already in use.")
    person = Person(registration_id=registration_id)
    for name, value in values.items():
        if name not in PERSON_FIELDS:
            raise RegistryError(f"Unknown person field '{name}'.")
        setattr(person, name, value)
    _check_site_scope(scope, person.site_id)
    _check_person(person, today=today or timezone.localdate())
    person.save()
    PersonChange.objects.create(
        person=person, at=timezone.now(), actor_id=_actor_id(actor),
        source=ChangeSource.CREATED, person_version=person.version, changes={},
        note="registered in the web application",
    )
    record(actor=actor, action="person.create", obj=person)
    if new_household_reference:
        create_household(actor=actor, reference=new_household_reference, site=person.site,
                         principal=person)
    elif household is not None:
        add_member(actor=actor, household_id=household.pk,
                   expected_version=household.version, person=person,
                   relationship=relationship or Relationship.OTHER_RELATIVE)
    return person


def registration_id_in_use(registration_id: str) -> bool:
    """True if a person has this id, or had it before a merge (re-imports still match)."""
    if Person.objects.filter(registration_id=registration_id).exists():
        return True
    return any(
        registration_id in ids
        for ids in Person.objects.exclude(merged_registration_ids=[]).values_list(
            "merged_registration_ids", flat=True
        )
    )


def changed_since(person_id: Any, version: int) -> list[str]:
    """Field names changed by anyone after ``version`` (from the person's history)."""
    names: list[str] = []
    for change in PersonChange.objects.filter(
        person_id=person_id, person_version__gt=version
    ).order_by("person_version"):
        for name in change.changes:
            if name not in names:
                names.append(name)
    return names


@transaction.atomic
def update_person(
    *,
    actor: Any,
    person_id: Any,
    expected_version: int,
    values: Mapping[str, Any],
    today: date | None = None,
) -> Person:
    """Save an edit made on ``expected_version``; ``EditConflict`` if the record moved on."""
    scope = scope_of(actor)
    person = Person.objects.select_for_update().get(pk=person_id)
    if person.version != expected_version:
        raise EditConflict(person, changed_since(person.pk, expected_version))
    before = {name: getattr(person, name if name != "site" else "site_id")
              for name in PERSON_FIELDS}
    for name, value in values.items():
        if name not in PERSON_FIELDS:
            raise RegistryError(f"Unknown person field '{name}'.")
        setattr(person, name, value)
    _check_site_scope(scope, person.site_id)
    _check_person(person, today=today or timezone.localdate())
    changes: dict[str, tuple[Any, Any]] = {}
    for name in PERSON_FIELDS:
        attr = "site_id" if name == "site" else name
        if before[name] != getattr(person, attr):
            changes[name] = (before[name], getattr(person, attr))
    if not changes:
        return person
    update_fields = {("site_id" if n == "site" else n): getattr(
        person, "site_id" if n == "site" else n) for n in changes}
    update_fields["search_name"] = person.search_name
    updated = Person.objects.filter(pk=person.pk, version=expected_version).update(
        **update_fields, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise EditConflict(person, changed_since(person.pk, expected_version))
    person.version = expected_version + 1
    PersonChange.objects.create(
        person=person, at=timezone.now(), actor_id=_actor_id(actor), source=ChangeSource.EDIT,
        person_version=person.version, changes=history_entry(changes),
    )
    record(actor=actor, action="person.update", obj=person,
           detail={"fields": sorted(changes)})
    return person


# --- households ------------------------------------------------------------------------


def _locked_household(scope: Scope, household_id: Any, expected_version: int) -> Household:
    household = Household.objects.select_for_update().get(pk=household_id)
    _check_site_scope(scope, household.site_id)
    if household.version != expected_version:
        raise EditConflict(household, ["members"])
    return household


def _bump(household: Household) -> None:
    Household.objects.filter(pk=household.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    household.version += 1


def _member_history(actor: Any, person: Person, household: Household, what: str) -> None:
    Person.objects.filter(pk=person.pk).update(version=F("version") + 1)
    person.version += 1
    PersonChange.objects.create(
        person=person, at=timezone.now(), actor_id=_actor_id(actor), source=ChangeSource.EDIT,
        person_version=person.version,
        changes={"household": {"from": "", "to": household.reference}} if what == "added"
        else {"household": {"from": household.reference, "to": ""}} if what == "removed"
        else {"relationship": {"from": "", "to": what}},
    )


@transaction.atomic
def create_household(*, actor: Any, reference: str, site: Site, principal: Person) -> Household:
    """A new case with ``principal`` as its principal applicant."""
    scope = scope_of(actor)
    _check_site_scope(scope, site.pk)
    reference = reference.strip()
    if not reference or len(reference) > 32:
        raise RegistryError("A case reference of 1 to 32 characters is required.")
    if Household.objects.filter(reference=reference).exists():
        raise RegistryError(f"Case reference '{reference}' is already in use.")
    if Membership.objects.filter(person=principal, active=True).exists():
        raise RegistryError(
            f"{principal.registration_id} is already in an active household; remove them "
            "there first."
        )
    now = timezone.now()
    household = Household.objects.create(reference=reference, site=site, stage="registered",
                                         stage_changed_at=now)
    from resettle.casework.models import StageChange

    StageChange.objects.create(household=household, from_stage="", to_stage="registered",
                               at=now, actor_id=_actor_id(actor), reason="registered")
    Membership.objects.create(household=household, person=principal,
                              relationship=Relationship.PRINCIPAL)
    _member_history(actor, principal, household, "added")
    record(actor=actor, action="household.create", obj=household)
    return household


@transaction.atomic
def add_member(
    *, actor: Any, household_id: Any, expected_version: int, person: Person, relationship: str
) -> Membership:
    scope = scope_of(actor)
    household = _locked_household(scope, household_id, expected_version)
    relationship = _relationship(relationship)
    if relationship == Relationship.PRINCIPAL:
        raise RegistryError(
            "A household has exactly one principal applicant: add the person with another "
            "relationship, then change the principal applicant."
        )
    if person.site_id != household.site_id:
        raise RegistryError(
            f"{person.registration_id} is registered at another site than case "
            f"{household.reference}; a household lives at one site.")
    current = Membership.objects.filter(person=person, active=True).select_related(
        "household").first()
    if current is not None:
        raise RegistryError(
            f"{person.registration_id} is already in case {current.household.reference}; "
            "remove them there first."
        )
    membership = Membership.objects.create(household=household, person=person,
                                           relationship=relationship)
    _bump(household)
    _member_history(actor, person, household, "added")
    record(actor=actor, action="household.add_member", obj=household,
           detail={"person": str(person.pk), "relationship": relationship})
    return membership


def _relationship(value: str) -> str:
    try:
        return v.parse_relationship(value)
    except ValueError as exc:
        raise RegistryError(f"Relationship {exc}.") from None


def _active_membership(household: Household, person_id: Any) -> Membership:
    membership = household.memberships.filter(active=True, person_id=person_id).select_related(
        "person").first()
    if membership is None:
        raise RegistryError("That person is not a member of this household.")
    return membership


@transaction.atomic
def remove_member(
    *, actor: Any, household_id: Any, expected_version: int, person_id: Any, reason: str
) -> None:
    scope = scope_of(actor)
    household = _locked_household(scope, household_id, expected_version)
    membership = _active_membership(household, person_id)
    reason = reason.strip()
    if not reason:
        raise RegistryError("Say why the person leaves the household.")
    others = household.memberships.filter(active=True).exclude(pk=membership.pk).exists()
    if membership.relationship == Relationship.PRINCIPAL and others:
        raise RegistryError(
            "This is the principal applicant: make another member principal first."
        )
    Membership.objects.filter(pk=membership.pk).update(
        active=False, left_reason=reason[:255], updated_at=timezone.now()
    )
    _bump(household)
    _member_history(actor, membership.person, household, "removed")
    record(actor=actor, action="household.remove_member", obj=household,
           detail={"person": str(person_id)})


@transaction.atomic
def change_relationship(
    *, actor: Any, household_id: Any, expected_version: int, person_id: Any, relationship: str
) -> None:
    scope = scope_of(actor)
    household = _locked_household(scope, household_id, expected_version)
    membership = _active_membership(household, person_id)
    relationship = _relationship(relationship)
    if relationship == membership.relationship:
        return
    if Relationship.PRINCIPAL in (relationship, membership.relationship):
        raise RegistryError("Use 'change principal applicant' to change who is principal.")
    Membership.objects.filter(pk=membership.pk).update(
        relationship=relationship, updated_at=timezone.now()
    )
    _bump(household)
    _member_history(actor, membership.person, household, relationship)
    record(actor=actor, action="household.change_relationship", obj=household,
           detail={"person": str(person_id), "relationship": relationship})


@transaction.atomic
def change_principal(
    *,
    actor: Any,
    household_id: Any,
    expected_version: int,
    person_id: Any,
    former_principal_relationship: str,
) -> None:
    """Make a member the principal applicant; the former principal gets the given relationship."""
    scope = scope_of(actor)
    household = _locked_household(scope, household_id, expected_version)
    new = _active_membership(household, person_id)
    former_relationship = _relationship(former_principal_relationship)
    if former_relationship == Relationship.PRINCIPAL:
        raise RegistryError("The former principal applicant needs another relationship.")
    if new.relationship == Relationship.PRINCIPAL:
        return
    old = household.memberships.filter(active=True, relationship=Relationship.PRINCIPAL).first()
    now = timezone.now()
    if old is not None:
        Membership.objects.filter(pk=old.pk).update(relationship=former_relationship,
                                                    updated_at=now)
    Membership.objects.filter(pk=new.pk).update(relationship=Relationship.PRINCIPAL,
                                                updated_at=now)
    _bump(household)
    _member_history(actor, new.person, household, Relationship.PRINCIPAL)
    record(actor=actor, action="household.change_principal", obj=household,
           detail={"person": str(person_id)})


# --- import ----------------------------------------------------------------------------


def import_persons(
    *,
    actor: Any,
    table: Table,
    dry_run: bool,
    check_duplicates: bool = True,
    today: date | None = None,
    via: str = "web",
) -> ImportPlan:
    """Validate the whole table, then (unless ``dry_run`` or any issue) apply it at once.

    One transaction, bulk writes, one audit event with the counts. ``check_duplicates``
    compares new and changed rows with the registry and lists likely duplicates.
    """
    scope = scope_of(actor)
    if not scope.can(Action.IMPORT):
        raise RegistryError("Your role does not allow importing.")
    rows, plan = parse_table(table, today=today or timezone.localdate())
    if dry_run or plan.issues:
        # valid rows are still checked against the registry, so every problem is listed
        plan_import(rows, plan, scope=scope)
        plan.sort_issues()
        if plan.ok and check_duplicates:
            _check_duplicates(plan, scope)
        return plan
    with transaction.atomic():
        plan_import(rows, plan, scope=scope)
        plan.sort_issues()
        if plan.ok and check_duplicates:
            _check_duplicates(plan, scope)
        if plan.ok:
            _apply(plan, actor=actor, via=via)
    return plan


def _apply(plan: ImportPlan, *, actor: Any, via: str) -> None:
    from resettle.casework.models import Document, StageChange

    now = timezone.now()
    actor_id = _actor_id(actor)
    if plan.new_households:
        bulk.insert(list(plan.new_households.values()))
        bulk.insert(
            [StageChange(household=h, from_stage="", to_stage="registered", at=now,
                         actor_id=actor_id, reason="registered by import")
             for h in plan.new_households.values()]
        )
    created = plan.created
    bulk.insert([p.person for p in created])
    changed = plan.changed
    changes: list[PersonChange] = [
        PersonChange(person_id=p.person.pk, at=now, actor_id=actor_id,
                     source=ChangeSource.CREATED, person_version=1, changes={},
                     note="registered by import", created_at=now, updated_at=now)
        for p in created
    ]
    fields: set[str] = set()
    household_refs = {m.person_id: m for m in plan.open_memberships}
    for p in changed:
        p.person.version += 1
        p.person.updated_at = now
        fields.update(p.changes)
        entry = history_entry(p.changes)
        if p.document_changed:
            entry["document_number"] = {"changed": True}
        if p.membership_changed:
            opened = household_refs[p.person.pk]
            entry["household"] = {"to": p.row.household_id, "relationship": opened.relationship}
        changes.append(PersonChange(
            person_id=p.person.pk, at=now, actor_id=actor_id, source=ChangeSource.IMPORT,
            person_version=p.person.version, changes=entry, created_at=now, updated_at=now,
        ))
    if changed:
        bulk.update(
            [p.person for p in changed],
            sorted(("site_id" if f == "site" else f)
                   for f in fields | {"version", "updated_at", "search_name"}),
        )
    if plan.close_memberships:
        for m in plan.close_memberships:
            m.updated_at = now
        bulk.update(plan.close_memberships, ["active", "left_reason", "updated_at"])
    bulk.insert(plan.open_memberships)
    touched = sorted(plan.touched_households)
    for start in range(0, len(touched), 5000):
        Household.objects.filter(pk__in=touched[start:start + 5000]).update(
            version=F("version") + 1, updated_at=now
        )
    new_docs: list[Any] = []
    for p, doc in plan.documents:
        if doc is None:
            new_docs.append(Document(person_id=p.person.pk, kind="travel_document",
                                     number=p.row.document_number or ""))
        else:
            # through the instance: the number is encrypted for its row, its index kept
            doc.number = p.row.document_number or ""
            doc.save(update_fields=["number", "number_index", "updated_at"])
    bulk.insert(new_docs)
    bulk.insert(changes)
    counts = plan.counts()
    counts["documents"] = len(plan.documents)
    record(actor=actor, action="persons.import", object_type="registry.person",
           detail={**counts, "via": via})


def _check_duplicates(plan: ImportPlan, scope: Scope) -> None:
    from resettle.registry.duplicates import import_duplicates

    plan.duplicates = import_duplicates(plan, scope)
    plan.duplicates_checked = True


# --- export ----------------------------------------------------------------------------


@transaction.atomic
def record_export(*, actor: Any, fmt: str, rows: int, columns: Iterable[str], via: str) -> None:
    """Audit an export: who, which format, how many rows and which columns (never values)."""
    record(actor=actor, action="persons.export", object_type="registry.person",
           detail={"format": fmt, "rows": rows, "columns": list(columns), "via": via})


# --- duplicates ------------------------------------------------------------------------


@dataclass
class MergeResult:
    survivor: Person
    merged_registration_id: str
    repointed: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def mark_distinct(*, actor: Any, candidate_id: Any) -> DuplicateCandidate:
    """"Not the same person": the pair is kept with this decision and never proposed again."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate_id)
    if candidate.status != DuplicateStatus.OPEN:
        raise RegistryError("This pair has already been decided.")
    candidate.status = DuplicateStatus.DISTINCT
    candidate.decided_by_id = _actor_id(actor)
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    record(actor=actor, action="duplicates.distinct", obj=candidate)
    return candidate


_MERGE_FILL = ("given_name_original", "family_name_original", "phone", "occupation", "skills")
_MERGE_UNION = ("languages", "specific_needs", "ties")


@transaction.atomic
def merge_persons(
    *,
    actor: Any,
    survivor_id: Any,
    merged_id: Any,
    survivor_version: int,
    merged_version: int,
    candidate_id: Any = None,
) -> MergeResult:
    """"Same person": fold ``merged`` into ``survivor`` and delete the merged record.

    Kept: both registration ids (``merged_registration_ids``), both histories (re-pointed),
    memberships (the merged one closed when both were active), holds, documents, manifest
    entries, casualties and every other row naming the merged person. Empty fields of the
    survivor are filled from the merged record; lists are united.
    """
    if str(survivor_id) == str(merged_id):
        raise RegistryError("A record cannot be merged into itself.")
    scope = scope_of(actor)
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(
        pk__in=[survivor_id, merged_id])}
    survivor = locked.get(uuid.UUID(str(survivor_id)))
    merged = locked.get(uuid.UUID(str(merged_id)))
    if survivor is None or merged is None:
        raise RegistryError("One of the two records no longer exists.")
    for person in (survivor, merged):
        _check_site_scope(scope, person.site_id)
    if survivor.version != survivor_version:
        raise EditConflict(survivor, changed_since(survivor.pk, survivor_version))
    if merged.version != merged_version:
        raise EditConflict(merged, changed_since(merged.pk, merged_version))
    now = timezone.now()
    changes: dict[str, tuple[Any, Any]] = {}
    for name in _MERGE_FILL:
        if not getattr(survivor, name) and getattr(merged, name):
            changes[name] = (getattr(survivor, name), getattr(merged, name))
    for name in _MERGE_UNION:
        union = list(dict.fromkeys([*getattr(survivor, name), *getattr(merged, name)]))
        if union != getattr(survivor, name):
            changes[name] = (getattr(survivor, name), union)
    if survivor.dob_estimated and not merged.dob_estimated:
        changes["date_of_birth"] = (survivor.date_of_birth, merged.date_of_birth)
        changes["dob_precision"] = (survivor.dob_precision, merged.dob_precision)
        changes["dob_estimated"] = (True, False)
    ids = [*survivor.merged_registration_ids, merged.registration_id,
           *merged.merged_registration_ids]
    changes["merged_registration_ids"] = (survivor.merged_registration_ids, ids)
    for name, (_old, new) in changes.items():
        setattr(survivor, name, new)
    survivor.search_name = search_name_for(survivor.given_name, survivor.family_name,
                                           survivor.given_name_original,
                                           survivor.family_name_original)
    _merge_memberships(survivor, merged)
    repointed = _repoint(survivor, merged)
    merged_registration_id = merged.registration_id
    merged_pk = merged.pk
    # free the unique registration id before the survivor's row names it in its merged ids
    Person.objects.filter(pk=merged_pk).delete()
    survivor.version += 1
    survivor.save()
    PersonChange.objects.create(
        person=survivor, at=now, actor_id=_actor_id(actor), source=ChangeSource.MERGE,
        person_version=survivor.version, changes=history_entry(changes),
        note=f"merged {merged_registration_id} into this record",
    )
    if candidate_id is not None:
        DuplicateCandidate.objects.filter(pk=candidate_id).delete()
    record(actor=actor, action="person.merge", obj=survivor,
           detail={"merged_person": str(merged_pk), "repointed": repointed})
    return MergeResult(survivor, merged_registration_id, repointed)


def _merge_memberships(survivor: Person, merged: Person) -> None:
    now = timezone.now()
    keep = Membership.objects.filter(person=survivor, active=True).first()
    gone = Membership.objects.filter(person=merged, active=True).select_related(
        "household").first()
    if gone is not None and keep is not None:
        if gone.household_id != keep.household_id and gone.relationship == (
            Relationship.PRINCIPAL
        ) and gone.household.memberships.filter(active=True).exclude(pk=gone.pk).exists():
            raise RegistryError(
                f"{merged.registration_id} is the principal applicant of case "
                f"{gone.household.reference}: make another member principal there first."
            )
        Membership.objects.filter(pk=gone.pk).update(
            active=False, left_reason=f"merged into {survivor.registration_id}", updated_at=now
        )
        if gone.household_id == keep.household_id and gone.relationship == (
            Relationship.PRINCIPAL
        ):
            Membership.objects.filter(pk=keep.pk).update(relationship=Relationship.PRINCIPAL)
        Household.objects.filter(pk=gone.household_id).update(version=F("version") + 1)
    Membership.objects.filter(person=merged).update(person=survivor, updated_at=now)


def _repoint(survivor: Person, merged: Person) -> dict[str, int]:
    """Point every row that names ``merged`` at ``survivor`` (holds, documents, history...)."""
    counts: dict[str, int] = {}
    # decisions on pairs involving the merged record: "not the same" carries over, the
    # rest are dropped (they are proposed again by the next scan if still relevant)
    for candidate in DuplicateCandidate.objects.filter(
        Q(first=merged) | Q(second=merged)
    ):
        other = candidate.second_id if candidate.first_id == merged.pk else candidate.first_id
        keep = candidate.status == DuplicateStatus.DISTINCT and other != survivor.pk
        candidate.delete()
        if keep and not DuplicateCandidate.objects.filter(
            Q(first_id=other, second=survivor) | Q(first=survivor, second_id=other)
        ).exists():
            DuplicateCandidate.objects.create(
                first=survivor, second_id=other, score=candidate.score,
                reasons=candidate.reasons, status=DuplicateStatus.DISTINCT,
                decided_by_id=candidate.decided_by_id, decided_at=candidate.decided_at,
            )
    for relation in Person._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel):
            continue
        model = relation.related_model
        if model is None:
            continue
        if model in (Membership, DuplicateCandidate) or not (
            relation.one_to_many or relation.one_to_one
        ):
            continue
        field_name = relation.field.name
        try:
            with transaction.atomic():
                moved = model._default_manager.filter(**{field_name: merged}).update(
                    **{field_name: survivor}
                )
        except IntegrityError:
            raise RegistryError(
                f"Both records have a {model._meta.verbose_name} that cannot be combined; "
                "resolve it first."
            ) from None
        if moved:
            counts[model._meta.label_lower] = moved
    return counts
