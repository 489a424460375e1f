"""Records per object kind for the authorization matrix, and signing in with 2FA in tests.

The matrix test (resettle/accounts/tests/test_matrix.py) needs, for every route that names
a record, one record the user may reach and one that exists but lies outside the user's
scope. Each kind registers an :class:`ObjectKind` here. The ``in_scope``/``out_of_scope``
functions state the *expected* reach from the user's role assignments (an oracle written
from the policy, deliberately not by calling the selectors under test).

To add a kind (e.g. "departure"): write two functions ``(camp, user) -> record | None``
and register them::

    register(ObjectKind("departure", in_scope=_departure_in, out_of_scope=_departure_out))

Return None from ``in_scope`` when no record of the kind can be in the user's scope, and
from ``out_of_scope`` when the user's scope covers every record of the kind.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from resettle.accounts.models import RoleAssignment
from resettle.accounts.policy import Role
from resettle.testing.fixtures import SmallCamp

Finder = Callable[[SmallCamp, Any], Any]

#: the id used for "no such record" (well-formed, never created)
MISSING_ID = uuid.UUID("00000000-0000-4000-8000-00000000dead")


@dataclass(frozen=True)
class ObjectKind:
    name: str
    in_scope: Finder
    out_of_scope: Finder
    #: False for kinds the URL does not name by id (the record is the user's own);
    #: then ``clear`` removes it, to check the route's "missing" answer
    url_id: bool = True
    clear: Callable[[SmallCamp, Any], None] | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("ObjectKind.name must not be empty")
        if not self.url_id and self.clear is None:
            raise ValueError(f"ObjectKind {self.name!r}: kinds without a URL id need clear()")


KINDS: dict[str, ObjectKind] = {}


def register(kind: ObjectKind) -> ObjectKind:
    if kind.name in KINDS:
        raise ValueError(f"object kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    return kind


def kind(name: str) -> ObjectKind:
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(
            f"no factory for object kind {name!r}: register one in resettle/testing/objects.py"
        ) from None


# --- the reach a user should have, read from the role assignments ------------------------


@dataclass(frozen=True)
class Reach:
    all_sites: bool
    site_ids: frozenset[Any]
    destination_ids: frozenset[Any]


def reach_of(user: Any) -> Reach:
    all_sites = bool(getattr(user, "is_superuser", False))
    sites: set[Any] = set()
    destinations: set[Any] = set()
    for a in RoleAssignment.objects.filter(user=user):
        if a.role == Role.LIAISON:
            destinations.add(a.destination_id)
        elif a.site_id is None:
            all_sites = True
        else:
            sites.add(a.site_id)
    return Reach(all_sites, frozenset(sites), frozenset(destinations))


def household_reachable(household: Any, reach: Reach) -> bool:
    from resettle.casework.models import Submission, SubmissionStatus

    if reach.all_sites or household.site_id in reach.site_ids:
        return True
    return Submission.objects.filter(
        household=household, destination_id__in=reach.destination_ids
    ).exclude(status=SubmissionStatus.WITHDRAWN).exists()


def person_reachable(person: Any, reach: Reach) -> bool:
    from resettle.registry.models import Membership

    if reach.all_sites or person.site_id in reach.site_ids:
        return True
    return any(
        household_reachable(m.household, reach)
        for m in Membership.objects.filter(person=person, active=True).select_related(
            "household")
    )


def _households(camp: SmallCamp) -> list[Any]:
    return [camp.household_de, camp.household_no, camp.household_new]


def _first(items: list[Any], test: Callable[[Any], bool]) -> Any:
    return next((item for item in items if test(item)), None)


def _household_in(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_households(camp), lambda h: household_reachable(h, reach))


def _household_out(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_households(camp), lambda h: not household_reachable(h, reach))


def _persons(camp: SmallCamp) -> list[Any]:
    from resettle.registry.models import Person

    return list(Person.objects.order_by("registration_id"))


def _person_in(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_persons(camp), lambda p: person_reachable(p, reach))


def _person_out(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_persons(camp), lambda p: not person_reachable(p, reach))


register(ObjectKind("household", in_scope=_household_in, out_of_scope=_household_out))
register(ObjectKind("person", in_scope=_person_in, out_of_scope=_person_out))


# --- incidents (operation-wide roles only, narrowed by site; never liaisons) ------------


def _incidents(camp: SmallCamp) -> list[Any]:
    from datetime import UTC, datetime

    from resettle.incidents.models import Incident, IncidentType

    found = []
    for site in (camp.site, camp.other_site):
        incident = Incident.objects.filter(site=site, place="matrix").first()
        if incident is None:
            incident = Incident.objects.create(
                site=site, place="matrix", incident_type=IncidentType.values[0],
                occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
        found.append(incident)
    return found


def incident_reachable(incident: Any, reach: Reach) -> bool:
    return reach.all_sites or incident.site_id in reach.site_ids


def _incident_in(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_incidents(camp), lambda i: incident_reachable(i, reach))


def _incident_out(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_incidents(camp), lambda i: not incident_reachable(i, reach))


register(ObjectKind("incident", in_scope=_incident_in, out_of_scope=_incident_out))


# --- principal reviews follow their household -------------------------------------------


def _reviews(camp: SmallCamp) -> list[Any]:
    from resettle.incidents.models import PrincipalReview

    found = []
    for household in _households(camp):
        review = PrincipalReview.objects.filter(household=household).first()
        if review is None:
            members = [m.person for m in household.memberships.filter(active=True)
                       .select_related("person").order_by("person__registration_id")]
            review = PrincipalReview.objects.create(
                household=household, deceased_principal=members[0],
                proposed_principal=members[-1])
        found.append(review)
    return found


def _review_in(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_reviews(camp), lambda r: household_reachable(r.household, reach))


def _review_out(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_reviews(camp), lambda r: not household_reachable(r.household, reach))


register(ObjectKind("principal_review", in_scope=_review_in, out_of_scope=_review_out))


# --- departures belong to their origin site (operation-wide roles; never liaisons) -------


def _departures(camp: SmallCamp) -> list[Any]:
    from datetime import date

    from resettle.departures.models import Departure

    found = []
    for n, site in enumerate((camp.site, camp.other_site)):
        departure = Departure.objects.filter(code=f"MATRIX-{n}").first()
        if departure is None:
            departure = Departure.objects.create(
                code=f"MATRIX-{n}", date=date(2026, 6, 1), origin=site, destination=camp.de,
                seats=10)
        found.append(departure)
    return found


def departure_reachable(departure: Any, reach: Reach) -> bool:
    return reach.all_sites or departure.origin_id in reach.site_ids


def _departure_in(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_departures(camp), lambda d: departure_reachable(d, reach))


def _departure_out(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_departures(camp), lambda d: not departure_reachable(d, reach))


register(ObjectKind("departure", in_scope=_departure_in, out_of_scope=_departure_out))


# --- the user's own pending authenticator (enrolment QR code) ------------------------------


def _pending_authenticator(camp: SmallCamp, user: Any) -> Any:
    import secrets

    from resettle.accounts.models import SealedTOTPDevice

    device = SealedTOTPDevice(user=user, name="pending", confirmed=False)
    device.set_key(secrets.token_bytes(20))
    device.save()
    return device


def _clear_pending(camp: SmallCamp, user: Any) -> None:
    from resettle.accounts.models import SealedTOTPDevice

    SealedTOTPDevice.objects.filter(user=user, confirmed=False).delete()


register(ObjectKind("pending_authenticator", in_scope=_pending_authenticator,
                    out_of_scope=lambda camp, user: None, url_id=False, clear=_clear_pending))


# --- signing in with the second factor --------------------------------------------------


def confirmed_authenticator(user: Any) -> Any:
    """The user's confirmed authenticator, created (with a random secret) if missing."""
    import secrets

    from resettle.accounts.models import SealedTOTPDevice

    device = SealedTOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = SealedTOTPDevice(user=user, name="test", confirmed=True)
        device.set_key(secrets.token_bytes(20))
        device.save()
    return device


def current_code(device: Any, offset_steps: int = 0) -> str:
    """The code the user's authenticator app shows now (or ``offset_steps`` later)."""
    import time

    from django_otp.oath import TOTP

    generator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    generator.time = time.time() + offset_steps * device.step
    return f"{generator.token():0{device.digits}d}"


def login_verified(client: Any, user: Any) -> Any:
    """force_login plus a passed second factor, as after a real sign-in with TOTP."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = confirmed_authenticator(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# --- personal API tokens: a user reaches only their own ---------------------------------


def _token_in(camp: SmallCamp, user: Any) -> Any:
    from resettle.api.tokens import create_token

    return create_token(actor=user, user=user, name="matrix").token


def _token_out(camp: SmallCamp, user: Any) -> Any:
    from resettle.api.tokens import create_token

    other = camp.users["auditor"] if user != camp.users["auditor"] else camp.users["manager"]
    return create_token(actor=other, user=other, name="matrix").token


register(ObjectKind("api_token", in_scope=_token_in, out_of_scope=_token_out))


# --- allocation runs: operation-wide users without a site limit reach every run; ----------
# --- users narrowed to sites reach site-limited runs whose households are all theirs ------


def _allocation_runs(camp: SmallCamp) -> list[Any]:
    from resettle.allocation.models import AllocationRun, Placement, RunStatus

    found = []
    for all_sites, household in ((True, camp.household_de), (False, camp.household_new)):
        run = AllocationRun.objects.filter(all_sites=all_sites, seed=424242).first()
        if run is None:
            ref = household.reference
            run = AllocationRun.objects.create(
                created_by=camp.users["resettlement"], status=RunStatus.DONE, seed=424242,
                all_sites=all_sites,
                problem={"destinations": [{"id": "DE", "capacity": {"persons": 100}}],
                         "cases": [{"id": ref, "size": 1, "scores": {"DE": 1.0}}],
                         "together": []},
                result={"status": "optimal", "assignments": {ref: "DE"}, "unassigned": {},
                        "objective": {"persons_placed": 1, "score": 1.0},
                        "bound": {"score": 1.0, "persons": 1}, "gap": 0.0,
                        "solve_seconds": 0.01, "method": "matrix"},
                context={"households": {ref: {"id": str(household.pk), "reference": ref,
                                              "size": 1}},
                         "destinations": {"DE": {"id": str(camp.de.pk), "name": "Germany",
                                                 "places": 100, "room": 100}}},
            )
            Placement.objects.create(run=run, household=household, destination=camp.de,
                                     score=1.0)
        found.append(run)
    return found


def allocation_run_reachable(run: Any, reach: Reach) -> bool:
    if reach.all_sites:
        return True
    if run.all_sites or not reach.site_ids:
        return False
    return all(p.household.site_id in reach.site_ids
               for p in run.placements.select_related("household"))


def _allocation_run_in(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_allocation_runs(camp), lambda r: allocation_run_reachable(r, reach))


def _allocation_run_out(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_allocation_runs(camp), lambda r: not allocation_run_reachable(r, reach))


register(ObjectKind("allocation_run", in_scope=_allocation_run_in,
                    out_of_scope=_allocation_run_out))


# --- forecast runs cover the sites of whoever started them: all sites, or a site list ------


def _forecast_runs(camp: SmallCamp) -> list[Any]:
    from datetime import date

    from resettle.forecast.models import ALL_SITES, ForecastRun, RunStatus

    found = []
    for key in (ALL_SITES, str(camp.other_site.pk)):
        run = ForecastRun.objects.filter(scope_key=key, seed=424242).first()
        if run is None:
            run = ForecastRun.objects.create(
                scope_key=key, seed=424242, today=date(2026, 3, 1), replications=10,
                status=RunStatus.FAILED, progress="matrix")
        found.append(run)
    return found


def forecast_run_reachable(run: Any, reach: Reach) -> bool:
    key = "all" if reach.all_sites else ",".join(sorted(str(s) for s in reach.site_ids))
    return bool(key) and str(run.scope_key) == key


def _forecast_run_in(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_forecast_runs(camp), lambda r: forecast_run_reachable(r, reach))


def _forecast_run_out(camp: SmallCamp, user: Any) -> Any:
    reach = reach_of(user)
    return _first(_forecast_runs(camp), lambda r: not forecast_run_reachable(r, reach))


register(ObjectKind("forecast_run", in_scope=_forecast_run_in, out_of_scope=_forecast_run_out))


# --- records a session reaches only after a step taken in that same session --------------
#: kind name -> ``(client, user, record) -> None`` that takes that step for the client's
#: session (the matrix calls it after ``in_scope``)
SESSION_GRANTS: dict[str, Callable[[Any, Any, Any], None]] = {}


def grant_enrolment(client: Any, user: Any, device: Any) -> None:
    """As if this session had entered a valid enrolment code and been shown ``device``."""
    from datetime import timedelta

    from django.utils import timezone

    from resettle.accounts.models import EnrolmentCode
    from resettle.accounts.views import ENROL_GRANT

    now = timezone.now()
    code = EnrolmentCode.objects.create(user=user, digest="matrix", issued_at=now,
                                        expires_at=now + timedelta(hours=1))
    session = client.session
    session[ENROL_GRANT] = {"user": str(user.pk), "code": code.pk, "device": device.pk}
    session.save()


SESSION_GRANTS["pending_authenticator"] = grant_enrolment
