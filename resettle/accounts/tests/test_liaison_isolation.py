"""A liaison for one destination cannot learn, by any route, that a household submitted
elsewhere exists.

Differential check: take a snapshot of everything the Germany liaison can see (every page
without a record id, searches for the other household's names and ids, the details of its
own records), add a household submitted to Norway, and take the snapshot again. Any
difference is a leak: a count, a list row, a search hit.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from resettle.accounts.tests.test_matrix import OURS
from resettle.casework.models import Hold, Submission, SubmissionStatus
from resettle.testing.fixtures import SmallCamp, make_household, make_person
from resettle.testing.objects import MISSING_ID

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
#: what a curious liaison would type to find the other household
PROBES = ["Bahrami", "Shirin Bahrami", "R-9001", "H09001", "Ahmadi", "R-0003", "H00002"]


def _pages(client: Client, camp: SmallCamp) -> dict[str, bytes]:
    seen: dict[str, bytes] = {}
    for route in OURS:
        rule = route.rule
        if rule is None or route.params or rule.public or "GET" not in rule.methods:
            continue
        url = reverse(route.name)
        for variant, headers in (("", {}), (" (htmx)", {"HX-Request": "true"})):
            answer = client.get(url, headers=headers)
            seen[route.name + variant] = bytes(answer.status_code) + CSRF.sub(b"", answer.content)
    for list_name in ("web:households", "web:persons"):
        for probe in PROBES:
            client.post(reverse(list_name), {"q": probe})
            answer = client.get(reverse(list_name))
            seen[f"{list_name} search {probe}"] = CSRF.sub(b"", answer.content)
        client.post(reverse(list_name), {"clear": "1"})
    for filter_query in ("?destination=NO", "?stage=submitted", "?registration_id=R-9001"):
        answer = client.get(reverse("web:households") + filter_query)
        seen[f"households{filter_query}"] = CSRF.sub(b"", answer.content)
    own = camp.household_de
    seen["own household"] = CSRF.sub(b"", client.get(
        reverse("web:household", args=[own.id])).content)
    for m in own.memberships.all():
        seen[f"own person {m.person_id}"] = CSRF.sub(b"", client.get(
            reverse("web:person", args=[m.person_id])).content)
    return seen


def _submit_elsewhere(camp: SmallCamp) -> tuple[Any, Any]:
    person = make_person(camp.site, "R-9001", "Shirin", "Bahrami", sex="F",
                         specific_needs=["SM-MI"])
    household = make_household(camp.site, "H09001", [(person, "principal")], "submitted",
                               camp.no)
    Submission.objects.create(household=household, destination=camp.no,
                              submitted_at=datetime(2026, 3, 1, tzinfo=UTC),
                              status=SubmissionStatus.PENDING)
    Hold.objects.create(person=person, hold_type="legal", reason="arrest_warrant",
                        start_date=date(2026, 1, 1))
    return household, person


def test_a_household_submitted_elsewhere_changes_nothing_the_liaison_sees(
    client: Client, camp: SmallCamp
) -> None:
    client.force_login(camp.users["liaison-de"])
    before = _pages(client, camp)
    household, person = _submit_elsewhere(camp)
    after = _pages(client, camp)
    changed = sorted(k for k in before if before[k] != after.get(k))
    assert not changed, f"the liaison can tell that H09001 exists from: {changed}"
    # and its records answer exactly like records that never existed
    for name, record in (("web:household", household), ("web:person", person)):
        got = client.get(reverse(name, args=[record.id]))
        missing = client.get(reverse(name, args=[MISSING_ID]))
        assert got.status_code == missing.status_code == 404
        assert got.content == missing.content


def test_the_probe_is_sensitive(client: Client, camp: SmallCamp) -> None:
    """The same snapshot does change for a user who may see the new household."""
    client.force_login(camp.users["caseworker"])
    before = _pages(client, camp)
    _submit_elsewhere(camp)
    after = _pages(client, camp)
    assert {k for k in before if before[k] != after.get(k)} >= {
        "web:home", "web:households", "web:households search Bahrami",
        "web:persons search R-9001"}


def test_a_household_withdrawn_from_the_destination_disappears(
    client: Client, camp: SmallCamp
) -> None:
    client.force_login(camp.users["liaison-de"])
    url = reverse("web:household", args=[camp.household_de.id])
    assert client.get(url).status_code == 200
    Submission.objects.filter(household=camp.household_de).update(
        status=SubmissionStatus.WITHDRAWN)
    assert client.get(url).status_code == 404


def test_liaison_detail_never_names_another_destination(client: Client, camp: SmallCamp) -> None:
    """A household submitted to both: the Germany liaison's page must not say Norway."""
    Submission.objects.create(household=camp.household_de, destination=camp.no,
                              submitted_at=datetime(2026, 2, 2, tzinfo=UTC),
                              status=SubmissionStatus.PENDING)
    camp.household_de.destination = camp.no
    camp.household_de.save(update_fields=["destination"])
    client.force_login(camp.users["liaison-de"])
    page = client.get(reverse("web:household", args=[camp.household_de.id]))
    assert page.status_code == 200
    assert b"Norway" not in page.content


def test_incidents_elsewhere_do_not_show_on_the_liaison_home_page(
    client: Client, camp: SmallCamp
) -> None:
    from resettle.incidents.models import Casualty, Incident

    client.force_login(camp.users["liaison-de"])
    before = CSRF.sub(b"", client.get(reverse("web:home")).content)
    _household, person = _submit_elsewhere(camp)
    incident = Incident.objects.create(site=camp.site, incident_type="missile_attack",
                                       occurred_at=datetime(2026, 3, 2, tzinfo=UTC))
    Casualty.objects.create(incident=incident, person=person, outcome="injured")
    after = CSRF.sub(b"", client.get(reverse("web:home")).content)
    assert before == after
