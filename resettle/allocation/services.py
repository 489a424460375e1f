"""Every allocation write: create a run, solve it outside the request, adjust, accept.

A run is created in the request (the problem is built from the registry and stored),
then solved by a worker thread started after the creating transaction commits
(``resettle.jobs.start_after_commit``): the gunicorn worker serving the request keeps it,
and its other threads serve requests meanwhile. A run
whose thread died with its process stays "queued" or "running"; ``expire_stale_runs``
marks it failed once its time limit plus a margin has passed. Tests (and callers that
want the answer now) set ``RUN_INLINE`` and the solve happens in the caller's thread.

Accepting a run submits each household through ``casework.services.submit_household``
(the only way to create a submission), each in its own transaction, so one refusal
(pledged room ran out, a hold, a change since the run) never undoes the others.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from resettle.accounts.policy import Action
from resettle.accounts.selectors import scope_for
from resettle.allocation.models import AllocationRun, Placement, RunStatus
from resettle.allocation.selectors import problem_from_db
from resettle.audit.services import record
from resettle.casework.models import Submission
from resettle.casework.services import CaseworkError, submit_household
from resettle.core.allocation import (
    ProblemFormatError,
    problem_from_dict,
    problem_to_dict,
    result_to_dict,
    solve,
)
from resettle.core.allocation.model import AllocationResult
from resettle.destinations.models import Destination
from resettle.jobs import log_failure, retry_when_locked, start_after_commit
from resettle.registry.selectors import households_for

logger = logging.getLogger(__name__)

MIN_TIME_LIMIT = 1.0
MAX_TIME_LIMIT = 600.0
#: a run still queued or running this long after its time limit has lost its worker
STALE_MARGIN = timedelta(seconds=60)

#: solve in the caller's thread instead of a worker thread (tests, scripts)
RUN_INLINE = False


class AllocationError(Exception):
    """An allocation action was refused; the message says why in plain words."""


class ConflictError(AllocationError):
    """Someone else changed the run or placement since the user loaded it."""


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


# --------------------------------------------------------------------------- creating


def create_run(
    *,
    actor: Any,
    time_limit: float,
    seed: int,
    rerun_of: AllocationRun | None = None,
    today: date | None = None,
) -> AllocationRun:
    """Store the problem for the households waiting in ``actor``'s scope and start solving.

    With ``rerun_of``, the officer's locked placements of that run become locks of the new
    one, and the old run (if not yet accepted) is marked discarded.
    """
    if isinstance(time_limit, bool) or not MIN_TIME_LIMIT <= float(time_limit) <= MAX_TIME_LIMIT:
        raise AllocationError(
            f"The time limit must be between {MIN_TIME_LIMIT:g} and {MAX_TIME_LIMIT:g} seconds.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise AllocationError("The seed must be a whole number, 0 or more.")
    scope = scope_for(actor)
    if not scope.can(Action.RUN_ALLOCATION):
        raise AllocationError("Your role does not allow running an allocation.")
    locks: dict[str, str] = {}
    if rerun_of is not None:
        if rerun_of.status not in (RunStatus.DONE, RunStatus.DISCARDED):
            raise AllocationError("Only a finished run that was not accepted can be re-run.")
        for household_id, code in rerun_of.placements.filter(
            locked=True, destination__isnull=False
        ).values_list("household_id", "destination__code"):
            locks[str(household_id)] = code
    built = problem_from_db(actor, today=_today(today), locks=locks)
    if not built.problem.cases:
        raise AllocationError("No household in your scope is waiting for allocation.")
    if not built.problem.destinations:
        raise AllocationError("No destination has an active pledge.")
    with transaction.atomic():
        if rerun_of is not None:
            updated = AllocationRun.objects.filter(
                pk=rerun_of.pk, status=RunStatus.DONE
            ).update(status=RunStatus.DISCARDED, version=F("version") + 1,
                     updated_at=timezone.now())
            if updated:
                record(actor=actor, action="allocation_run.discarded", obj=rerun_of,
                       detail={"reason": "re-run"})
        run = AllocationRun.objects.create(
            created_by=actor,
            time_limit=float(time_limit),
            seed=seed,
            problem=problem_to_dict(built.problem),
            context=built.context(),
            all_sites=scope.site_ids is None,
            rerun_of=rerun_of,
        )
        dest_ids = {code: info.id for code, info in built.destinations.items()}
        Placement.objects.bulk_create(
            Placement(
                run=run,
                household_id=uuid.UUID(built.households[case.id].id),
                household_version=built.households[case.id].version,
                locked=case.locked is not None,
                destination_id=uuid.UUID(dest_ids[case.locked]) if case.locked else None,
            )
            for case in built.problem.cases
        )
        record(actor=actor, action="allocation_run.created", obj=run, detail={
            "households": len(built.problem.cases),
            "destinations": len(built.problem.destinations),
            "locks": sum(1 for c in built.problem.cases if c.locked),
            "held_back": len(built.held_back),
            "time_limit": float(time_limit), "seed": seed,
            "rerun_of": str(rerun_of.pk) if rerun_of else "",
        })
    if RUN_INLINE:
        execute_run(run.pk)
    else:
        start_after_commit(execute_run, run.pk, name="allocation")
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------- solving


def execute_run(run_id: uuid.UUID) -> None:
    """Claim a queued run, solve it and store the result (or the failure)."""
    now = timezone.now()
    claimed = retry_when_locked(
        lambda: AllocationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=now, progress=5, version=F("version") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return
    run = retry_when_locked(lambda: AllocationRun.objects.get(pk=run_id))
    try:
        problem = problem_from_dict(run.problem)
        result = solve(problem, time_limit=run.time_limit, seed=run.seed, explain=True)
    except ProblemFormatError as exc:
        message = f"The stored problem is invalid: {exc}"
        retry_when_locked(lambda: _finish_failed(run_id, message))
        return
    except Exception as exc:  # the worker must always leave the run in a final state
        log_failure(logger, f"allocation run {run_id}", exc)
        message = f"The solver stopped with an error ({type(exc).__name__})."
        retry_when_locked(lambda: _finish_failed(run_id, message))
        return
    retry_when_locked(lambda: _store_result(run_id, result))


def _finish_failed(run_id: uuid.UUID, message: str) -> None:
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().filter(
            pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        if run is None:
            return
        run.status = RunStatus.FAILED
        run.error = message
        run.finished_at = timezone.now()
        run.version += 1
        run.save(update_fields=["status", "error", "finished_at", "version", "updated_at"])
        record(actor=None, action="allocation_run.failed", obj=run, detail={"error": message})


def _store_result(run_id: uuid.UUID, result: AllocationResult) -> None:
    """Write the result onto the run and its placements, unless the run was expired meanwhile."""
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().filter(
            pk=run_id, status=RunStatus.RUNNING).first()
        if run is None:
            return
        dest_ids = {code: info["id"] for code, info in run.context.get("destinations", {}).items()}
        refs = {info["id"]: ref for ref, info in run.context.get("households", {}).items()}
        placements = list(run.placements.all())
        for placement in placements:
            ref = refs.get(str(placement.household_id), "")
            code = result.assignments.get(ref)
            explanation = result.explanations.get(ref)
            placement.destination_id = uuid.UUID(dest_ids[code]) if code else None
            placement.score = float(explanation.score or 0.0) if explanation and code else 0.0
            placement.unassigned_reason = result.unassigned.get(ref, "")[:500]
            placement.explanation = {} if explanation is None else {
                "note": explanation.note,
                "alternatives": [
                    {"destination": a.destination, "score": a.score, "why": a.why}
                    for a in explanation.alternatives
                ],
            }
        Placement.objects.bulk_update(
            placements, ["destination", "score", "unassigned_reason", "explanation"],
            batch_size=500)
        summary = result_to_dict(result)
        summary.pop("explanations", None)
        run.result = summary
        run.status = RunStatus.DONE
        run.progress = 100
        run.finished_at = timezone.now()
        run.version += 1
        run.save(update_fields=["result", "status", "progress", "finished_at", "version",
                                "updated_at"])
        record(actor=None, action="allocation_run.finished", obj=run, detail={
            "status": result.status, "assigned": len(result.assignments),
            "unassigned": len(result.unassigned), "persons_placed": result.persons_placed,
            "gap": round(result.gap, 6), "solve_seconds": result.solve_seconds,
        })


def expire_stale_runs(*, now: Any = None) -> int:
    """Mark failed the runs still queued or running well after their time limit.

    Their worker thread died with its process (a restart, a crash); nothing else would
    ever finish them. Returns how many were marked.
    """
    moment = now or timezone.now()
    expired = 0
    for run in AllocationRun.objects.filter(
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).only("id", "time_limit", "created_at", "started_at"):
        began = run.started_at or run.created_at
        if began + timedelta(seconds=run.time_limit) + STALE_MARGIN < moment:
            _finish_failed(run.pk, "The run stopped without a result (its worker process "
                                   "ended, e.g. on a restart). Start a new run.")
            expired += 1
    return expired


def shown_progress(run: AllocationRun, *, now: Any = None) -> int:
    """Percent to show: the stored progress, or the share of the time limit used so far."""
    if not run.in_progress or run.started_at is None:
        return int(run.progress)
    elapsed = ((now or timezone.now()) - run.started_at).total_seconds()
    return max(int(run.progress), min(95, int(100 * elapsed / max(run.time_limit, 1e-9))))


# --------------------------------------------------------------------------- adjusting


def compatible_codes(run: AllocationRun, reference: str) -> list[str]:
    """The destinations a household may go to in this run (its ``scores`` in the problem)."""
    for case in run.problem.get("cases", []):
        if case.get("id") == reference:
            return sorted(case.get("scores", {}))
    return []


@transaction.atomic
def change_placement(
    *,
    actor: Any,
    run: AllocationRun,
    placement_id: uuid.UUID,
    expected_version: int,
    lock: bool,
    destination_code: str | None = None,
) -> Placement:
    """Lock or unlock a placement, or move it to another compatible destination (locked).

    A re-run keeps every locked placement where the officer put it.
    """
    if run.status != RunStatus.DONE:
        raise AllocationError("Only a finished run that is not accepted can be changed.")
    placement = (
        Placement.objects.select_for_update(of=("self",))
        .select_related("household", "destination")
        .filter(pk=placement_id, run=run).first()
    )
    if placement is None:
        raise AllocationError("No such placement in this run.")
    if placement.version != expected_version:
        raise ConflictError(
            "Someone else changed this placement since you opened the page. Nothing was "
            "saved: reload the page and try again.")
    before = placement.destination.code if placement.destination else None
    target = placement.destination
    if destination_code is not None and destination_code != before:
        if destination_code not in compatible_codes(run, placement.household.reference):
            raise AllocationError(
                f"{placement.household.reference} cannot go to {destination_code}: not "
                "compatible with its pledges.")
        target = Destination.objects.filter(code=destination_code, active=True).first()
        if target is None:
            raise AllocationError(f"No active destination {destination_code}.")
        lock = True
    if lock and target is None:
        raise AllocationError("An unplaced household can be locked only to a destination.")
    placement.destination = target
    placement.locked = lock
    placement.version += 1
    placement.save(update_fields=["destination", "locked", "version", "updated_at"])
    record(actor=actor, action="allocation_placement.changed", obj=placement, detail={
        "run": str(run.pk), "household": str(placement.household_id),
        "from": before or "", "to": target.code if target else "", "locked": lock,
    })
    return placement


# --------------------------------------------------------------------------- accepting


@dataclass
class Acceptance:
    submitted: list[Placement] = field(default_factory=list)
    refused: list[Placement] = field(default_factory=list)


def accept_run(
    *, actor: Any, run: AllocationRun, expected_version: int, today: date | None = None
) -> Acceptance:
    """Submit every placed household to its destination, each in its own transaction.

    Refusals (room ran out, a blocking hold, the household changed since the run) are
    kept on the placement; the others go ahead. Then the run is marked accepted.
    """
    day = _today(today)
    with transaction.atomic():
        claimed = AllocationRun.objects.filter(
            pk=run.pk, version=expected_version, status=RunStatus.DONE
        ).update(status=RunStatus.ACCEPTING, version=F("version") + 1,
                 updated_at=timezone.now())
        if not claimed:
            current = AllocationRun.objects.filter(pk=run.pk).values_list(
                "status", flat=True).first()
            if current == RunStatus.DONE:
                raise ConflictError(
                    "Someone else changed this run since you opened it. Nothing was "
                    "accepted: reload the page and try again.")
            raise AllocationError("Only a finished run that is not accepted can be accepted.")
        record(actor=actor, action="allocation_run.accepting", obj=run, detail={})
    reachable = set(
        households_for(actor).filter(
            pk__in=run.placements.values("household_id")).values_list("pk", flat=True))
    outcome = Acceptance()
    placements = list(
        run.placements.filter(destination__isnull=False)
        .select_related("household", "destination")
        .order_by("-locked", "-score", "household__reference"))
    reason = f"Allocation run {str(run.pk)[:8]}"
    for placement in placements:
        assert placement.destination is not None
        if placement.household_id not in reachable:
            _refuse(placement, "The household is no longer in your scope.")
            outcome.refused.append(placement)
            continue
        try:
            with transaction.atomic():
                submission = submit_household(
                    actor=actor, household=placement.household,
                    destination=placement.destination,
                    expected_version=placement.household_version, reason=reason, today=day,
                )
                _mark_submitted(placement, submission)
        except CaseworkError as exc:
            _refuse(placement, str(exc))
            outcome.refused.append(placement)
        else:
            outcome.submitted.append(placement)
    with transaction.atomic():
        AllocationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.ACCEPTED, version=F("version") + 1, updated_at=timezone.now())
        record(actor=actor, action="allocation_run.accepted", obj=run, detail={
            "submitted": len(outcome.submitted),
            # household ids only: a refusal message may name a member
            "refused": [str(p.household_id) for p in outcome.refused],
        })
    return outcome


def _mark_submitted(placement: Placement, submission: Submission) -> None:
    placement.submission = submission
    placement.refusal = ""
    placement.version += 1
    placement.save(update_fields=["submission", "refusal", "version", "updated_at"])


def _refuse(placement: Placement, message: str) -> None:
    placement.refusal = message[:500]
    placement.version += 1
    with transaction.atomic():
        Placement.objects.filter(pk=placement.pk).update(
            refusal=placement.refusal, version=F("version") + 1, updated_at=timezone.now())

