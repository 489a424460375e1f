"""Builders for departures tests: ready households and departures around today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from resettle.casework.tests.helpers import accept, fresh, give_documents, move
from resettle.departures import services
from resettle.departures.models import Departure
from resettle.destinations.models import Destination
from resettle.registry.models import Household, Site


def today() -> date:
    return timezone.localdate()


def ready(actor: Any, household: Household) -> Household:
    """A submitted household (camp fixture) moved on to ready, documents valid a year."""
    give_documents(household, until=today() + timedelta(days=365))
    household = accept(actor, household)
    household = move(actor, household, "pre_departure")
    return move(actor, household, "ready")


def departure(site: Site, destination: Destination, *, code: str = "RS001", days: int = 10,
              seats: int = 10, **extra: Any) -> Departure:
    return Departure.objects.create(
        code=code, date=today() + timedelta(days=days), origin=site, destination=destination,
        seats=seats, carrier="Charter Air", flight_number="CA701", **extra)


def book(actor: Any, dep: Departure, household: Household) -> Household:
    services.book_household(actor=actor, departure=dep, household=household, reason="test")
    return fresh(household)


def confirm(actor: Any, dep: Departure) -> Departure:
    dep.refresh_from_db()
    return services.confirm_departure(actor=actor, departure=dep, expected_version=dep.version)
