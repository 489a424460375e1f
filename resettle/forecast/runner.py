"""Executing a forecast run outside the request: calibrate, simulate, compare, store.

Why a thread started after commit (as the departure planner does) rather than a job
queue: a what-if run of the demo camp takes a few seconds of numpy work, the project
runs no broker, and a daemon thread needs nothing to deploy. What it costs: a run dies
with the server process. A run still queued or running after ``STALE_AFTER`` is
therefore marked failed (``services.mark_stale``) and the user starts it again.

Replications run in batches so the page can show progress; each replication has its
own random stream, so batching changes no number (the report equals ``simulate``'s).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from resettle.core.simulation import Lever, RunArrays, Scenario, apply_lever, summarise
from resettle.core.simulation.engine import run_batch
from resettle.core.stages import Stage
from resettle.forecast import snapshot
from resettle.forecast.calibration import calibrate
from resettle.forecast.models import ALL_SITES, ForecastRun, RunStatus
from resettle.jobs import log_failure, retry_when_locked, start_after_commit

log = logging.getLogger(__name__)

#: a run still queued or running after this long was lost with its server process
STALE_AFTER = timedelta(minutes=10)
#: replications per batch (one progress step)
BATCH = 50


def to_lever(entry: dict[str, Any], start: date) -> Lever | str:
    """A lever as entered on the page (dates) as a core Lever; a policy as its name."""
    kind = entry.get("kind")
    label = str(entry.get("label", ""))

    def day(key: str) -> float:
        return float(max(0, (date.fromisoformat(str(entry[key])) - start).days))

    if kind == "policy":
        return str(entry["policy"])
    if kind == "pledge":
        return Lever("pledge", name=label, destination=str(entry["destination"]),
                     places=int(entry["places"]), day=day("date"))
    if kind == "capacity":
        return Lever("capacity", name=label, stage=Stage(entry["stage"]),
                     destination=entry.get("destination") or None, add=int(entry["add"]))
    if kind == "duration":
        return Lever("duration", name=label, stage=Stage(entry["stage"]),
                     factor=float(entry["factor"]))
    if kind == "departure":
        dests = (str(entry["destination"]),) if entry.get("destination") else ()
        return Lever("departure", name=label, seats=int(entry["seats"]), day=day("date"),
                     every_days=float(entry.get("every_days", 0)),
                     destinations=dests)
    raise ValueError(f"unknown lever kind {kind!r}")


def apply_entry(sc: Scenario, entry: dict[str, Any]) -> Scenario:
    """The scenario with one lever (or policy) applied; ValueError if it does not fit."""
    lever = to_lever(entry, sc.start_date or date.today())
    if isinstance(lever, str):
        return sc.with_policy(lever)
    if lever.kind == "departure" and lever.every_days:
        lever = replace(lever, until_day=sc.horizon_days)
    return apply_lever(sc, lever)


def _set(run_id: Any, **values: Any) -> None:
    retry_when_locked(lambda: ForecastRun.objects.filter(pk=run_id).update(**values))


def _row(label: str, kind: str, rep: dict[str, Any], base: dict[str, Any] | None,
         ) -> dict[str, Any]:
    cd = rep["clear_day"]
    pd = rep["person_days_at_risk"]["mean"]
    by = rep["clear_by"][0]["probability"] if rep["clear_by"] else None

    def delta(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(a - b, 1)

    return {
        "label": label, "kind": kind, "ok": True, "error": "",
        "p10_clear_day": cd["p10"], "p50_clear_day": cd["p50"], "p90_clear_day": cd["p90"],
        "p50_date": cd["dates"].get("p50"), "p90_date": cd["dates"].get("p90"),
        "delta_p50_days": delta(cd["p50"], base["clear_day"]["p50"]) if base else 0.0,
        "person_days_mean": pd,
        "delta_person_days": delta(pd, base["person_days_at_risk"]["mean"]) if base else 0.0,
        "risk_person_days_mean": rep["risk_weighted_person_days"]["mean"],
        "deaths_mean": rep["deaths"]["mean"],
        "cleared_fraction": cd["cleared_fraction"],
        "clear_by_probability": by,
        "bottleneck": (rep["bottleneck"] or {}).get("name"),
    }


def _simulate(run_id: Any, sc: Scenario, reps: int, seed: int, label: str,
              done: int, total: int) -> tuple[dict[str, Any], int]:
    parts = []
    for first in range(0, reps, BATCH):
        batch = list(range(first, min(reps, first + BATCH)))
        parts.append(run_batch(sc, seed, batch))
        done += len(batch)
        _set(run_id, steps_done=done,
             progress=f"{label}: {first + len(batch)} of {reps} replications")
    return summarise(sc, RunArrays.concat(parts), seed=seed, replications=reps), done


def execute_run(run_id: Any) -> None:
    """Calibrate, simulate the baseline and each lever, store the result (never raises:
    a failure is stored on the run as a short message, without personal data)."""
    run = ForecastRun.objects.get(pk=run_id)
    _set(run_id, status=RunStatus.RUNNING, started_at=timezone.now(),
         progress="Reading the operation from the database")
    try:
        site_ids = None if run.scope_key == ALL_SITES else run.scope_key.split(",")
        cal = calibrate(today=run.today, site_ids=site_ids,
                        clear_by=[run.clear_by] if run.clear_by else [])
        base_sc = cal.scenario
        variants: list[tuple[dict[str, Any], Scenario | None, str]] = []
        combined = base_sc
        applied = 0
        for entry in run.levers:
            try:
                variant = apply_entry(base_sc, entry)
            except (ValueError, KeyError) as exc:
                variants.append((entry, None, str(exc)))
                continue
            variants.append((entry, variant, ""))
            combined = apply_entry(combined, entry)
            applied += 1
        if applied >= 2:
            variants.append(({"kind": "combined", "label": "all levers together"}, combined, ""))
        reps, seed = run.replications, run.seed
        total = reps * (1 + sum(1 for _e, v, _m in variants if v is not None))
        _set(run_id, scenario=snapshot.dumps(base_sc), calibration=cal.summary,
             steps_total=total, steps_done=0)
        baseline, done = _simulate(run_id, base_sc, reps, seed, "current forecast", 0, total)
        rows = [_row("current forecast", "baseline", baseline, None)]
        for entry, maybe, error in variants:
            label = str(entry.get("label") or entry.get("kind"))
            if maybe is None:
                rows.append({"label": label, "kind": entry.get("kind"), "ok": False,
                             "error": error})
                continue
            rep, done = _simulate(run_id, maybe, reps, seed, label, done, total)
            rows.append(_row(label, str(entry.get("kind")), rep, baseline))
        _set(run_id, status=RunStatus.DONE, finished_at=timezone.now(),
             result={"baseline": baseline, "rows": rows}, steps_done=total,
             progress="Done")
    except Exception as exc:  # stored for the page; the log keeps the type only
        log_failure(log, f"forecast run {run_id}", exc)
        _set(run_id, status=RunStatus.FAILED, finished_at=timezone.now(),
             progress=f"Failed: {type(exc).__name__}")


def start_in_thread(run_id: Any) -> None:
    """Start the run on a daemon thread once the transaction that created it commits."""
    start_after_commit(execute_run, run_id, name="forecast")


def is_stale(run: ForecastRun, *, now: Any = None) -> bool:
    now = now or timezone.now()
    return run.busy and run.created_at < now - STALE_AFTER
