"""Shared pytest fixtures: a small camp and one named user per role (healthchecks style)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from resettle.accounts.models import RoleAssignment
from resettle.accounts.policy import Role
from resettle.casework.models import Submission, SubmissionStatus
from resettle.destinations.models import Destination, Pledge
from resettle.registry.models import Household, Membership, Person, Site
from resettle.registry.naming import search_name_for

PASSWORD = "correct-horse-battery-staple"


@dataclass
class SmallCamp:
    site: Site
    other_site: Site
    de: Destination
    no: Destination
    household_de: Household  # submitted to DE
    household_no: Household  # submitted to NO
    household_new: Household  # registered, at the other site
    users: dict[str, Any]


def make_person(site: Site, registration_id: str, given: str, family: str, **extra: Any) -> Person:
    values: dict[str, Any] = {
        "sex": "M",
        "date_of_birth": date(1970, 5, 17),
        "nationality": "IR",
        "given_name_original": extra.pop("given_original", ""),
        "family_name_original": extra.pop("family_original", ""),
    }
    values.update(extra)
    person = Person(site=site, registration_id=registration_id, given_name=given,
                    family_name=family, **values)
    person.search_name = search_name_for(given, family, person.given_name_original,
                                         person.family_name_original)
    person.save()
    return person


def make_household(site: Site, reference: str, members: list[tuple[Person, str]],
                   stage: str = "registered", destination: Destination | None = None) -> Household:
    household = Household.objects.create(
        site=site, reference=reference, stage=stage, destination=destination,
        stage_changed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for person, relationship in members:
        Membership.objects.create(household=household, person=person, relationship=relationship)
    return household


def make_user(username: str, role: Role | None, **scope: Any) -> Any:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if role is not None:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


@pytest.fixture
def camp(db: Any) -> SmallCamp:
    return build_camp()


def build_camp() -> SmallCamp:
    """The small camp, for fixtures of wider scope (e.g. the authorization matrix)."""
    site = Site.objects.create(name="Camp A", country="IQ")
    other = Site.objects.create(name="Camp B", country="IQ")
    de = Destination.objects.create(code="DE", name="Germany", languages=["de"])
    no = Destination.objects.create(code="NO", name="Norway", languages=["no"])
    for dest in (de, no):
        Pledge.objects.create(destination=dest, places=100, period_start=date(2026, 1, 1))
    a1 = make_person(site, "R-0001", "Hossein", "Karimi", given_original="حسین",
                     family_original="کریمی")
    a2 = make_person(site, "R-0002", "Maryam", "Karimi", sex="F")
    b1 = make_person(site, "R-0003", "Reza", "Ahmadi")
    c1 = make_person(other, "R-0004", "Ali", "Rahimi")
    h_de = make_household(site, "H00001", [(a1, "principal"), (a2, "spouse")], "submitted", de)
    h_no = make_household(site, "H00002", [(b1, "principal")], "submitted", no)
    h_new = make_household(other, "H00003", [(c1, "principal")])
    now = datetime(2026, 2, 1, tzinfo=UTC)
    Submission.objects.create(household=h_de, destination=de, submitted_at=now,
                              status=SubmissionStatus.PENDING)
    Submission.objects.create(household=h_no, destination=no, submitted_at=now,
                              status=SubmissionStatus.PENDING)
    users = {role.value: make_user(role.value, role) for role in Role if role != Role.LIAISON}
    users["liaison-de"] = make_user("liaison-de", Role.LIAISON, destination=de)
    users["liaison-no"] = make_user("liaison-no", Role.LIAISON, destination=no)
    users["caseworker-b"] = make_user("caseworker-b", Role.CASEWORKER, site=other)
    users["nobody"] = make_user("nobody", None)
    return SmallCamp(site, other, de, no, h_de, h_no, h_new, users)


@pytest.fixture(autouse=True)
def _test_transport_and_hashing(settings: Any) -> None:
    """Tests talk plain HTTP to the application (scripts/test sets RESETTLE_HTTPS=0)."""
    settings.SECURE_SSL_REDIRECT = False
    # production storage needs collectstatic's manifest; tests render from the finders
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # client.force_login() skips the second factor; tests of the 2FA gate switch it back
    # on (resettle/accounts/tests) and verify sessions with testing.objects.login_verified
    settings.RESETTLE_REQUIRE_2FA = False
    # Argon2 is deliberately slow; tests that check hashing ask for it explicitly
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 *settings.PASSWORD_HASHERS]
