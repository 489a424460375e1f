"""Planning a person import: parse every row, check it against the registry, list the effect.

The plan is computed in full before anything is written: every problem is collected with
its file line and column, and the preview (what would be created, changed and which rows
look like persons already registered) is the same object the import then applies
(``resettle.registry.services.import_persons``). Planning reads in bulk (a few queries per
5,000 rows), never one query per row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import F

from resettle.accounts.selectors import Scope
from resettle.registry import values as v
from resettle.registry.models import Household, Membership, Person, Site
from resettle.registry.tabular import Table

#: (column, required) in the documented order (docs/import.md)
COLUMNS: tuple[tuple[str, bool], ...] = (
    ("registration_id", True),
    ("household_id", True),
    ("relationship", True),
    ("given_name", True),
    ("family_name", True),
    ("given_name_original", False),
    ("family_name_original", False),
    ("sex", True),
    ("date_of_birth", True),
    ("nationality", True),
    ("languages", False),
    ("specific_needs", False),
    ("phone", False),
    ("document_number", False),
    ("ties", False),
    ("site", False),
)
COLUMN_NAMES = tuple(name for name, _required in COLUMNS)
REQUIRED = frozenset(name for name, required in COLUMNS if required)

#: person model fields an import may set, with the column each comes from
_SIMPLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("given_name", "given_name"),
    ("family_name", "family_name"),
    ("given_name_original", "given_name_original"),
    ("family_name_original", "family_name_original"),
    ("sex", "sex"),
    ("nationality", "nationality"),
    ("languages", "languages"),
    ("specific_needs", "specific_needs"),
    ("phone", "phone"),
    ("ties", "ties"),
)
_PARSERS: dict[str, Any] = {
    "registration_id": None,
    "household_id": None,
    "relationship": v.parse_relationship,
    "given_name": v.parse_latin_name,
    "family_name": v.parse_latin_name,
    "given_name_original": v.parse_original_name,
    "family_name_original": v.parse_original_name,
    "sex": v.parse_sex,
    "nationality": v.parse_country,
    "languages": v.parse_languages,
    "specific_needs": v.parse_needs,
    "phone": v.parse_phone,
    "document_number": v.parse_document_number,
    "ties": v.parse_countries,
}
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./")
_CHUNK = 5000
#: NULL validity sorts last on both SQLite and PostgreSQL
_LATEST_FIRST = F("valid_until").desc(nulls_last=True)


@dataclass(frozen=True)
class Issue:
    """One problem, named by file line (header = line 1) and column."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        column = f"{self.column} " if self.column else ""
        return f"line {self.line}: {column}{self.message}"


@dataclass
class Row:
    """One valid data row, parsed. ``values`` holds only the columns the file has."""

    line: int
    registration_id: str
    household_id: str
    relationship: str
    site_name: str
    values: dict[str, Any]
    birth: v.Birth
    document_number: str | None


@dataclass
class PersonPlan:
    row: Row
    person: Person  # unsaved for new persons; the existing record (unchanged yet) otherwise
    is_new: bool
    #: field -> (old, new) for changed fields (empty for new or unchanged persons)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    document_changed: bool = False
    membership_changed: bool = False


@dataclass
class ImportPlan:
    """What an import would do, or the problems that stop it."""

    rows: int = 0
    issues: list[Issue] = field(default_factory=list)
    persons: list[PersonPlan] = field(default_factory=list)
    new_households: dict[str, Household] = field(default_factory=dict)
    #: memberships to close (person moved or relationship changed) and to open
    close_memberships: list[Membership] = field(default_factory=list)
    open_memberships: list[Membership] = field(default_factory=list)
    #: existing households whose members change (their version is bumped)
    touched_households: set[uuid.UUID] = field(default_factory=set)
    #: travel documents to add or renumber: (person plan, existing document id or None)
    documents: list[tuple[PersonPlan, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    duplicates_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues

    def sort_issues(self) -> None:
        """By file line, then in column order (stable: one column's problems keep order)."""
        self.issues.sort(key=lambda i: (i.line, _column_order(i)))

    @property
    def created(self) -> list[PersonPlan]:
        return [p for p in self.persons if p.is_new]

    @property
    def changed(self) -> list[PersonPlan]:
        return [
            p for p in self.persons
            if not p.is_new and (p.changes or p.document_changed or p.membership_changed)
        ]

    @property
    def unchanged(self) -> int:
        return len(self.persons) - len(self.created) - len(self.changed)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.changed),
            "unchanged": self.unchanged,
            "households_created": len(self.new_households),
            "memberships_changed": len(self.open_memberships),
            "likely_duplicates": len(self.duplicates),
        }


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


# --- parsing ---------------------------------------------------------------------------


def _column_order(issue: Issue) -> int:
    return COLUMN_NAMES.index(issue.column) if issue.column in COLUMN_NAMES else -1


def _check_header(table: Table, plan: ImportPlan) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    for index, name in enumerate(table.header):
        if not name:
            if any(index < len(r) and r[index].strip() for r in table.rows):
                plan.issues.append(Issue(1, "", f"column {index + 1} has values but no name"))
            continue
        if name not in COLUMN_NAMES:
            plan.issues.append(Issue(1, "", f"unknown column '{name}'"))
        elif name in positions:
            plan.issues.append(Issue(1, "", f"column '{name}' appears twice"))
        else:
            positions[name] = index
    for name in COLUMN_NAMES:
        if name in REQUIRED and name not in positions:
            plan.issues.append(Issue(1, "", f"missing required column '{name}'"))
    return None if plan.issues else positions


def _parse_identifier(text: str, column: str, line: int, issues: list[Issue]) -> str:
    value = v.unguard(text.strip())
    if not value:
        issues.append(Issue(line, column, "is required"))
    elif len(value) > (64 if column == "registration_id" else 32):
        issues.append(Issue(line, column, f"'{value}' is too long"))
    elif not set(value) <= _ID_CHARS or value[0] in "-.":
        issues.append(
            Issue(line, column, f"'{value}' may only hold letters, digits and - _ . /")
        )
    else:
        return value
    return ""


def parse_table(table: Table, *, today: date) -> tuple[list[Row], ImportPlan]:
    """Parse every row; the plan carries every issue found (all rows are checked)."""
    plan = ImportPlan(rows=len(table.rows))
    positions = _check_header(table, plan)
    if positions is None:
        return [], plan
    rows: list[Row] = []
    seen: dict[str, int] = {}
    width = len(table.header)
    for line, cells in zip(table.lines, table.rows, strict=True):
        issues: list[Issue] = []
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            issues.append(Issue(line, "", f"has {len(cells)} cells but the header has {width}"))
        raw = {
            name: (cells[index] if index < len(cells) else "")
            for name, index in positions.items()
        }
        formulas = {name for name, index in positions.items()
                    if (line, index) in table.formula_cells}
        for name in formulas:
            issues.append(Issue(line, name, "is a formula cell; save the values only"))
        registration_id = _parse_identifier(raw["registration_id"], "registration_id", line,
                                            issues)
        if registration_id in seen:
            issues.append(Issue(line, "registration_id",
                                f"'{registration_id}' repeats line {seen[registration_id]}"))
        elif registration_id:
            seen[registration_id] = line
        # both empty: an existing person's household is left as it is (exports write this
        # for persons who left their household); a new person needs both
        no_household = not raw["household_id"].strip() and not raw["relationship"].strip()
        household_id = "" if no_household else _parse_identifier(
            raw["household_id"], "household_id", line, issues)
        parsed: dict[str, Any] = {"relationship": ""} if no_household else {}
        for name, parser in _PARSERS.items():
            if parser is None or name not in raw or name in formulas or (
                no_household and name == "relationship"
            ):
                continue
            text = v.unguard(raw[name])
            if name in REQUIRED and not text.strip():
                issues.append(Issue(line, name, "is required"))
                continue
            try:
                parsed[name] = parser(text)
            except ValueError as exc:
                issues.append(Issue(line, name, str(exc)))
        birth: v.Birth | None = None
        dob_text = v.unguard(raw["date_of_birth"])
        if "date_of_birth" in formulas:
            pass
        elif not dob_text.strip():
            issues.append(Issue(line, "date_of_birth", "is required"))
        else:
            try:
                birth = v.parse_birth(dob_text, today=today)
            except ValueError as exc:
                issues.append(Issue(line, "date_of_birth", str(exc)))
        if issues or birth is None:
            plan.issues.extend(sorted(issues, key=_column_order))
            continue
        relationship = parsed.pop("relationship")
        document = parsed.pop("document_number", None)
        rows.append(
            Row(
                line=line,
                registration_id=registration_id,
                household_id=household_id,
                relationship=relationship,
                site_name=v.clean_text(v.unguard(raw.get("site", ""))),
                values=parsed,
                birth=birth,
                document_number=document,
            )
        )
    return rows, plan


# --- planning against the registry ----------------------------------------------------


def _sites(rows: list[Row], scope: Scope, plan: ImportPlan) -> dict[int, Site]:
    sites = list(Site.objects.all())
    by_name = {s.name.casefold(): s for s in sites}
    result: dict[int, Site] = {}
    for row in rows:
        if not row.site_name:
            if len(sites) != 1:
                plan.issues.append(Issue(
                    row.line, "site",
                    "is empty but the registry has "
                    + (f"{len(sites)} sites; name one" if sites else "no site yet"),
                ))
                continue
            site = sites[0]
        else:
            found = by_name.get(row.site_name.casefold())
            if found is None:
                plan.issues.append(Issue(row.line, "site", f"'{row.site_name}' is not a site"))
                continue
            site = found
        if scope.site_ids is not None and str(site.pk) not in scope.site_ids:
            plan.issues.append(Issue(row.line, "site", f"'{site.name}' is outside your scope"))
            continue
        result[row.line] = site
    return result


def _existing_persons(rows: list[Row]) -> tuple[dict[str, Person], dict[str, Person]]:
    """Persons by registration id, and survivors by the ids merged into them."""
    ids = [r.registration_id for r in rows]
    by_id: dict[str, Person] = {}
    base = Person.objects.select_related("site")
    if connection.in_atomic_block:
        # rows read to be updated stay locked until the import commits (PostgreSQL)
        base = base.select_for_update(of=("self",))
    for chunk in _chunks(ids):
        for person in base.filter(registration_id__in=chunk):
            by_id[person.registration_id] = person
    merged: dict[str, Person] = {}
    for person in Person.objects.exclude(merged_registration_ids=[]).select_related("site"):
        for old in person.merged_registration_ids:
            merged[str(old)] = person
    return by_id, merged


def _desired_search_name(person: Person) -> str:
    from resettle.registry.naming import search_name_for

    return search_name_for(person.given_name, person.family_name,
                           person.given_name_original, person.family_name_original)


def _apply_row_to_person(plan: PersonPlan, site: Site) -> None:
    """Set the row's values on ``plan.person`` and record what differs."""
    person, row = plan.person, plan.row
    desired: dict[str, Any] = {}
    for field_name, column in _SIMPLE_FIELDS:
        if column in row.values:
            desired[field_name] = row.values[column]
    desired["date_of_birth"] = row.birth.date
    desired["dob_precision"] = row.birth.precision
    same_date = (
        not plan.is_new
        and person.date_of_birth == row.birth.date
        and person.dob_precision == row.birth.precision
    )
    # a full date may be an estimate the file cannot express: keep the flag when unchanged
    desired["dob_estimated"] = person.dob_estimated if same_date else row.birth.estimated
    desired["site_id"] = site.pk
    for name, new in desired.items():
        old = getattr(person, name)
        if plan.is_new:
            setattr(person, name, new)
        elif old != new:
            plan.changes[name] = (old, new)
            setattr(person, name, new)
    search_name = _desired_search_name(person)
    if person.search_name != search_name:
        person.search_name = search_name
        if not plan.is_new:
            plan.changes.setdefault("search_name", ("", ""))


def plan_import(rows: list[Row], plan: ImportPlan, *, scope: Scope) -> ImportPlan:
    """Match rows to the registry (by registration id, merged ids included) and list effects."""
    from django.utils import timezone

    sites = _sites(rows, scope, plan)
    by_id, merged = _existing_persons(rows)
    now = timezone.now()
    plans: list[PersonPlan] = []
    matched_by: dict[uuid.UUID, int] = {}
    for row in rows:
        person = by_id.get(row.registration_id) or merged.get(row.registration_id)
        if person is not None:
            if person.pk in matched_by:
                plan.issues.append(Issue(
                    row.line, "registration_id",
                    f"'{row.registration_id}' is the same person as line {matched_by[person.pk]}"
                    f" (merged into '{person.registration_id}')",
                ))
                continue
            matched_by[person.pk] = row.line
            if scope.site_ids is not None and str(person.site_id) not in scope.site_ids:
                plan.issues.append(Issue(
                    row.line, "registration_id",
                    f"'{row.registration_id}' belongs to a record you may not change",
                ))
                continue
            person_plan = PersonPlan(row=row, person=person, is_new=False)
        else:
            person_plan = PersonPlan(
                row=row,
                person=Person(id=uuid.uuid4(), registration_id=row.registration_id,
                              created_at=now, updated_at=now),
                is_new=True,
            )
        if person_plan.is_new and not row.household_id:
            plan.issues.append(Issue(row.line, "household_id",
                                     "is required for a person not yet registered"))
            continue
        site = sites.get(row.line)
        if site is None:
            continue
        _apply_row_to_person(person_plan, site)
        plans.append(person_plan)
    if plan.issues:
        # household checks on a partial file would report consequences, not causes
        return plan
    plan.persons = plans
    _plan_households(plan, sites, now)
    if not plan.issues:
        _plan_documents(plan)
    return plan


def _plan_households(plan: ImportPlan, sites: dict[int, Site], now: Any) -> None:
    from resettle.registry.models import Relationship

    persons = plan.persons
    existing_ids = [p.person.pk for p in persons if not p.is_new]
    current: dict[uuid.UUID, Membership] = {}
    for chunk in _chunks(existing_ids):
        for pk, person_id, household_id, relationship in Membership.objects.filter(
            active=True, person_id__in=chunk
        ).values_list("pk", "person_id", "household_id", "relationship"):
            current[person_id] = Membership(id=pk, person_id=person_id,
                                            household_id=household_id,
                                            relationship=relationship)
    references = sorted({p.row.household_id for p in persons if p.row.household_id})
    households: dict[str, Household] = {}
    for chunk in _chunks(references):
        for h in Household.objects.filter(reference__in=chunk):
            households[h.reference] = h
    # every household the import touches, in its final state: person id -> relationship
    final: dict[uuid.UUID, dict[uuid.UUID, str]] = defaultdict(dict)
    lines_of: dict[uuid.UUID, list[int]] = defaultdict(list)
    names: dict[uuid.UUID, str] = {}
    touched_existing: set[uuid.UUID] = {
        households[r].pk for r in references if r in households
    }
    for m in current.values():
        touched_existing.add(m.household_id)
    for chunk in _chunks(sorted(touched_existing)):
        for person_id, household_id, relationship, reference in Membership.objects.filter(
            active=True, household_id__in=chunk
        ).values_list("person_id", "household_id", "relationship", "household__reference"):
            final[household_id][person_id] = relationship
            names[household_id] = reference
    household_site: dict[str, tuple[Site, int]] = {}
    for p in persons:
        row = p.row
        if not row.household_id:
            continue
        site = sites[row.line]
        first = household_site.setdefault(row.household_id, (site, row.line))
        if first[0].pk != site.pk:
            plan.issues.append(Issue(
                row.line, "site",
                f"'{site.name}' differs from line {first[1]} ('{first[0].name}') "
                f"of the same household_id '{row.household_id}'",
            ))
            continue
        household = households.get(row.household_id)
        if household is None:
            household = plan.new_households.get(row.household_id)
            if household is None:
                household = Household(
                    id=uuid.uuid4(), reference=row.household_id, site=site,
                    stage="registered", stage_changed_at=now, created_at=now, updated_at=now,
                )
                plan.new_households[row.household_id] = household
                names[household.pk] = household.reference
        elif household.site_id != site.pk:
            plan.issues.append(Issue(
                row.line, "site",
                f"'{site.name}' differs from the site of household_id '{row.household_id}'",
            ))
            continue
        lines_of[household.pk].append(row.line)
        membership = current.get(p.person.pk)
        if (
            membership is not None
            and membership.household_id == household.pk
            and membership.relationship == row.relationship
        ):
            continue
        if membership is not None:
            membership.active = False
            membership.left_reason = (
                "relationship changed by import" if membership.household_id == household.pk
                else "moved to another household by import"
            )
            plan.close_memberships.append(membership)
            final[membership.household_id].pop(p.person.pk, None)
            lines_of[membership.household_id].append(row.line)
            plan.touched_households.add(membership.household_id)
        final[household.pk][p.person.pk] = row.relationship
        if household.reference in households:
            plan.touched_households.add(household.pk)
        plan.open_memberships.append(
            Membership(id=uuid.uuid4(), household_id=household.pk, person_id=p.person.pk,
                       relationship=row.relationship, created_at=now, updated_at=now)
        )
        if not p.is_new:
            p.membership_changed = True
    if plan.issues:
        return
    for household_id, members in final.items():
        lines = sorted(set(lines_of.get(household_id, [])))
        if not lines:
            continue
        principals = [pid for pid, rel in members.items() if rel == Relationship.PRINCIPAL]
        if len(principals) == 1 or not members:
            continue
        listed = ", ".join(str(n) for n in lines[:10]) + (" ..." if len(lines) > 10 else "")
        problem = "no principal applicant" if not principals else (
            f"{len(principals)} principal applicants"
        )
        plan.issues.append(Issue(
            lines[0], "relationship",
            f"household_id '{names.get(household_id, '')}' would have {problem} "
            f"(lines {listed})",
        ))


def _plan_documents(plan: ImportPlan) -> None:
    from resettle.casework.models import Document

    with_numbers = [p for p in plan.persons if p.row.document_number]
    existing: dict[uuid.UUID, Any] = {}
    ids = [p.person.pk for p in with_numbers if not p.is_new]
    for chunk in _chunks(ids):
        for doc in Document.objects.filter(
            person_id__in=chunk, kind="travel_document", revoked=False
        ).order_by("person_id", _LATEST_FIRST, "-created_at"):
            existing.setdefault(doc.person_id, doc)
    for p in with_numbers:
        found = existing.get(p.person.pk)
        if found is not None and found.number == p.row.document_number:
            continue
        p.document_changed = True
        plan.documents.append((p, found))


def current_document_numbers(person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The number of each person's current travel document (for export and dedupe)."""
    from resettle.casework.models import Document

    result: dict[uuid.UUID, str] = {}
    for chunk in _chunks(list(person_ids)):
        for doc in Document.objects.filter(
            person_id__in=chunk, kind="travel_document", revoked=False
        ).order_by("person_id", _LATEST_FIRST, "-created_at").only("person_id", "number"):
            result.setdefault(doc.person_id, doc.number)
    return result
