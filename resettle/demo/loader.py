"""Write the synthetic camp from ``resettle.core.demo_camp`` to the database, once.

One transaction, one audit event: a half-loaded demo never exists, and loading twice
changes nothing (the presence of the demo site is the marker).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from resettle.accounts.models import RoleAssignment
from resettle.accounts.policy import Role
from resettle.audit.services import record
from resettle.casework.models import (
    Document,
    Hold,
    HoldStatus,
    MemberDecision,
    StageChange,
    Submission,
    SubmissionStatus,
)
from resettle.core import demo_camp
from resettle.core.stages import Stage
from resettle.departures.models import Departure, ManifestEntry, ManifestStatus
from resettle.destinations.models import Destination, Pledge
from resettle.incidents.models import Casualty, Exposure, Incident
from resettle.incidents.risk import refresh_household_risk
from resettle.registry.models import Household, Membership, Person, Site
from resettle.registry.naming import search_name_for

DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.ADMIN),
    ("registrar", Role.REGISTRAR),
    ("caseworker", Role.CASEWORKER),
    ("resettlement", Role.RESETTLEMENT),
    ("movement", Role.MOVEMENT),
    ("security", Role.SECURITY),
    ("manager", Role.MANAGER),
    ("auditor", Role.AUDITOR),
)
CREDENTIALS_FILE = "demo-credentials.txt"


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    credentials: list[tuple[str, str, str]]  # username, password, role


def _at(day: object) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)  # type: ignore[arg-type]


def _read_credentials(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and not line.startswith("#"):
                found[parts[0]] = parts[1]
    return found


def _write_credentials(path: Path, rows: list[tuple[str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# resettle demo users: user password role (demo data only)"]
    lines += [f"{u} {p} {r}" for u, p, r in rows]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def load_demo(*, seed: int, data_dir: Path) -> DemoResult:
    """Load the demo camp unless it is already there; ensure the demo users exist."""
    credentials_path = data_dir / CREDENTIALS_FILE
    known = _read_credentials(credentials_path)
    loaded = False
    with transaction.atomic():
        if not Site.objects.filter(name=demo_camp.SITE_NAME).exists():
            camp = demo_camp.generate(seed)
            _write_camp(camp)
            loaded = True
        rows = _ensure_users(known)
        if loaded:
            record(
                actor=None,
                action="demo.load",
                object_type="demo",
                detail={"seed": seed, "households": Household.objects.count()},
            )
    _write_credentials(credentials_path, rows)
    return DemoResult(loaded=loaded, credentials=rows)


def _ensure_users(known: dict[str, str]) -> list[tuple[str, str, str]]:
    user_model = get_user_model()
    wanted: list[tuple[str, Role, Destination | None]] = [(u, r, None) for u, r in DEMO_USERS]
    for liaison_destination in Destination.objects.order_by("code"):
        wanted.append(
            (f"liaison-{liaison_destination.code.lower()}", Role.LIAISON, liaison_destination)
        )
    rows: list[tuple[str, str, str]] = []
    for username, role, destination in wanted:
        user = user_model.objects.filter(username=username).first()
        password = known.get(username)
        if user is None or password is None or not user.check_password(password):
            password = secrets.token_urlsafe(9)
            if user is None:
                user = user_model(username=username)
            user.set_password(password)
            user.is_staff = role == Role.ADMIN
            user.is_superuser = False
            user.save()
        RoleAssignment.objects.get_or_create(user=user, role=role, destination=destination)
        label = role.value if destination is None else f"liaison for {destination.code}"
        rows.append((username, password, label))
    return rows


def _write_camp(camp: demo_camp.DemoCamp) -> None:
    site = Site.objects.create(name=camp.site_name, country="IQ")
    destinations: dict[str, Destination] = {}
    for code, name, places, languages in demo_camp.DESTINATIONS:
        destinations[code] = Destination.objects.create(
            code=code, name=name, languages=list(languages)
        )
        Pledge.objects.create(
            destination=destinations[code],
            places=places,
            period_start=camp.today.replace(year=camp.today.year - 2),
            max_household_size=None if code in ("AL", "DE", "ES") else 8,
            large_family_places=12 if code in ("DE", "ES", "AL", "NL") else 3,
            medical_places=max(5, places // 15),
            single_parent_support=code in ("NO", "FI", "DK", "NL", "GB"),
            # reception services work with interpreters for the camp's languages
            languages=sorted({*languages, "fa", "en"}),
        )
    persons: list[Person] = []
    households: list[Household] = []
    memberships: list[Membership] = []
    changes: list[StageChange] = []
    submissions: list[Submission] = []
    decisions: list[MemberDecision] = []
    for h in camp.households:
        household = Household(
            id=h.id, reference=h.reference, site=site, stage=h.stage.value,
            stage_changed_at=_at(h.stage_since),
            destination=destinations[h.destination] if h.destination else None,
            preferences=h.preferences, closure_reason=h.closure_reason,
        )
        households.append(household)
        for m in h.members:
            p = m.person
            persons.append(
                Person(
                    id=p.id, registration_id=p.registration_id, given_name=p.given_name,
                    family_name=p.family_name, given_name_original=p.given_name_original,
                    family_name_original=p.family_name_original,
                    search_name=search_name_for(p.given_name, p.family_name,
                                                p.given_name_original, p.family_name_original),
                    sex=p.sex, date_of_birth=p.date_of_birth, dob_precision=p.dob_precision,
                    dob_estimated=p.dob_estimated, nationality=p.nationality,
                    languages=p.languages, education=p.education, occupation=p.occupation,
                    skills=p.skills, specific_needs=p.specific_needs, ties=p.ties,
                    phone=p.phone, prominence=p.prominence, site=site, status=p.status,
                    arrived_in_camp=p.arrived_in_camp, left_camp=p.left_camp,
                )
            )
            dead = p.status == "deceased" and h.stage != Stage.DECEASED
            memberships.append(
                Membership(
                    household=household, person_id=p.id, relationship=m.relationship,
                    active=not dead, left_reason="deceased" if dead else "",
                )
            )
        previous = ""
        for stage, day in h.history:
            changes.append(
                StageChange(household=household, from_stage=previous, to_stage=stage.value,
                            at=_at(day))
            )
            previous = stage.value
        stages_passed = {s for s, _d in h.history}
        if Stage.SUBMITTED in stages_passed and h.destination:
            submitted_day = next(d for s, d in h.history if s == Stage.SUBMITTED)
            decided_day = next((d for s, d in h.history if s == Stage.DECIDED), None)
            submission = Submission(
                household=household, destination=destinations[h.destination],
                submitted_at=_at(submitted_day),
                status=SubmissionStatus.DECIDED if decided_day else SubmissionStatus.PENDING,
                decision=h.decision if decided_day else "",
                decided_at=_at(decided_day) if decided_day else None,
            )
            submissions.append(submission)
            if decided_day:
                decisions += [
                    MemberDecision(submission=submission, person_id=m.person.id, accepted=True)
                    for m in h.members
                ]
    Household.objects.bulk_create(households, batch_size=500)
    Person.objects.bulk_create(persons, batch_size=500)
    Membership.objects.bulk_create(memberships, batch_size=500)
    StageChange.objects.bulk_create(changes, batch_size=500)
    Submission.objects.bulk_create(submissions, batch_size=500)
    MemberDecision.objects.bulk_create(decisions, batch_size=500)
    Document.objects.bulk_create(
        [
            Document(person_id=d.person_id, kind=d.kind.value, number=d.number,
                     valid_from=d.valid_from, valid_until=d.valid_until)
            for d in camp.documents
        ],
        batch_size=500,
    )
    Hold.objects.bulk_create(
        [
            Hold(person_id=x.person_id, hold_type=x.hold_type.value, reason=x.reason,
                 status=HoldStatus.ACTIVE, authority=x.authority, reference=x.reference,
                 notes=x.notes, start_date=x.start_date, review_date=x.review_date)
            for x in camp.holds
        ],
        batch_size=500,
    )
    _write_departures(camp, site, destinations)
    _write_incidents(camp, site)
    refresh_household_risk(Household.objects.all(), today=camp.today)


def _write_departures(
    camp: demo_camp.DemoCamp, site: Site, destinations: dict[str, Destination]
) -> None:
    members_of = {h.id: h.members for h in camp.households}
    entries: list[ManifestEntry] = []
    for d in camp.departures:
        departure = Departure.objects.create(
            id=d.id, code=d.code, date=d.day, origin=site, destination=destinations[d.destination],
            carrier=d.carrier, flight_number=d.flight_number, seats=d.seats,
            special_places=d.special, status=d.status,
        )
        status = {
            "arrived": ManifestStatus.ARRIVED,
            "departed": ManifestStatus.BOARDED,
        }.get(d.status, ManifestStatus.PLANNED)
        for household_id in d.households:
            for m in members_of[household_id]:
                if m.person.status == "deceased":
                    continue
                entries.append(
                    ManifestEntry(
                        departure=departure, household_id=household_id, person_id=m.person.id,
                        status=status,
                        checked_in_at=_at(d.day) if status != ManifestStatus.PLANNED else None,
                    )
                )
    ManifestEntry.objects.bulk_create(entries, batch_size=500)


def _write_incidents(camp: demo_camp.DemoCamp, site: Site) -> None:
    all_persons = camp.persons
    for inc in camp.incidents:
        incident = Incident.objects.create(
            id=inc.id, site=site, incident_type=inc.incident_type, occurred_at=inc.occurred_at,
            place=inc.place, description=inc.description, source=inc.source,
            severity=inc.severity, damage=inc.damage,
        )
        Casualty.objects.bulk_create(
            [
                Casualty(incident=incident, person_id=c.person_id, outcome=c.outcome,
                         injury_severity=c.severity)
                for c in inc.casualties
            ]
        )
        when = inc.occurred_at.date()
        exposed = [
            p.id for p in all_persons
            if p.arrived_in_camp <= when and (p.left_camp is None or p.left_camp >= when)
        ]
        Exposure.objects.bulk_create(
            [Exposure(incident=incident, person_id=pid) for pid in exposed], batch_size=1000
        )
