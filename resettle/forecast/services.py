"""Every forecast write: starting a run, marking lost runs failed, recording reads."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from resettle.accounts.policy import Action
from resettle.accounts.selectors import scope_for
from resettle.audit.services import record
from resettle.forecast import runner
from resettle.forecast.models import ALL_SITES, ForecastRun, RunStatus

#: the most replications a run from the page may ask for (each costs ~2-4 ms per variant
#: on the demo camp; 2,000 x 6 variants stays under a minute)
MAX_REPLICATIONS = 2000
MAX_LEVERS = 8
LEVER_KINDS = ("pledge", "capacity", "duration", "departure", "policy")


class ForecastError(Exception):
    """A forecast action was refused; the message says why in plain words."""


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def scope_key_for(actor: Any) -> str:
    """Which sites a run started by ``actor`` covers: all, or the actor's sites."""
    scope = scope_for(actor)
    if scope.site_ids is None:
        return ALL_SITES
    return ",".join(sorted(scope.site_ids))


def mark_stale(*, now: Any = None) -> int:
    """Runs lost with their server process (still busy after STALE_AFTER): failed.

    Called on every forecast page, so it takes the write lock only when there is one."""
    now = now or timezone.now()
    if not ForecastRun.objects.filter(
            status__in=(RunStatus.QUEUED, RunStatus.RUNNING),
            created_at__lt=now - runner.STALE_AFTER).exists():
        return 0
    return _fail_stale(now)


@transaction.atomic
def _fail_stale(now: Any) -> int:
    stale = [
        run for run in ForecastRun.objects.select_for_update().filter(
            status__in=(RunStatus.QUEUED, RunStatus.RUNNING))
        if runner.is_stale(run, now=now)
    ]
    for run in stale:
        ForecastRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=now,
            progress="Stopped: the server restarted before it finished; start it again",
            version=run.version + 1)
        record(actor=None, action="forecast.stale", obj=run)
    return len(stale)


@transaction.atomic
def start_run(
    *,
    actor: Any,
    replications: int,
    seed: int = 1,
    levers: list[dict[str, Any]] | None = None,
    clear_by: date | None = None,
    today: date | None = None,
    in_thread: bool = True,
) -> ForecastRun:
    """Store a run and start it on a thread after commit (one run at a time, so a
    burst of clicks cannot take the server's two cores away from everyone else)."""
    if not scope_for(actor).can(Action.RUN_FORECAST):
        raise ForecastError("Your role does not allow running the forecast.")
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise ForecastError(f"Replications must be between 1 and {MAX_REPLICATIONS}.")
    if seed < 0:
        raise ForecastError("The seed must be 0 or more.")
    entries = list(levers or [])
    if len(entries) > MAX_LEVERS:
        raise ForecastError(f"At most {MAX_LEVERS} levers per run.")
    for entry in entries:
        if entry.get("kind") not in LEVER_KINDS:
            raise ForecastError(f"Unknown lever {entry.get('kind')!r}.")
    day0 = today or timezone.localdate()
    if clear_by is not None and clear_by <= day0:
        raise ForecastError("The 'clear by' date must be after today.")
    for run in ForecastRun.objects.select_for_update().filter(
            status__in=(RunStatus.QUEUED, RunStatus.RUNNING)):
        if not runner.is_stale(run):
            raise ForecastError("A forecast is being computed already; wait for it to finish.")
    run = ForecastRun.objects.create(
        created_by=_user(actor), scope_key=scope_key_for(actor), today=day0,
        replications=replications, seed=seed, clear_by=clear_by, levers=entries,
        progress="Waiting to start",
    )
    record(actor=actor, action="forecast.started", obj=run, detail={
        "replications": replications, "seed": seed,
        "levers": [str(e.get("label") or e.get("kind")) for e in entries],
        "clear_by": clear_by.isoformat() if clear_by else None,
    })
    if in_thread:
        runner.start_in_thread(run.pk)
    return run


@transaction.atomic
def record_viewed(*, actor: Any, run: ForecastRun, page: str) -> None:
    """A finished forecast's results were shown (``page``: "whatif" or "dashboard")."""
    record(actor=actor, action="forecast.view", obj=run, detail={"page": page})


@transaction.atomic
def record_cli_run(
    *,
    actor: Any,
    today: date | None,
    site_ids: Any,
    households: int,
    residents: int,
    on_hold: int,
    replications: int,
    seed: int,
    mode: str,
    levers: list[str],
    policy: str,
) -> None:
    """``resettle simulate --from-db`` read the live operation: who, for which day and
    sites, and what was run. Counts and settings only, nothing about any person."""
    record(actor=actor, action="forecast.cli", object_type="forecast", detail={
        "channel": "cli", "today": today.isoformat() if today else None,
        "sites": "all" if site_ids is None else sorted(str(s) for s in site_ids),
        "households": households, "residents": residents, "on_hold_today": on_hold,
        "replications": replications, "seed": seed, "mode": mode, "levers": levers,
        "policy": policy,
    })
