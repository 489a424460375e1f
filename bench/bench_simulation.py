"""Bench the forecast engine against the SimPy reference and at operation scale.

Run by hand: python bench/bench_simulation.py [--simpy-reps 100] [--skip-large]
Prints: engine time for 1,000 replications of the demo camp (1 and 2 workers), SimPy
time per replication, the speed ratio, a two-sample KS test of the clear-day
distributions, the same for the demo camp with holds active at day 0 (known and unknown
lift days), and 100 replications of a ~100,000-resident operation.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simpy_reference import run_replication

from resettle.core.simulation import DEMO_SCENARIO, load_scenario, simulate
from resettle.core.simulation.engine import simulate_arrays
from resettle.core.simulation.scenario import CurrentHold, Scenario
from resettle.core.stages import HoldType


def scaled(sc: Scenario, f: int) -> Scenario:
    """The demo camp ``f`` times over: households, places, seats and capacities."""
    stages = {
        k: replace(
            v, servers=v.servers * f if v.servers else None, quota=v.quota * f if v.quota else None
        )
        for k, v in sc.stages.items()
    }
    return replace(
        sc,
        name=f"{sc.name} x{f}",
        households=tuple(replace(g, count=g.count * f) for g in sc.households),
        pledges=tuple(replace(p, places=p.places * f) for p in sc.pledges),
        departures=tuple(replace(d, seats=d.seats * f) for d in sc.departures),
        destinations=tuple(
            replace(
                d,
                decisions_per_period=(
                    d.decisions_per_period * f if d.decisions_per_period is not None else None
                ),
            )
            for d in sc.destinations
        ),
        stages=stages,
    )


def with_current_holds(sc: Scenario) -> Scenario:
    """The demo camp with holds active at day 0: in each group a tenth of the households
    on a legal hold of unknown lift day (drawn from the legal duration, lognormal mean
    180 days) and a twentieth on a security hold lifting on day 120."""
    groups = []
    for g in sc.households:
        legal, security = g.count // 10, g.count // 20
        groups += [
            replace(g, count=g.count - legal - security),
            replace(g, count=legal, holds=(CurrentHold(HoldType.LEGAL, None),)),
            replace(g, count=security, holds=(CurrentHold(HoldType.SECURITY, 120.0),)),
        ]
    return replace(sc, name=f"{sc.name}, holds today", households=tuple(groups))


def compare(label: str, sc: Scenario, reps: int, simpy_reps: int, seed: int) -> None:
    """Engine (1 worker) against SimPy on one scenario: speed and KS on clear days."""
    ra1, wall1, cpu1 = timed(simulate_arrays, sc, replications=reps, seed=seed, workers=1)
    ref, swall, scpu = timed(lambda: [run_replication(sc, seed + 1, r) for r in range(simpy_reps)])
    per_engine, per_simpy = cpu1 / reps, scpu / simpy_reps
    print(
        f"{label}: engine {1000 * per_engine:.2f} ms CPU per replication ({wall1:.2f} s wall "
        f"for {reps}); SimPy {1000 * per_simpy:.1f} ms CPU ({swall:.2f} s wall for "
        f"{simpy_reps}); ratio {per_simpy / per_engine:.1f}x"
    )
    eng, sim = ra1.clear_day, np.asarray(ref)
    for name, all_days in (("engine", eng), ("SimPy", sim)):
        x = all_days[np.isfinite(all_days)]
        q = np.quantile(x, [0.1, 0.5, 0.9])
        print(
            f"  {name:6s} clear day P10 {q[0]:.0f}  P50 {q[1]:.0f}  P90 {q[2]:.0f}  "
            f"mean {x.mean():.1f}; not cleared {np.mean(~np.isfinite(all_days)):.3f}"
        )
    e, s = eng[np.isfinite(eng)], sim[np.isfinite(sim)]
    ks = ks_2samp(e, s)
    print(f"  KS two-sample on clear days: D = {ks.statistic:.3f}, p = {ks.pvalue:.3f}")


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Result, wall seconds, CPU seconds (this process and finished worker processes)."""
    t0 = os.times()
    out = fn(*args, **kwargs)
    t1 = os.times()
    cpu = (
        t1.user
        + t1.system
        + t1.children_user
        + t1.children_system
        - t0.user
        - t0.system
        - t0.children_user
        - t0.children_system
    )
    return out, t1.elapsed - t0.elapsed, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--simpy-reps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--only-large", action="store_true")
    ap.add_argument("--skip-holds", action="store_true", help="skip the holds-today variant")
    args = ap.parse_args()
    sc = load_scenario(DEMO_SCENARIO)
    print(f"demo camp: {sc.household_count} households, {sc.resident_count} residents")

    simulate(sc, replications=10, seed=0)  # warm imports
    if args.only_large:
        large(sc, args.seed)
        return
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    ra2, wall2, cpu2 = timed(simulate_arrays, sc, replications=args.reps, seed=args.seed, workers=2)
    print(
        f"engine, {args.reps} replications, 2 workers: {wall2:.2f} s wall, {cpu2:.2f} s CPU "
        "in all processes (target < 3 s wall)"
    )
    ra1, wall1, cpu1 = timed(simulate_arrays, sc, replications=args.reps, seed=args.seed, workers=1)
    print(
        f"engine, {args.reps} replications, 1 worker:  {wall1:.2f} s wall, {cpu1:.2f} s CPU "
        f"= {1000 * cpu1 / args.reps:.2f} ms CPU per replication"
    )
    assert np.array_equal(ra1.clear_day, ra2.clear_day), "workers changed the numbers"

    ref, swall, scpu = timed(
        lambda: [run_replication(sc, args.seed + 1, r) for r in range(args.simpy_reps)]
    )
    per_simpy = scpu / args.simpy_reps
    per_engine = cpu1 / args.reps
    print(
        f"SimPy reference, {args.simpy_reps} replications: {swall:.2f} s wall, "
        f"{scpu:.2f} s CPU = {1000 * per_simpy:.1f} ms CPU per replication"
    )
    print(
        f"speed ratio (CPU per replication, SimPy / engine on one core): "
        f"{per_simpy / per_engine:.1f}x (target >= 30x)"
    )
    print(
        f"speed ratio (wall, engine on 2 workers): "
        f"{(swall / args.simpy_reps) / (wall2 / args.reps):.1f}x"
    )

    eng = ra1.clear_day
    sim = np.asarray(ref)
    print(
        f"not cleared: engine {np.mean(~np.isfinite(eng)):.3f}, "
        f"SimPy {np.mean(~np.isfinite(sim)):.3f}"
    )
    e, s = eng[np.isfinite(eng)], sim[np.isfinite(sim)]
    for name, x in (("engine", e), ("SimPy", s)):
        q = np.quantile(x, [0.1, 0.5, 0.9])
        print(
            f"  {name:6s} clear day P10 {q[0]:.0f}  P50 {q[1]:.0f}  P90 {q[2]:.0f}  "
            f"mean {x.mean():.1f}"
        )
    ks = ks_2samp(e, s)
    print(
        f"KS two-sample on clear days: D = {ks.statistic:.3f}, p = {ks.pvalue:.3f} "
        f"(target p > 0.05)"
    )

    if not args.skip_holds:
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        compare(
            "demo camp, holds today", with_current_holds(sc), args.reps, args.simpy_reps, args.seed
        )

    if not args.skip_large:
        large(sc, args.seed)


def large(sc: Scenario, seed: int) -> None:
    big = scaled(sc, 44)
    print(f"large operation: {big.household_count} households, {big.resident_count} residents")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rb, wallb, cpub = timed(simulate_arrays, big, replications=100, seed=seed, workers=2, batch=50)
    q = np.quantile(rb.clear_day, [0.1, 0.5, 0.9], method="inverted_cdf")
    shown = "/".join(f"{v:.0f}" if math.isfinite(v) else "not cleared" for v in q)
    print(
        f"engine, 100 replications, 2 workers: {wallb:.1f} s wall, {cpub:.1f} s CPU in all "
        f"processes (target < 60 s wall); clear day P10/P50/P90 {shown}"
    )


if __name__ == "__main__":
    main()
