"""The departure planner: LP relaxation for a proven bound, then integer repair.

Model (maximise the person-days saved, which is the same as minimising person-days
at risk): x[u, d] = 1 when travel unit u takes departure d,

    max  sum W_u (H - day_d) x[u, d]
    s.t. sum_d x[u, d] <= 1                       each unit at most once, whole
         sum_u size_u x[u, d] <= seats_d          each departure
         sum_u need_uk x[u, d] <= special_dk      each departure and special kind
         x binary, only on eligible pairs (destination, ready, documents, no hold)

Why this method: it is a multiple knapsack whose LP relaxation is nearly integral
(a vertex splits at most one unit per capacity row), so HiGHS' LP gives both a near
plan and a bound. The LP's whole placements are kept, except for the units at the
price frontier (split, barely paying for their seats, or nearly indifferent between
two departures), which are re-solved exactly as a small MIP over their best-priced
departures; a greedy fill then uses any room left. The neighbourhood grows while the
proven gap is above ``target_gap``. This lands within ~0.05 % of the bound in a
fraction of the time a full MIP takes (see docs/departures.md). The bound reported is
a Lagrangian bound recomputed from the LP duals, so it holds whatever the solver's
tolerances.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from resettle.core.departures.model import PlanResult, Problem
from resettle.core.departures.units import Unit, build_units, full_reason

__all__ = ["check_plan", "plan"]

log = logging.getLogger(__name__)

#: How the re-solved neighbourhood grows from one round to the next.
_GROW_UNITS = 2.0
_GROW_SHORTLIST = 2
#: Share of the remaining time one neighbourhood round may take.
_ROUND_SHARE = 0.25
#: Solve a neighbourhood's destinations as separate MIPs.
_SPLIT_BY_DESTINATION = True

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_banner_lock = threading.Lock()
_banner_done = False


def _highs(seed: int, time_limit: float) -> highspy.Highs:
    """A silent HiGHS instance (its banner goes to fd 1 on first construction)."""
    global _banner_done
    with _banner_lock:
        if _banner_done:
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    return h


@dataclass
class _Model:
    """Eligible (unit, departure) pairs as flat arrays, plus capacity rows.

    Column v's capacity entries are ``row[start[v]:start[v + 1]]`` with ``coef``.
    """

    var_unit: IntArray
    var_dep: IntArray
    gain: FloatArray  # person-days saved if taken
    row_keys: list[tuple[int, str]]  # (departure, kind); kind "" = seats
    row_cap: FloatArray
    start: IntArray
    row: IntArray
    coef: FloatArray


Capacity = dict[tuple[int, str], int]  # (departure index, kind) -> places; kind "" = seats


def _capacity(problem: Problem) -> Capacity:
    cap: Capacity = {}
    for j, d in enumerate(problem.departures):
        cap[(j, "")] = d.seats
        for kind, count in d.special.items():
            cap[(j, kind)] = count
    return cap


def _build(
    problem: Problem,
    units: Sequence[Unit],
    active: Sequence[int],
    cap: Capacity,
    allowed: Mapping[int, set[int]] | None = None,
) -> _Model:
    """Variables for the eligible pairs of ``active`` units that fit within ``cap``.

    ``allowed`` optionally narrows a unit's departures (a priced shortlist).
    """
    deps = problem.departures
    row_index: dict[tuple[int, str], int] = {}
    row_keys: list[tuple[int, str]] = []

    def row_of(j: int, kind: str) -> int:
        key = (j, kind)
        r = row_index.get(key)
        if r is None:
            r = row_index[key] = len(row_keys)
            row_keys.append(key)
        return r

    var_unit: list[int] = []
    var_dep: list[int] = []
    gain: list[float] = []
    start = [0]
    rows: list[int] = []
    coefs: list[float] = []
    horizon = problem.horizon_day
    for u in active:
        unit = units[u]
        shortlist = allowed.get(u) if allowed is not None else None
        for j in unit.eligible:
            if (shortlist is not None and j not in shortlist) or not _fits_on(unit, j, cap):
                continue
            var_unit.append(u)
            var_dep.append(j)
            gain.append(unit.weight * (horizon - deps[j].day))
            rows.append(row_of(j, ""))
            coefs.append(float(unit.size))
            for k, v in unit.needs.items():
                rows.append(row_of(j, k))
                coefs.append(float(v))
            start.append(len(rows))
    return _Model(
        var_unit=np.asarray(var_unit, dtype=np.int64),
        var_dep=np.asarray(var_dep, dtype=np.int64),
        gain=np.asarray(gain, dtype=np.float64),
        row_keys=row_keys,
        row_cap=np.asarray([float(cap[k]) for k in row_keys], dtype=np.float64),
        start=np.asarray(start, dtype=np.int64),
        row=np.asarray(rows, dtype=np.int64),
        coef=np.asarray(coefs, dtype=np.float64),
    )


def _columns(
    model: _Model, cols: IntArray, unit_pos: IntArray
) -> tuple[IntArray, npt.NDArray[np.int32], FloatArray]:
    """CSC arrays of the chosen columns: capacity entries, then the unit-row entry."""
    n_cap = len(model.row_keys)
    counts = model.start[cols + 1] - model.start[cols]
    start = np.zeros(len(cols) + 1, dtype=np.int64)
    np.cumsum(counts + 1, out=start[1:])
    nnz = int(start[-1])
    index = np.empty(nnz, dtype=np.int32)
    value = np.empty(nnz, dtype=np.float64)
    last = start[1:] - 1
    mask = np.ones(nnz, dtype=bool)
    mask[last] = False
    src = np.concatenate([np.arange(model.start[c], model.start[c + 1]) for c in cols]) if len(
        cols
    ) else np.zeros(0, dtype=np.int64)
    index[mask] = model.row[src]
    value[mask] = model.coef[src]
    index[last] = n_cap + unit_pos[cols]
    value[last] = 1.0
    return start, index, value


def _pass(
    h: highspy.Highs, model: _Model, *, integer: bool, cols: IntArray | None = None
) -> IntArray:
    """Load the model (or only ``cols``) into HiGHS: capacity rows, then one row per unit.

    Returns each variable's unit-row position (the row is ``n_cap + position``).
    """
    n_cap = len(model.row_keys)
    units, unit_pos = np.unique(model.var_unit, return_inverse=True)
    unit_pos = unit_pos.astype(np.int64)
    if cols is None:
        cols = np.arange(len(model.gain), dtype=np.int64)
    start, index, value = _columns(model, cols, unit_pos)
    n = len(cols)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = n_cap + len(units)
    lp.col_cost_ = model.gain[cols]
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.full(lp.num_row_, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([model.row_cap, np.ones(len(units))])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.sense_ = highspy.ObjSense.kMaximize
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    return unit_pos


def _reduced(model: _Model, pi: FloatArray) -> FloatArray:
    """Gain of each variable minus the priced capacity it uses."""
    n = len(model.gain)
    owner = np.repeat(np.arange(n), np.diff(model.start))
    priced = np.bincount(owner, weights=pi[model.row] * model.coef, minlength=n)
    return np.asarray(model.gain - priced, dtype=np.float64)


def _best_per_unit(model: _Model, values: FloatArray, n_units: int) -> FloatArray:
    best = np.full(n_units, -np.inf)
    if len(values):
        np.maximum.at(best, model.var_unit, values)
    return best


def _lagrangian_bound(model: _Model, n_units: int, pi: FloatArray) -> float:
    """Upper bound on the savings of any plan, valid for every pi >= 0.

    max g.x  <=  pi.cap + sum_u max(0, max_d (g_ud - pi.a_ud)), by weak duality.
    """
    pi = np.maximum(pi, 0.0)
    best = np.maximum(_best_per_unit(model, _reduced(model, pi), n_units), 0.0)
    return float(pi @ model.row_cap + best.sum())


@dataclass
class _Lp:
    x: FloatArray | None  # None when the LP did not finish in time
    bound: float  # proven upper bound on savings
    pi: FloatArray  # capacity-row prices behind the bound (zeros if none)


def _solve_lp(model: _Model, n_units: int, seed: int, time_limit: float) -> _Lp:
    """LP relaxation: its solution, prices and a proven upper bound on savings.

    (Column generation from a few departures per unit was tried: the prices only
    settle once nearly every column is in, so it saved little; see the docs.)
    """
    n_cap = len(model.row_keys)
    zeros = np.zeros(n_cap)
    trivial = _lagrangian_bound(model, n_units, zeros)
    if len(model.gain) == 0:
        return _Lp(np.zeros(0), 0.0, zeros)
    h = _highs(seed, time_limit)
    h.setOptionValue("solver", "simplex")
    _pass(h, model, integer=False)
    h.run()
    sol = h.getSolution()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal or not sol.dual_valid:
        return _Lp(None, trivial, zeros)
    x = np.asarray(sol.col_value, dtype=np.float64)
    duals = np.asarray(sol.row_dual, dtype=np.float64)[:n_cap]
    # HiGHS gives pi >= 0 for binding <= rows of a maximisation; clipping keeps the
    # bound valid even if a tolerance leaves a tiny negative.
    pi = np.maximum(duals, 0.0)
    bound = _lagrangian_bound(model, n_units, pi)
    if bound >= trivial:
        return _Lp(x, trivial, zeros)
    return _Lp(x, bound, pi)


def _subgradient(
    model: _Model, n_units: int, lower: float, seconds: float, iterations: int = 5000
) -> tuple[float, FloatArray]:
    """Prices by subgradient descent on the Lagrangian bound, for when the LP is too slow.

    Any prices give a valid bound, but these converge slowly: on 300k pairs about 6 %
    above the LP bound after 2 s, 3 % after 12 s. ``lower`` is the savings of a known
    plan (Polyak steps).
    """
    n_cap = len(model.row_keys)
    pi = np.zeros(n_cap)
    best_bound, best_pi = _lagrangian_bound(model, n_units, pi), pi.copy()
    if len(model.gain) == 0 or n_cap == 0:
        return best_bound, best_pi
    # variables of a unit are contiguous (see _build): reduce per unit with reduceat
    unit_start = np.flatnonzero(np.r_[True, model.var_unit[1:] != model.var_unit[:-1]])
    owner_of_entry = np.repeat(np.arange(len(model.gain)), np.diff(model.start))
    var_group = np.cumsum(np.r_[False, model.var_unit[1:] != model.var_unit[:-1]])
    theta, stall = 1.0, 0
    t0 = time.perf_counter()
    for _ in range(iterations):
        if time.perf_counter() - t0 > seconds:
            break
        reduced = _reduced(model, pi)
        best = np.maximum.reduceat(reduced, unit_start)
        bound = float(pi @ model.row_cap + np.maximum(best, 0.0).sum())
        if bound < best_bound - 1e-9:
            best_bound, best_pi, stall = bound, pi.copy(), 0
        else:
            stall += 1
            if stall >= 10:
                theta, stall = theta / 2, 0
        taken = (reduced >= best[var_group]) & (best[var_group] > 0)
        mask = taken[owner_of_entry]
        used = np.bincount(model.row[mask], weights=model.coef[mask], minlength=n_cap)
        grad = model.row_cap - used
        norm = float(grad @ grad)
        if norm <= 0 or theta < 1e-4:
            break
        step = theta * max(bound - lower, 1e-9 * abs(bound)) / norm
        pi = np.maximum(pi - step * grad, 0.0)
    return best_bound, best_pi


def _mip(
    model: _Model,
    seed: int,
    time_limit: float,
    abs_gap: float,
    start: dict[int, int] | None,
    enough: float | None = None,
) -> tuple[dict[int, int], float | None]:
    """Solve the model as a MIP: unit -> departure, and the solver's dual bound.

    It stops once within ``abs_gap`` person-days of its own optimum, or as soon as
    it holds a plan saving at least ``enough`` (good enough for the caller).
    """
    if len(model.gain) == 0:
        return {}, 0.0
    h = _highs(seed, time_limit)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", max(abs_gap, 1e-6))
    _pass(h, model, integer=True)
    if start:
        sol = highspy.HighsSolution()
        sol.col_value = [
            1.0 if start.get(int(u)) == int(j) else 0.0
            for u, j in zip(model.var_unit, model.var_dep, strict=True)
        ]
        sol.value_valid = True
        h.setSolution(sol)
    if enough is not None:
        target = enough

        def stop_when_enough(event: Any) -> None:
            if event.data_out.mip_primal_bound >= target:
                event.interrupt()

        h.cbMipInterrupt.subscribe(stop_when_enough)
    t0 = time.perf_counter()
    h.run()
    sol = h.getSolution()
    log.debug(
        "mip %d vars: %s in %.2fs (limit %.1fs)", len(model.gain),
        h.modelStatusToString(h.getModelStatus()), time.perf_counter() - t0, time_limit,
    )
    if not sol.value_valid:
        return {}, None
    x = np.asarray(sol.col_value)
    chosen = {int(model.var_unit[v]): int(model.var_dep[v]) for v in np.flatnonzero(x > 0.5)}
    dual = float(h.getInfo().mip_dual_bound)
    return chosen, (dual if np.isfinite(dual) else None)


def _take(unit: Unit, j: int, cap: Capacity) -> None:
    cap[(j, "")] -= unit.size
    for k, v in unit.needs.items():
        cap[(j, k)] -= v


def _fits_on(unit: Unit, j: int, cap: Capacity) -> bool:
    if unit.size > cap.get((j, ""), 0):
        return False
    return all(cap.get((j, k), 0) >= v for k, v in unit.needs.items())


def _fill(problem: Problem, units: Sequence[Unit], chosen: dict[int, int], cap: Capacity) -> None:
    """Greedy: put every unplaced eligible unit that still fits somewhere, earliest first.

    Gains are never negative, so this never worsens a plan; afterwards no unplaced
    unit fits anywhere, which is what makes "no seat left" a true reason.
    """
    todo = [u for u, unit in enumerate(units) if unit.eligible and u not in chosen]
    # highest risk per person first: the gain per seat taken
    todo.sort(key=lambda u: (-units[u].weight / units[u].size, -units[u].size, u))
    for u in todo:
        for j in units[u].eligible:  # eligible is sorted by day
            if _fits_on(units[u], j, cap):
                chosen[u] = j
                _take(units[u], j, cap)
                break


def _savings(problem: Problem, units: Sequence[Unit], chosen: dict[int, int]) -> float:
    h = problem.horizon_day
    return sum(units[u].weight * (h - problem.departures[j].day) for u, j in chosen.items())


def check_plan(problem: Problem, assignments: dict[str, str] | object) -> list[str]:
    """Every rule the plan breaks, in words (empty list = the plan is valid)."""
    if not isinstance(assignments, dict):
        return ["assignments must be a mapping of case id -> departure id"]
    cases = problem.case_by_id
    deps = problem.departure_by_id
    problems: list[str] = []
    used: dict[str, int] = {}
    special: dict[tuple[str, str], int] = {}
    for cid, did in assignments.items():
        if cid not in cases:
            problems.append(f"{cid}: unknown case")
            continue
        if did not in deps:
            problems.append(f"{cid}: unknown departure {did}")
            continue
        c, d = cases[cid], deps[did]
        if c.blocked:
            problems.append(f"{cid}: blocked but assigned")
        if c.destination != d.destination:
            problems.append(f"{cid}: goes to {c.destination}, {did} to {d.destination}")
        if d.day < c.ready_day:
            problems.append(f"{cid}: ready day {c.ready_day} after departure day {d.day}")
        if c.documents_valid_until is not None and d.day > c.documents_valid_until:
            problems.append(f"{cid}: documents expire before day {d.day}")
        used[did] = used.get(did, 0) + c.size
        for k, v in c.needs.items():
            special[(did, k)] = special.get((did, k), 0) + v
    for did, n in used.items():
        if n > deps[did].seats:
            problems.append(f"{did}: {n} passengers for {deps[did].seats} seats")
    for (did, k), n in special.items():
        if n > deps[did].special.get(k, 0):
            problems.append(f"{did}: {n} {k} needs for {deps[did].special.get(k, 0)} places")
    for group in problem.together:
        where = {assignments.get(cid) for cid in group}
        if len(where) > 1:
            problems.append(f"together group {list(group)} split: {sorted(map(str, where))}")
    return problems


def _result(
    problem: Problem,
    units: Sequence[Unit],
    chosen: dict[int, int],
    savings_bound: float,
    elapsed: float,
    method: str,
) -> PlanResult:
    deps = problem.departures
    assignments: dict[str, str] = {}
    unassigned: dict[str, str] = {}
    for u, unit in enumerate(units):
        j = chosen.get(u)
        if j is not None:
            for cid in unit.members:
                assignments[cid] = deps[j].id
        elif not unit.eligible:
            unassigned.update(unit.reasons)
        else:
            why = full_reason(unit, deps)
            for cid in unit.members:
                unassigned[cid] = why
    violations = check_plan(problem, assignments)
    if violations:  # pragma: no cover - a bug, never a user error
        raise RuntimeError("planner produced an invalid plan: " + "; ".join(violations[:5]))
    everyone = problem.horizon_day * sum(c.weight for c in problem.cases)
    value = problem.person_days_at_risk(assignments)
    bound = min(value, max(0.0, everyone - savings_bound))
    tol = 1e-6 * max(1.0, abs(value))
    return PlanResult(
        status="optimal" if value - bound <= tol else "feasible",
        assignments=assignments,
        unassigned=unassigned,
        person_days_at_risk=value,
        bound=bound,
        solve_seconds=elapsed,
        method=method,
    )


@dataclass
class _Frontier:
    """Units by closeness to the LP's price frontier, with a priced shortlist each.

    Why: an integer plan differs from the LP only near the frontier (units the LP
    split, or whose gain barely beats the price of the seats they take), and a unit
    only ever takes one of the departures where its priced gain is best.
    """

    order: list[int]
    rank: IntArray  # per variable: its rank among its unit's variables by reduced gain


def _frontier(full: _Model, lp: _Lp, units: Sequence[Unit]) -> _Frontier:
    n_units = len(units)
    reduced = _reduced(full, lp.pi)
    n = len(full.gain)
    # rank of each variable within its unit, best reduced gain first
    by = np.lexsort((np.arange(n), -reduced, full.var_unit))
    rank = np.empty(n, dtype=np.int64)
    first = np.searchsorted(full.var_unit[by], full.var_unit[by], side="left")
    rank[by] = np.arange(n) - first
    best = _best_per_unit(full, reduced, n_units)
    # runner-up: the same maximum over all variables but each unit's best
    second = _best_per_unit(full, np.where(rank == 0, -np.inf, reduced), n_units)
    placed_whole: set[int] = set()
    touched: set[int] = set()
    if lp.x is not None:
        for v in np.flatnonzero(lp.x > 1e-6).tolist():
            touched.add(int(full.var_unit[v]))
            if lp.x[v] > 1 - 1e-6:
                placed_whole.add(int(full.var_unit[v]))
            rank[v] = 0  # whatever the LP used stays on the shortlist
    split = sorted(touched - placed_whole)
    sizes = np.asarray([unit.size for unit in units], dtype=np.float64)
    # A unit is "at the frontier" when it barely pays for its seats, or when its
    # best departure barely beats its runner-up (so it can swap to make room).
    with np.errstate(invalid="ignore"):
        swing = np.where(np.isfinite(second), best - second, np.inf)
    margin = np.minimum(np.abs(best), swing) / sizes
    split_set = set(split)
    rest = [
        u
        for u in np.argsort(margin, kind="stable").tolist()
        if np.isfinite(best[u]) and u not in split_set
    ]
    return _Frontier(order=split + rest, rank=rank)


def _split_bound(
    problem: Problem, full: _Model, pi: FloatArray, units: Sequence[Unit]
) -> tuple[dict[str, float], dict[str, float]]:
    """The Lagrangian bound on savings, and horizon x risk x size, per destination.

    The bound is a sum of a term per capacity row and one per unit, and each row and
    unit belongs to one destination, so the parts add up to the whole.
    """
    bound: dict[str, float] = {}
    everyone: dict[str, float] = {}
    for unit in units:
        everyone[unit.destination] = (
            everyone.get(unit.destination, 0.0) + problem.horizon_day * unit.weight
        )
        bound.setdefault(unit.destination, 0.0)
    pi = np.maximum(pi, 0.0)
    for r, (j, _) in enumerate(full.row_keys):
        dest = problem.departures[j].destination
        bound[dest] = bound.get(dest, 0.0) + float(pi[r] * full.row_cap[r])
    best = np.maximum(_best_per_unit(full, _reduced(full, pi), len(units)), 0.0)
    for u, unit in enumerate(units):
        bound[unit.destination] += float(best[u])
    return bound, everyone


def plan(
    problem: Problem,
    *,
    time_limit: float,
    seed: int,
    target_gap: float = 1e-3,
    neighbourhood: int = 400,
    shortlist: int = 6,
) -> PlanResult:
    """Plan who takes which departure, least person-days at risk first.

    ``time_limit`` (seconds) bounds the whole call; ``seed`` fixes HiGHS' random
    choices so equal inputs give equal plans (unless a time limit cuts a solve
    short). Improvement stops once the proven gap is at most ``target_gap``.
    ``neighbourhood`` units, each with its ``shortlist`` best-priced departures,
    are re-solved exactly in the first round; both double each further round.
    """
    if isinstance(time_limit, bool) or not isinstance(time_limit, int | float) or not (
        time_limit > 0
    ):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if not 0 <= target_gap < 1:
        raise ValueError(f"target_gap must be within [0, 1), got {target_gap!r}")
    if neighbourhood < 1 or shortlist < 1:
        raise ValueError("neighbourhood and shortlist must be >= 1")
    t0 = time.perf_counter()
    # HiGHS may overrun a limit slightly; keep a little back to return on time.
    deadline = time_limit - min(0.5, 0.05 * time_limit)

    def left() -> float:
        return deadline - (time.perf_counter() - t0)

    units = build_units(problem)
    active = [u for u, unit in enumerate(units) if unit.eligible]
    full = _build(problem, units, active, _capacity(problem))
    lp = _solve_lp(full, len(units), seed, max(left(), 0.01) * 0.6)
    ub = lp.bound
    everyone = problem.horizon_day * sum(c.weight for c in problem.cases)
    steps = ["lp" if lp.x is not None else "lp-unfinished"]
    log.debug("lp: %d vars, %.2fs", len(full.gain), time.perf_counter() - t0)

    def gap_of(chosen: dict[int, int]) -> float:
        value = everyone - _savings(problem, units, chosen)
        bound = everyone - ub
        return (value - bound) / max(bound, 1e-9)

    # 1. start from what the LP placed whole (the base), then fill what is left
    cap = _capacity(problem)
    base: dict[int, int] = {}
    if lp.x is not None:
        for v in np.flatnonzero(lp.x > 1 - 1e-6).tolist():
            u, j = int(full.var_unit[v]), int(full.var_dep[v])
            if u not in base and _fits_on(units[u], j, cap):
                base[u] = j
                _take(units[u], j, cap)
    chosen = dict(base)
    _fill(problem, units, chosen, cap)

    if lp.x is None and left() > 0.5:
        # The LP did not finish: subgradient prices give a bound and a frontier.
        ub, pi = _subgradient(full, len(units), _savings(problem, units, chosen), 0.5 * left())
        lp = _Lp(None, ub, pi)
        steps.append("subgradient")

    # 2. re-solve a growing neighbourhood of the price frontier exactly
    frontier = _frontier(full, lp, units)
    dest_bound, dest_everyone = _split_bound(problem, full, lp.pi, units)
    size, k = neighbourhood, shortlist
    max_k = max((len(unit.eligible) for unit in units), default=0)
    small = len(full.gain) <= neighbourhood * shortlist
    if small:  # cheap enough to solve whole, and so to prove optimal
        size, k = len(frontier.order), max_k
    rounds = 0
    while (
        (small and rounds == 0) or gap_of(chosen) > target_gap
    ) and left() > 0.05 and frontier.order:
        free = frontier.order[:size]
        free_set = set(free)
        everything = len(free) == len(frontier.order) and k >= max_k
        cap = _capacity(problem)
        # Fixed: the LP's whole placements outside the neighbourhood (not the greedy
        # fill, which would take the room the split units need).
        kept = {u: j for u, j in base.items() if u not in free_set}
        for u, j in kept.items():
            _take(units[u], j, cap)
        allowed: dict[int, set[int]] = {u: set() for u in free}
        for v in np.flatnonzero(frontier.rank < k).tolist():
            u = int(full.var_unit[v])
            if u in free_set:
                allowed[u].add(int(full.var_dep[v]))
        for u in free:
            if u in chosen:
                allowed[u].add(chosen[u])
        sub = _build(problem, units, free, cap, allowed)
        start = {u: chosen[u] for u in free if u in chosen}
        # Each round may use a share of what is left; it only needs to close part
        # of the remaining slack, not to prove its own optimality.
        slack = 0.2 * target_gap * max(everyone - ub, 0.0)
        budget = min(left(), max(2.0, _ROUND_SHARE * left()))
        kept_savings = _savings(problem, units, kept)
        enough: float | None = ub - target_gap * max(everyone - ub, 0.0) - kept_savings
        if everything:  # the whole problem: worth proving optimal when small
            enough, slack = None, 1e-7 * max(everyone - ub, 0.0)
        by_dest: dict[str, list[int]] = {}
        for u in free:
            by_dest.setdefault(units[u].destination, []).append(u)
        if everything or len(by_dest) == 1 or not _SPLIT_BY_DESTINATION:
            found, dual = _mip(sub, seed + rounds, max(budget, 0.01), slack, start, enough)
        else:
            # Destinations never share a departure, so the neighbourhood falls apart
            # into independent MIPs, each far easier than their sum; each must close
            # its own share of the gap (then the whole does).
            found, dual = {}, None
            t_round = time.perf_counter()
            for dest in sorted(by_dest):
                part = _build(problem, units, by_dest[dest], cap, allowed)
                if len(part.gain) == 0:
                    continue
                ub_d, everyone_d = dest_bound[dest], dest_everyone[dest]
                kept_d = sum(
                    units[u].weight * (problem.horizon_day - problem.departures[j].day)
                    for u, j in kept.items()
                    if units[u].destination == dest
                )
                spent = time.perf_counter() - t_round
                share = len(part.gain) / max(len(sub.gain), 1)
                found_d, _ = _mip(
                    part,
                    seed + rounds,
                    max(min(budget - spent, max(0.5, budget * share)), 0.01),
                    0.2 * target_gap * max(everyone_d - ub_d, 0.0),
                    {u: j for u, j in start.items() if units[u].destination == dest},
                    ub_d - target_gap * max(everyone_d - ub_d, 0.0) - kept_d,
                )
                found.update(found_d)
        rounds += 1
        steps.append(f"mip({len(free)}x{k})")
        candidate = dict(kept)
        for u, j in found.items():
            if _fits_on(units[u], j, cap):
                candidate[u] = j
                _take(units[u], j, cap)
        _fill(problem, units, candidate, cap)
        if _savings(problem, units, candidate) > _savings(problem, units, chosen):
            chosen = candidate
        log.debug(
            "round %d: %d units x %d departures, %d vars, gap %.6f, %.2fs",
            rounds, len(free), k, len(sub.gain), gap_of(chosen), time.perf_counter() - t0,
        )
        if everything:
            if dual is not None:  # the sub-MIP was the whole problem: its bound holds
                ub = min(ub, dual)
            break
        size, k = int(size * _GROW_UNITS), k + _GROW_SHORTLIST
    steps.append("fill")
    return _result(problem, units, chosen, ub, time.perf_counter() - t0, "+".join(steps))
