"""Run the concurrency races against a real SQLite file (WAL, IMMEDIATE transactions).

The test suite's SQLite database is a shared-cache in-memory one, whose table locks fail
at once instead of waiting as a deployed file database does; so test_concurrency runs
this module in a subprocess with ``RESETTLE_DATABASE_URL=sqlite:///<tmp file>`` and reads
the JSON it prints. Not collected by pytest (the name does not start with ``test_``).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettle.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from resettle.casework import services
    from resettle.casework.models import StageChange, Submission
    from resettle.casework.tests.helpers import race
    from resettle.core.stages import HoldType
    from resettle.destinations.models import Destination, Pledge
    from resettle.registry.models import Household, Site
    from resettle.testing.fixtures import make_household, make_person

    today = date(2026, 3, 1)
    site = Site.objects.create(name="Camp A", country="IQ")
    de = Destination.objects.create(code="DE", name="Germany")
    Pledge.objects.create(destination=de, places=100, period_start=today)
    out: dict[str, object] = {}

    one = make_household(site, "H1", [(make_person(site, "R1", "A", "B"), "principal")])
    seen = one.version
    out["two_movers"] = race([
        lambda: services.transition_household(actor=None, household=one.pk, target="assessed",
                                              expected_version=seen, today=today),
        lambda: services.transition_household(actor=None, household=one.pk,
                                              target="withdrawn", reason="left",
                                              expected_version=seen, today=today),
    ])
    out["two_movers_changes"] = StageChange.objects.filter(household=one).count()
    out["two_movers_version"] = Household.objects.get(pk=one.pk).version - seen

    p2 = make_person(site, "R2", "C", "D")
    two = make_household(site, "H2", [(p2, "principal")], "submitted", de)
    Submission.objects.create(household=two, destination=de,
                              submitted_at=datetime(2026, 2, 1, tzinfo=UTC))
    seen2 = two.version

    def decide() -> None:
        services.record_decision(actor=None, household=two.pk, expected_version=seen2,
                                 decision="accepted", today=today)

    out["six_movers"] = race([decide] * 6)
    out["six_movers_changes"] = StageChange.objects.filter(household=two).count()

    p3 = make_person(site, "R3", "E", "F")
    three = make_household(site, "H3", [(p3, "principal")], "submitted", de)
    Submission.objects.create(household=three, destination=de,
                              submitted_at=datetime(2026, 2, 1, tzinfo=UTC))
    seen3 = three.version
    out["hold_race"] = race([
        lambda: services.record_decision(actor=None, household=three.pk,
                                         expected_version=seen3, decision="accepted",
                                         today=today),
        lambda: services.place_hold(actor=None, person=p3, hold=services.HoldInput(
            hold_type=HoldType.SECURITY, reason="specific_threat", start_date=today)),
    ])
    out["hold_race_moved"] = StageChange.objects.filter(household=three).exists()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
