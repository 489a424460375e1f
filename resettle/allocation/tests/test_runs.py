"""A run from start to acceptance, solved inline: result, locks, re-run, acceptance, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from resettle.allocation import services
from resettle.allocation.models import AllocationRun, Placement, RunStatus
from resettle.allocation.review import build_review, in_words
from resettle.allocation.selectors import placements_of
from resettle.allocation.tests.conftest import AllocationCamp
from resettle.audit.models import AuditEvent
from resettle.casework.models import Submission
from resettle.destinations.models import Pledge
from resettle.registry.models import Household
from resettle.testing.fixtures import make_household, make_person

pytestmark = pytest.mark.usefixtures("inline_runs")


def _placements(run: AllocationRun) -> dict[str, Placement]:
    return {p.household.reference: p for p in placements_of(run)}


def _run(alloc: AllocationCamp, **kwargs: object) -> AllocationRun:
    return services.create_run(actor=alloc.camp.users["resettlement"], time_limit=5.0, seed=0,
                               **kwargs)  # type: ignore[arg-type]


def test_a_run_places_every_household_and_explains_it(alloc: AllocationCamp) -> None:
    run = _run(alloc)
    assert run.status == RunStatus.DONE
    assert run.result["status"] == "optimal"
    assert run.result["objective"]["persons_placed"] == 13
    placed = _placements(run)
    assert placed["H00102"].destination == alloc.camp.de  # only DE treats serious illness
    assert placed["H00103"].destination == alloc.camp.de  # only DE supports single parents
    assert placed["H00104"].destination == alloc.camp.no  # relatives in Norway
    assert placed["H00105"].destination == alloc.camp.no  # linked: goes with them
    assert placed["H00105"].explanation["note"] == "placed together with H00104"
    assert all(p.score > 0 for p in placed.values())
    actions = set(AuditEvent.objects.filter(object_id=str(run.pk)).values_list(
        "action", flat=True))
    assert {"allocation_run.created", "allocation_run.finished"} <= actions


def test_full_destinations_are_explained_with_their_price(alloc: AllocationCamp) -> None:
    camp = alloc.camp
    # Norway has room for 3 persons; two units of 3 with relatives there compete for it
    Pledge.objects.filter(destination=camp.no, period_end__isnull=True).update(
        places=4, large_family_places=0)
    make_household(camp.site, "H00106", [
        (make_person(camp.site, f"R-06{i}", "T", f"{i}", ties=["NO"]), role)
        for i, role in ((1, "principal"), (2, "spouse"), (3, "parent"))], "allocated")
    run = _run(alloc)
    placed = _placements(run)
    at_norway = {ref for ref, p in placed.items() if p.destination == camp.no}
    assert at_norway in ({"H00106"}, {"H00104", "H00105"})
    loser = "H00104" if at_norway == {"H00106"} else "H00106"
    assert placed[loser].destination == camp.de
    review = build_review(run, placements_of(run))
    row = next(r for r in review.rows if r.reference == loser)
    text = " ".join(row.explanation)
    assert "Norway (score" in text and "Norway was full for persons (price" in text
    no_load = next(load for load in review.loads if load.code == "NO")
    assert (no_load.room, no_load.used) == (3, 3)
    assert no_load.prices.startswith("full for persons (price")


def test_unplaced_households_carry_a_reason(alloc: AllocationCamp) -> None:
    Pledge.objects.filter(destination=alloc.camp.de).update(medical_places=0)
    run = _run(alloc)
    placement = _placements(run)["H00102"]
    assert placement.destination is None
    assert placement.unassigned_reason == "no compatible destination"
    review = build_review(run, placements_of(run))
    assert [r.reference for r in review.unassigned] == ["H00102"]
    assert review.unassigned[0].explanation[0] == "Not placed: no compatible destination."
    assert any("Germany has no medical capacity" in line
               for line in review.unassigned[0].explanation)


def test_change_and_lock_are_kept_by_the_rerun(alloc: AllocationCamp) -> None:
    run = _run(alloc)
    placed = _placements(run)
    officer = alloc.camp.users["resettlement"]
    proposed = placed["H00101"].destination
    target = alloc.camp.de if proposed == alloc.camp.no else alloc.camp.no
    moved = services.change_placement(
        actor=officer, run=run, placement_id=placed["H00101"].pk,
        expected_version=placed["H00101"].version, lock=True, destination_code=target.code)
    assert moved.locked and moved.destination == target
    services.change_placement(
        actor=officer, run=run, placement_id=placed["H00103"].pk,
        expected_version=placed["H00103"].version, lock=True)
    review = build_review(run, placements_of(run))
    assert next(r for r in review.rows if r.reference == "H00101").changed

    rerun = services.create_run(actor=officer, time_limit=5.0, seed=0, rerun_of=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED
    again = _placements(rerun)
    assert again["H00101"].destination == target and again["H00101"].locked
    assert again["H00101"].explanation["note"] == "locked by an officer"
    assert again["H00103"].locked and again["H00103"].destination == alloc.camp.de
    assert not again["H00102"].locked
    assert rerun.problem["cases"][0]["locked"] == target.code


def test_a_change_to_an_incompatible_destination_is_refused(alloc: AllocationCamp) -> None:
    run = _run(alloc)
    medical = _placements(run)["H00102"]
    with pytest.raises(services.AllocationError, match="not compatible"):
        services.change_placement(
            actor=alloc.camp.users["resettlement"], run=run, placement_id=medical.pk,
            expected_version=medical.version, lock=True, destination_code="FI")
    with pytest.raises(services.ConflictError):
        services.change_placement(
            actor=alloc.camp.users["resettlement"], run=run, placement_id=medical.pk,
            expected_version=medical.version + 1, lock=True)


def test_accept_submits_each_household_through_casework(alloc: AllocationCamp) -> None:
    run = _run(alloc)
    outcome = services.accept_run(actor=alloc.camp.users["resettlement"], run=run,
                                  expected_version=run.version)
    assert len(outcome.submitted) == 5 and not outcome.refused
    run.refresh_from_db()
    assert run.status == RunStatus.ACCEPTED
    for household in alloc.waiting:
        household.refresh_from_db()
        assert household.stage == "submitted"
        placement = Placement.objects.get(run=run, household=household)
        assert placement.submission is not None
        assert placement.submission.destination == household.destination
    assert Submission.objects.filter(household__in=alloc.waiting).count() == 5
    assert AuditEvent.objects.filter(action="submission.created").count() == 5
    accepted = AuditEvent.objects.get(action="allocation_run.accepted", object_id=str(run.pk))
    assert accepted.detail["submitted"] == 5
    with pytest.raises(services.AllocationError, match="not accepted"):
        services.accept_run(actor=alloc.camp.users["resettlement"], run=run,
                            expected_version=run.version)


def test_accept_refuses_where_pledged_room_ran_out(alloc: AllocationCamp) -> None:
    run = _run(alloc)
    at_norway = {ref for ref, p in _placements(run).items() if p.destination == alloc.camp.no}
    assert {"H00104", "H00105"} <= at_norway
    # meanwhile Norway's pledge shrank to what is already committed there (1 person)
    Pledge.objects.filter(destination=alloc.camp.no, period_end__isnull=True).update(places=1)
    outcome = services.accept_run(actor=alloc.camp.users["resettlement"], run=run,
                                  expected_version=run.version)
    refused = {p.household.reference: p.refusal for p in outcome.refused}
    assert set(refused) == at_norway
    assert "room" in refused["H00104"].lower() or "place" in refused["H00104"].lower()
    assert Household.objects.get(pk=alloc.tied.pk).stage == "allocated"
    assert Household.objects.get(pk=alloc.medical.pk).stage == "submitted"
    assert len(outcome.submitted) == 5 - len(at_norway)
    assert Placement.objects.get(run=run, household=alloc.tied).refusal == refused["H00104"]


def test_accept_refuses_a_household_changed_since_the_run(alloc: AllocationCamp) -> None:
    run = _run(alloc)
    Household.objects.filter(pk=alloc.single.pk).update(version=alloc.single.version + 1)
    outcome = services.accept_run(actor=alloc.camp.users["resettlement"], run=run,
                                  expected_version=run.version)
    assert [p.household.reference for p in outcome.refused] == ["H00103"]
    assert "changed" in outcome.refused[0].refusal


def test_accept_with_a_stale_version_is_a_conflict(alloc: AllocationCamp) -> None:
    run = _run(alloc)
    with pytest.raises(services.ConflictError):
        services.accept_run(actor=alloc.camp.users["resettlement"], run=run,
                            expected_version=run.version - 1)
    assert Submission.objects.filter(household__in=alloc.waiting).count() == 0


def test_nothing_to_allocate_is_refused(alloc: AllocationCamp) -> None:
    Household.objects.filter(stage="allocated").update(stage="assessed")
    with pytest.raises(services.AllocationError, match="No household"):
        _run(alloc)
    with pytest.raises(services.AllocationError, match="time limit"):
        services.create_run(actor=alloc.camp.users["resettlement"], time_limit=0.0, seed=0)


def test_a_run_whose_worker_died_is_marked_failed(alloc: AllocationCamp,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "RUN_INLINE", False)
    run = _run(alloc)  # the worker would start on commit, which never comes in this test
    assert run.status == RunStatus.QUEUED
    assert services.expire_stale_runs() == 0
    later = timezone.now() + timedelta(seconds=5) + services.STALE_MARGIN + timedelta(seconds=1)
    assert services.expire_stale_runs(now=later) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "worker" in run.error
    # a worker that finishes after the expiry does not overwrite the failure
    services.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_worker_thread_solves_after_commit(alloc: AllocationCamp,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "RUN_INLINE", False)
    started: list[object] = []
    monkeypatch.setattr(services, "start_after_commit",
                        lambda job, run_id, name: started.append(run_id))
    run = _run(alloc)
    assert started == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED  # nothing solved it in the request


def test_in_words() -> None:
    names = {"NO": "Norway", "DE": "Germany"}
    assert in_words("NO was full for large_family (price 1.8)", names) == (
        "Norway was full for large families (price 1.8)")
    assert in_words("linked household H00002 is not compatible", names) == (
        "linked household H00002 is not compatible")
