"""Small builders for casework tests: documents for everyone, households at a stage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import connection

from resettle.casework import services
from resettle.casework.models import Document
from resettle.core.stages import DocumentKind, HoldType
from resettle.registry.models import Household, Person

TODAY = date(2026, 3, 1)


def give_documents(
    household: Household, *, until: date | None = None, kinds: Any = tuple(DocumentKind)
) -> None:
    """Every active member gets every document kind, valid from a month ago to ``until``."""
    until = until or TODAY + timedelta(days=365)
    for membership in household.memberships.filter(active=True):
        for kind in kinds:
            Document.objects.create(
                person_id=membership.person_id, kind=kind.value,
                valid_from=TODAY - timedelta(days=30), valid_until=until,
            )


def members(household: Household) -> list[Person]:
    return [m.person for m in household.memberships.filter(active=True).select_related("person")]


def fresh(household: Household) -> Household:
    return Household.objects.get(pk=household.pk)


def move(actor: Any, household: Household, target: str, **kw: Any) -> Household:
    services.transition_household(
        actor=actor, household=household, target=target,
        expected_version=fresh(household).version, today=TODAY, **kw,
    )
    return fresh(household)


def hold(actor: Any, person: Person, hold_type: HoldType, **kw: Any) -> Any:
    reason = {
        HoldType.LEGAL: "arrest_warrant",
        HoldType.MEDICAL: "not_fit_to_travel",
        HoldType.SECURITY: "vetting_pending",
        HoldType.ADMINISTRATIVE: "documents_missing",
    }[hold_type]
    return services.place_hold(
        actor=actor, person=person,
        hold=services.HoldInput(hold_type=hold_type, reason=reason, start_date=TODAY,
                                review_date=kw.pop("review_date", None),
                                authority=kw.pop("authority", "Court of first instance"),
                                reference=kw.pop("reference", "W-2026-118")),
        **kw,
    )


def accept(actor: Any, household: Household) -> Household:
    services.record_decision(actor=actor, household=household,
                             expected_version=fresh(household).version,
                             decision="accepted", today=TODAY)
    return fresh(household)


def to_ready(actor: Any, household: Household) -> Household:
    """From submitted (the camp fixture's H00001) all the way to ready."""
    give_documents(household)
    household = accept(actor, household)
    household = move(actor, household, "pre_departure")
    return move(actor, household, "ready")


def race(jobs: list[Callable[[], Any]]) -> list[tuple[str, str]]:
    """Start every job at the same instant on its own thread; collect (outcome, detail)."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, str]] = []
    lock = threading.Lock()

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
            outcome = ("ok", "")
        except services.ConflictError as exc:
            outcome = ("conflict", str(exc))
        except Exception as exc:  # reported, so the assertion below shows it
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
