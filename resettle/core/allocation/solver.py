"""Solve an allocation problem: persons placed first, then total score, with a proven bound.

Method (see docs/allocation.md for the reasoning and measured figures):

1. Linked cases (``together``) are merged into one unit with union-find; a unit may go only
   where every member may go, its score is the members' sum.  Locked units get a single
   column and must be placed (locks that cannot all fit are reported, not forced).
2. The LP relaxation is solved with HiGHS in two phases: maximise persons, then maximise
   score with persons held at the LP maximum.  Big instances start from each unit's best
   few destinations and add columns with positive reduced cost (column generation), so a
   household is never dropped because pruning hid the destination that had room.
3. From the LP duals every column gets a reduced cost.  A Lagrangian argument shows that a
   solution using a column with reduced cost below ``-delta`` (or leaving out a unit whose
   row price exceeds ``delta``) scores at most ``bound - delta``.  So a MIP restricted to the
   columns within ``delta`` of the LP optimum is exact for any solution closer than
   ``delta`` to the bound; when the incumbent's gap is below ``delta`` it is proven optimal.
   If the first, narrow MIP leaves a gap, ``delta`` is widened to that gap (exact).
4. A rounding of the LP (integral units kept, then a small MIP over the units left out,
   in the capacity left, then greedy) is the MIP's start and the fallback if the time
   budget runs out.  When places are short and the rounding lost persons, a "fill" MIP
   frees the households at destinations with places left (and the unplaced ones) so the
   places are filled exactly, and ejection chains (``chains.py``) place most of the
   households still left out by moving others out of their way.
5. On big instances (above 30,000 columns) the restricted MIP gets a share of the time and
   a large-neighbourhood search re-solves a few destinations at a time with the rest.
6. Between the steps, households of one kind (same usage, same persons) are re-seated
   among the places their kind holds, exactly, as a min-cost flow: no capacity changes.

The bound reported is valid for the whole problem, whatever pruning was used: it is
computed from dual prices completed over all columns.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from resettle.core.allocation.chains import place_by_chains, place_by_routes
from resettle.core.allocation.model import (
    PERSONS,
    AllocationProblem,
    AllocationResult,
    Alternative,
    Explanation,
    Status,
    relative_gap,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_INF = highspy.kHighsInf
_TOL = 1e-7
_HEURISTIC_EFFORT = 0.002
_MIN_MIP_SECONDS = 0.05
"""A MIP always gets this much; steps that would get less are not started."""
_MIP_GRACE_SECONDS = 0.03
"""How long past its give-up instant (``give_up`` of ``_solve_mip``) a MIP is waited for
before the solver goes on without it (``_run_until``; the time kept back for writing the
answer up covers it).
HiGHS honours its limit and interrupt only between steps; its root primal heuristics
(line-search rounding with conflict propagation, the reduced-cost sub-MIP) run to their
end, and took 5 s on a 6,000-column restricted MIP given 2.7 s (4,000 x 10, places short,
a start within 2e-5 of the root bound).  Normally a MIP returns within 0.03 s of its stop
(42 solves of 0.3-1.2 s on 3000 x 50: the whole solve at most 0.032 s past its deadline)."""
_MIP_SHARE_GRACE = 0.2
"""A restricted MIP that shares the time with the search is waited for this share of the
search's time past its own (over 28 instances of four families at 5 s none ran more than
0.1 s past it; one that ignores its limit is left behind, ``_run_until``)."""
_WIDER_ROUND_SHARE = 0.5
"""A restricted-MIP round narrowed to fit (``_columns_that_fit``) is sized to end in this
share of the MIP's time left, at the pace of the round before it."""
_MIP_THREAD = "resettle-mip"
"""The name of the threads MIPs run in (``_run_until``)."""
_CHAINS_LEAVE = 2
"""Persons short of the bound at which the ejection chains stop."""
_ROUTES_TO_BOUND_SECONDS = 1.5
"""Below this much time left, the routes go on to the persons bound."""
_MIP_ROOT_LPS = 4.5
"""A restricted MIP starts only with this many first-LP times left.  Its root (presolve,
LP, cut rounds) runs to its end whatever the time limit: on 3000 x 50 with places short
0.4-0.6 s, 2.5-4.5 times the first LP; one started with 0.27 s left ended 0.16 s late."""
_ROUNDING_SECONDS_PER_UNIT = 2.5e-5
"""Kept back from the LP for the rounding and greedy fill that make its solution whole
(0.04-0.07 s for 3,000 households)."""
_LNS_GROWTH = 2
"""While persons are short, neighbourhoods grow, one destination per sweep without
improvement, to this many times their first size; the search for the score goes on
growing while there is time."""
_PRESOLVE_MAX_COLUMNS = 10_000
"""Above this many columns a MIP runs without HiGHS's presolve, which does not stop at the
time limit (see ``_solve_mip``)."""
_LP_WEIGHT_FACTOR = 10.0
"""The weighted LP's persons weight, as a multiple of the MIPs' (1 + 2 max|score|): with a
capacity counted in fractions (a budget), the LP traded fractions of a person for score at
the lower weight, and the persons and score passes after it took 0.8 s and 4.0 s (5,400
and 24,000 pivots) instead of 0.01 s and 0.24 s; no change elsewhere."""
_PRIMAL_PIVOTS_PER_UNIT = 0.02
"""The score pass uses the primal simplex from the persons pass's basis when that pass took
at most this many pivots per household (usually none); after more, the basis is far from
the score optimum and the dual simplex is quicker (1.0 s against 3.8 s with signed scores
and a budget counted in fractions)."""
_PRIMAL_NEW_COLUMNS_PER_UNIT = 0.1
"""A round of column generation that brings in at most this many columns per household
re-solves with the primal simplex: the basis stays primal feasible and only the new columns
price out, where the dual simplex flips each to its upper bound and repairs (3000 x 50 with
places for every person: 2,757 and 2,858 pivots, 0.6 s each, for 46 and 2 new columns; 391
and 20 by the primal simplex; the weighted LP 3.4 s -> 2.4 s).  After many new columns the
dual simplex stays the quicker (6,553 new columns: 0.62 s against 3.8 s)."""
_ROOT_SECONDS_PER_COLUMN = 2e-4
"""What the root of a wider restricted MIP without presolve may take per column: its cut
rounds do not stop at the time limit, and scaling the last round's time by the columns
can miss by far (scores 0 or 1 on 3000 x 50: a round of 6,160 columns took 0.18 s, the
next over all 46,946 then 9.6 s on 5.5 s left, 9.4 s of them in the root's cut rounds)."""
_CUT_POOL_LIMIT = 50
"""HiGHS keeps up to 10,000 cuts by default; on these assignment models its root then spends
most of a second separating them before the sub-MIP heuristic that finds the solutions.
Measured on 3000 x 50: the fill's MIP (places short, sparse) 1.2 s -> 0.4 s for the same
answer, so the persons search that follows has the time it needs."""


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """Knobs of the method; the defaults are tuned on bench/bench_allocation.py."""

    column_generation_columns: int = 10_000
    """Above this many columns, the LP starts from each unit's best few and prices the rest
    (3000 x 50: 1.5-2.5 times faster than the whole LP)."""
    initial_columns_per_unit: int = 2
    columns_added_per_unit: int = 4
    restricted_mip_columns: int = 12_000
    """Extra columns (beyond one per unit) the first restricted MIP may see."""
    max_restricted_mip_columns: int = 400_000
    optimality_gap: float = 1e-6
    """Relative gap under which the score counts as optimal."""
    lns_min_columns: int = 30_000
    """Below this many columns the restricted MIP gets all the time while persons are
    short (it finds them; above, it seldom finishes and the search shares the time)."""
    lns_units: int = 300
    """Households freed per neighbourhood of the large-neighbourhood search (about)."""
    lns_mip_seconds: float = 1.0
    """Time cap of one neighbourhood MIP."""
    fill_units: int = 2_000
    """The fill runs only when the destinations with places left hold at most this many."""
    chain_share: float = 0.3
    """Share of the time left for the ejection chains after the fill (persons short)."""
    fill_share: float = 0.45
    """Share of the time left for the persons-first fill after rounding (places short)."""
    lns_persons_share: float = 0.9
    """Share of the time left for neighbourhoods that place the last persons, before the
    restricted MIP (persons still short after the fill; the search stops at their bound).
    Persons come first, and a restricted MIP with a few tenths of a second seldom finds
    anything: on a sparse 3000 x 50 instance at 1.28 s, 0.9 reached CBC's persons in 11 of
    12 runs, 0.7 in 9 of 12, with the dense instances unchanged."""
    mip_time_share: float = 0.6
    """Share of the time left that the restricted MIP may use when the search follows."""

    def __post_init__(self) -> None:
        for name in (
            "column_generation_columns",
            "initial_columns_per_unit",
            "columns_added_per_unit",
            "restricted_mip_columns",
            "max_restricted_mip_columns",
            "lns_min_columns",
            "lns_units",
            "fill_units",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if not (isinstance(self.lns_mip_seconds, int | float) and self.lns_mip_seconds > 0):
            raise ValueError("lns_mip_seconds must be a positive number of seconds")
        for name in ("mip_time_share", "chain_share", "fill_share", "lns_persons_share"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1]")
        if not 0 <= self.optimality_gap < 1:
            raise ValueError("optimality_gap must be in [0, 1)")


# --------------------------------------------------------------------------- preprocessing


@dataclass(slots=True)
class _Instance:
    """Array form of a problem: units (merged linked cases) and their columns."""

    dest_ids: list[str]
    dims: list[str]
    capacity: FloatArray  # [n_dest, n_dims], inf when unbounded
    unit_cases: list[list[int]]
    unit_persons: FloatArray
    unit_usage: FloatArray  # [n_units, n_dims]
    unit_forced: BoolArray  # locked units that must be placed
    col_unit: IntArray
    col_dest: IntArray
    col_score: FloatArray
    unit_reason: dict[int, str] = field(default_factory=dict)
    unit_lock: dict[int, int] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        return len(self.unit_cases)

    @property
    def n_cols(self) -> int:
        return int(self.col_unit.shape[0])


def _union_find(n: int, groups: Sequence[Sequence[int]]) -> list[int]:
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in groups:
        if not group:
            continue
        root = find(group[0])
        for member in group[1:]:
            other = find(member)
            if other != root:
                parent[other] = root
    return [find(i) for i in range(n)]


def _build_instance(problem: AllocationProblem) -> _Instance:
    dest_ids = [d.id for d in problem.destinations]
    dest_index = {d: i for i, d in enumerate(dest_ids)}
    dims = sorted({k for d in problem.destinations for k in d.capacity} | {PERSONS})
    dim_index = {k: i for i, k in enumerate(dims)}
    n_dest, n_dims = len(dest_ids), len(dims)
    capacity = np.full((n_dest, n_dims), np.inf)
    for i, dest in enumerate(problem.destinations):
        for k, value in dest.capacity.items():
            capacity[i, dim_index[k]] = value

    case_index = {c.id: i for i, c in enumerate(problem.cases)}
    roots = _union_find(len(problem.cases), [[case_index[c] for c in g] for g in problem.together])
    members: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        members.setdefault(root, []).append(i)
    unit_cases = list(members.values())
    n_units = len(unit_cases)

    unit_persons = np.zeros(n_units)
    unit_usage = np.zeros((n_units, n_dims))
    unit_forced = np.zeros(n_units, dtype=bool)
    unit_reason: dict[int, str] = {}
    unit_lock: dict[int, int] = {}
    col_unit: list[int] = []
    col_dest: list[int] = []
    col_score: list[float] = []
    cases = problem.cases
    for u, idx in enumerate(unit_cases):
        for i in idx:
            for k, value in cases[i].usage.items():
                if k in dim_index:
                    unit_usage[u, dim_index[k]] += value
            unit_persons[u] += cases[i].persons
        locks = {cases[i].locked for i in idx if cases[i].locked is not None}
        if len(idx) == 1:
            scores = dict(cases[idx[0]].scores)
        else:
            common = set(cases[idx[0]].scores)
            for i in idx[1:]:
                common &= set(cases[i].scores)
            # in the first case's order, not the set's: that one changes with the process's
            # string hashing, and so would the columns and the answer for the same seed
            scores = {
                d: sum(cases[i].scores[d] for i in idx)
                for d in cases[idx[0]].scores
                if d in common
            }
        if len(locks) > 1:
            unit_reason[u] = "linked households are locked to different destinations: " + (
                ", ".join(sorted(str(x) for x in locks))
            )
            continue
        if locks:
            lock = next(iter(locks))
            assert lock is not None
            unit_lock[u] = dest_index[lock]
            if lock not in scores:
                unit_reason[u] = f"locked to {lock}, which is not compatible" + (
                    " with all linked households" if len(idx) > 1 else ""
                )
                continue
            scores = {lock: scores[lock]}
            unit_forced[u] = True
        if not scores:
            unit_reason[u] = (
                "linked households have no compatible destination in common"
                if len(idx) > 1
                else "no compatible destination"
            )
            continue
        col_unit.extend([u] * len(scores))
        col_dest.extend(dest_index[dest_id] for dest_id in scores)
        col_score.extend(scores.values())
    # a column exists only where the unit fits the destination's capacity at all; checked
    # for all columns at once (one check per column cost 0.3 s on 100,000 columns)
    units = np.asarray(col_unit, dtype=np.int64)
    dests = np.asarray(col_dest, dtype=np.int64)
    fits = np.all(unit_usage[units] <= capacity[dests] + 1e-9, axis=1)
    offered = np.zeros(n_units, dtype=bool)
    offered[units] = True
    fitting = np.zeros(n_units, dtype=bool)
    fitting[units[fits]] = True
    for u in np.flatnonzero(offered & ~fitting).tolist():
        unit_reason[u] = "too large for the capacity of every compatible destination"
        unit_forced[u] = False
    return _Instance(
        dest_ids=dest_ids,
        dims=dims,
        capacity=capacity,
        unit_cases=unit_cases,
        unit_persons=unit_persons,
        unit_usage=unit_usage,
        unit_forced=unit_forced,
        col_unit=units[fits],
        col_dest=dests[fits],
        col_score=np.asarray(col_score, dtype=np.float64)[fits],
        unit_reason=unit_reason,
        unit_lock=unit_lock,
    )


def _fits(inst: _Instance, resid: FloatArray, u: int, d: int) -> bool:
    return bool(np.all(inst.unit_usage[u] <= resid[d] + 1e-9))


def _admit_locks(inst: _Instance) -> None:
    """Keep locks hard only while they fit together; report the locks that cannot.

    Every solution holds the admitted locks, so a column that does not fit in the room
    they leave can never be chosen: dropping it is exact and tightens the LP (a 3000 x 50
    instance with 55 locks: the persons bound 8,745 -> 8,740, the proven maximum, where
    the search had spent the time chasing five persons that could not be placed).
    """
    resid = inst.capacity.copy()
    forced = np.flatnonzero(inst.unit_forced)
    order = sorted(forced.tolist(), key=lambda u: -inst.unit_persons[u])
    for u in order:
        d = inst.unit_lock[u]
        if _fits(inst, resid, u, d):
            resid[d] -= inst.unit_usage[u]
        else:
            inst.unit_forced[u] = False
            inst.unit_reason[u] = (
                f"locked to {inst.dest_ids[d]}, but its capacity is taken by other locked "
                "households"
            )
    has_reason = np.zeros(inst.n_units, dtype=bool)
    has_reason[list(inst.unit_reason)] = True
    dropped = has_reason[inst.col_unit]
    fits_beside_locks = np.all(
        inst.unit_usage[inst.col_unit] <= resid[inst.col_dest] + 1e-9, axis=1
    )
    keep = ~dropped & (inst.unit_forced[inst.col_unit] | fits_beside_locks)
    if keep.all():
        return
    offered = np.zeros(inst.n_units, dtype=bool)
    offered[inst.col_unit[~dropped]] = True
    inst.col_unit = inst.col_unit[keep]
    inst.col_dest = inst.col_dest[keep]
    inst.col_score = inst.col_score[keep]
    left = np.zeros(inst.n_units, dtype=bool)
    left[inst.col_unit] = True
    for u in np.flatnonzero(offered & ~left).tolist():
        inst.unit_reason[u] = (
            "no room left beside the households locked at its compatible destinations"
        )


# --------------------------------------------------------------------------- LP


_BANNER_LOCK = threading.Lock()
_banner_shown = False


def _construct_highs() -> highspy.Highs:
    """``highspy.Highs()``, with the copyright banner HiGHS prints on the process's first
    construction sent to /dev/null: it is written straight to file descriptor 1, before
    any option can silence it, and would break JSON piped from the command line."""
    global _banner_shown
    with _BANNER_LOCK:
        if _banner_shown:
            return highspy.Highs()  # type: ignore[no-untyped-call]
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
            ctypes.CDLL(None).fflush(None)  # C stdio buffer, before fd 1 comes back
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _banner_shown = True
        return h


def _new_highs(seed: int) -> highspy.Highs:
    """A silent HiGHS instance seeded from the caller's seed (its only randomness)."""
    h = _construct_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
    return h


@dataclass(slots=True)
class _Duals:
    unit: FloatArray  # household rows (completed over all columns)
    cap: FloatArray  # [n_dest, n_dims], >= 0
    persons: float  # <= 0 (a >= row in a maximisation)
    bound: float  # Lagrangian dual bound over all columns


class _MasterLP:
    """The LP relaxation over a growing set of columns, kept warm between solves."""

    def __init__(self, inst: _Instance, seed: int) -> None:
        self.inst = inst
        n_u, n_d, n_k = inst.n_units, len(inst.dest_ids), len(inst.dims)
        self.cap_row = inst.n_units + np.arange(n_d * n_k, dtype=np.int64).reshape(n_d, n_k)
        self.persons_row = inst.n_units + n_d * n_k
        self.h = _new_highs(seed)
        row_lo = np.full(self.persons_row + 1, -_INF)
        row_hi = np.empty(self.persons_row + 1)
        row_hi[:n_u] = 1.0
        row_lo[:n_u][inst.unit_forced] = 1.0
        caps = inst.capacity.reshape(-1)
        row_hi[n_u : n_u + n_d * n_k] = np.where(np.isfinite(caps), caps, _INF)
        row_hi[self.persons_row] = _INF
        empty_i = np.zeros(0, dtype=np.int32)
        self.h.addRows(len(row_lo), row_lo, row_hi, 0, empty_i, empty_i, np.zeros(0))
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.cols = np.zeros(0, dtype=np.int64)  # global column ids in the master
        self.in_master = np.zeros(inst.n_cols, dtype=bool)
        self.cost_all = inst.unit_persons[inst.col_unit]
        self.pivots = 0  # simplex iterations over all runs
        self.primal = False

    def add(self, cols: IntArray) -> None:
        cols = cols[~self.in_master[cols]]
        if cols.size == 0:
            return
        inst = self.inst
        units, dests = inst.col_unit[cols], inst.col_dest[cols]
        n_k = len(inst.dims)
        rows = np.full((cols.size, n_k + 2), -1, dtype=np.int64)
        vals = np.zeros((cols.size, n_k + 2))
        rows[:, 0] = units
        vals[:, 0] = 1.0
        usage = inst.unit_usage[units]
        finite = np.isfinite(inst.capacity[dests])
        use = (usage > 0) & finite
        rows[:, 1 : n_k + 1] = np.where(use, self.cap_row[dests], -1)
        vals[:, 1 : n_k + 1] = usage
        rows[:, n_k + 1] = self.persons_row
        vals[:, n_k + 1] = inst.unit_persons[units]
        keep = rows >= 0
        counts = keep.sum(axis=1)
        starts = np.zeros(cols.size, dtype=np.int32)
        starts[1:] = np.cumsum(counts)[:-1]
        self.h.addCols(
            int(cols.size),
            self.cost_all[cols],
            np.zeros(cols.size),
            np.ones(cols.size),
            int(keep.sum()),
            starts,
            rows[keep].astype(np.int32),
            vals[keep],
        )
        self.cols = np.concatenate([self.cols, cols])
        self.in_master[cols] = True

    def set_cost(self, cost_all: FloatArray) -> None:
        self.cost_all = cost_all
        idx = np.arange(self.cols.size, dtype=np.int32)
        self.h.changeColsCost(int(self.cols.size), idx, cost_all[self.cols])

    def set_simplex(self, *, primal: bool) -> None:
        """Which simplex the next solves use: the primal one when the basis stays primal
        feasible, that is, when only the costs change or a few columns come in.  HiGHS's dual
        simplex then starts over from a dual infeasible basis: the score LP after the
        weighted one took 0.26-0.40 s on 3000 x 50 instances with 40,000-73,000 columns,
        the primal simplex 0.015-0.026 s for the same optimum.  From scratch, or after
        many new columns, the primal simplex is the slow one (4.8 s against 0.4 s).
        """
        self.h.setOptionValue("simplex_strategy", 4 if primal else 1)
        self.primal = primal

    def require_persons(self, minimum: float) -> None:
        self.h.changeRowBounds(int(self.persons_row), float(minimum), _INF)

    def run(self, time_limit: float) -> bool:
        # HiGHS counts its time limit from the object's creation, across runs
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.01, float(time_limit)))
        self.h.run()
        if self.h.getModelStatus() == highspy.HighsModelStatus.kUnknown:
            # after new columns, HiGHS sometimes ends with its dual solution not confirmed
            # feasible (3000 x 50, the fourth pass: 7 new columns, 0.012 s); run again from
            # where it stopped, it confirms the optimum at once (0.008 s).  Before, the
            # whole LP counted as stopped by time and its bounds came out loose.
            self.h.run()
        self.pivots += int(self.h.getInfo().simplex_iteration_count)
        return self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def values(self) -> FloatArray:
        return np.asarray(self.h.getSolution().col_value, dtype=np.float64)

    def duals(self, persons_lower: float) -> _Duals:
        """Row prices, made dual-feasible and completed over every column (valid bound)."""
        inst = self.inst
        y = np.asarray(self.h.getSolution().row_dual, dtype=np.float64)
        n_u, n_d, n_k = inst.n_units, len(inst.dest_ids), len(inst.dims)
        cap = np.maximum(y[n_u : n_u + n_d * n_k].reshape(n_d, n_k), 0.0)
        cap[~np.isfinite(inst.capacity)] = 0.0
        persons = min(float(y[self.persons_row]), 0.0) if persons_lower > -_INF else 0.0
        value = self.cost_all - _priced_usage(inst, cap, persons)
        unit = np.full(n_u, -np.inf)
        np.maximum.at(unit, inst.col_unit, value)
        unit = np.where(inst.unit_forced, unit, np.maximum(unit, 0.0))
        unit[~np.isfinite(unit)] = 0.0
        finite_caps = np.where(np.isfinite(inst.capacity), inst.capacity, 0.0)
        bound = float((cap * finite_caps).sum() + unit.sum())
        if persons_lower > -_INF:
            bound += persons * persons_lower
        return _Duals(unit=unit, cap=cap, persons=persons, bound=bound)


def _priced_usage(inst: _Instance, cap: FloatArray, persons: float) -> FloatArray:
    """Sum over capacity rows of price x usage for every column, plus the persons row."""
    out = persons * inst.unit_persons[inst.col_unit]
    for k in range(len(inst.dims)):
        prices = cap[:, k]
        if not np.any(prices):
            continue
        out += prices[inst.col_dest] * inst.unit_usage[inst.col_unit, k]
    return out


def _reduced_costs(inst: _Instance, cost_all: FloatArray, duals: _Duals) -> FloatArray:
    return cost_all - _priced_usage(inst, duals.cap, duals.persons) - duals.unit[inst.col_unit]


def _best_per_unit(inst: _Instance, key: FloatArray, k: int, mask: BoolArray) -> IntArray:
    """Indices of the ``k`` columns with the largest ``key`` for each unit, among ``mask``."""
    cand = np.flatnonzero(mask)
    if cand.size == 0:
        return cand
    order = cand[np.lexsort((-key[cand], inst.col_unit[cand]))]
    units = inst.col_unit[order]
    first = np.searchsorted(units, units, side="left")
    rank = np.arange(order.size) - first
    return np.asarray(order[rank < k], dtype=np.int64)


def _initial_key(inst: _Instance, seed: int) -> FloatArray:
    """The score, ties broken away from crowded destinations, at random among the crowded.

    With equal scores the first columns were every household's first two destinations, all
    crowded into the same few: the weighted LP took 2.35 s over two rounds of 18,800 pivots
    on a 3000 x 50 instance where every score is 1 (CBC needed 31 s).  Broken by how
    crowded a destination is (the demand of its compatible households, each spread evenly
    over its destinations, against its capacity, in the most crowded dimension), every
    household then picked the same least crowded ones (0.8 s); broken by that times a
    seeded random number, 0.24 s, and on instances with whole-number scores 0.12-0.31 s
    instead of 0.19-0.33 s.  Differences below 1e-6 only: the order of distinct scores stays.
    """
    n_d = len(inst.dest_ids)
    share = 1.0 / np.bincount(inst.col_unit, minlength=inst.n_units)[inst.col_unit]
    crowded = np.zeros(n_d)
    for k in range(len(inst.dims)):
        demand = np.bincount(
            inst.col_dest, weights=share * inst.unit_usage[inst.col_unit, k], minlength=n_d
        )
        cap = inst.capacity[:, k]
        finite = np.isfinite(cap)
        ratio = demand[finite] / np.maximum(cap[finite], 1e-9)
        crowded[finite] = np.maximum(crowded[finite], ratio)
    jitter = np.random.default_rng(seed).random(inst.n_cols)
    return inst.col_score - 1e-6 * crowded[inst.col_dest] * jitter


def _solve_lp(
    master: _MasterLP,
    cost_all: FloatArray,
    persons_lower: float,
    deadline: float,
    clock: Callable[[], float],
    add_per_unit: int,
) -> tuple[bool, _Duals]:
    """Solve the master, pricing in columns with positive reduced cost until none is left."""
    inst = master.inst
    master.set_cost(cost_all)
    master.require_persons(persons_lower)
    caller_primal = master.primal
    while True:
        ok = master.run(deadline - clock())
        master.set_simplex(primal=caller_primal)
        duals = master.duals(persons_lower)
        if not ok:
            return False, duals
        y = np.asarray(master.h.getSolution().row_dual, dtype=np.float64)
        raw_unit = y[: inst.n_units]
        rc = cost_all - _priced_usage(inst, duals.cap, duals.persons) - raw_unit[inst.col_unit]
        scale = 1e-6 * max(1.0, float(np.abs(cost_all).max(initial=1.0)))
        entering = (rc > scale) & ~master.in_master
        if not entering.any() or clock() >= deadline:
            return bool(not entering.any()), duals
        new = _best_per_unit(inst, rc, add_per_unit, entering)
        if new.size <= _PRIMAL_NEW_COLUMNS_PER_UNIT * inst.n_units:
            master.set_simplex(primal=True)
        master.add(new)


# --------------------------------------------------------------------------- rounding


def _round(inst: _Instance, master: _MasterLP, x: FloatArray, assign: IntArray) -> None:
    """Fill ``assign`` (unit -> column or -1) with the units the LP placed whole."""
    resid = inst.capacity.copy()
    cols = master.cols
    best_val = np.full(inst.n_units, -1.0)
    best_col = np.full(inst.n_units, -1, dtype=np.int64)
    units = inst.col_unit[cols]
    for j, u, v in zip(cols.tolist(), units.tolist(), x.tolist(), strict=True):
        if v > best_val[u]:
            best_val[u], best_col[u] = v, j
    # forced (locked) units first: they always fit together, see _admit_locks
    order = sorted(
        range(inst.n_units),
        key=lambda u: (not inst.unit_forced[u], -round(float(best_val[u]), 6),
                       -float(inst.unit_persons[u])),
    )
    for u in order:
        j = int(best_col[u])
        if inst.unit_forced[u]:
            # a locked unit has one column; the locks fit together (see _admit_locks)
            j = int(np.flatnonzero(inst.col_unit == u)[0])
        elif j < 0 or best_val[u] < 1 - 1e-6:
            continue
        d = int(inst.col_dest[j])
        if _fits(inst, resid, u, d):
            assign[u] = j
            resid[d] -= inst.unit_usage[u]


def _greedy_fill(inst: _Instance, resid: FloatArray, assign: IntArray) -> None:
    """Place leftover units (largest first, as persons come first) where they score best."""
    left = np.zeros(inst.n_units, dtype=bool)
    left[np.unique(inst.col_unit)] = True
    left[assign >= 0] = False
    if not left.any():
        return
    mask = left[inst.col_unit]
    cand = np.flatnonzero(mask)
    order = cand[np.lexsort((-inst.col_score[cand], inst.col_unit[cand]))]
    by_unit: dict[int, list[int]] = {}
    for j in order.tolist():
        by_unit.setdefault(int(inst.col_unit[j]), []).append(j)
    for u in sorted(by_unit, key=lambda u: (-inst.unit_persons[u], u)):
        cols = np.asarray(by_unit[u])
        dests = inst.col_dest[cols]
        # all of the unit's destinations at once: one check per column took 0.04 s of a
        # 0.68 s budget on 3000 x 50
        fits = np.flatnonzero(np.all(inst.unit_usage[u] <= resid[dests] + 1e-9, axis=1))
        if fits.size:
            assign[u] = int(cols[fits[0]])
            resid[int(dests[fits[0]])] -= inst.unit_usage[u]


# --------------------------------------------------------------------------- MIP


@dataclass(slots=True)
class _MipOutcome:
    assign: IntArray | None
    proven: bool
    dual_bound: float
    infeasible: bool


def _interrupt_at(h: highspy.Highs, stop: float) -> None:
    """Stop ``h`` at ``stop`` also inside its LP solves: HiGHS compares its time limit only
    between steps, its interrupt callbacks are asked during simplex iterations too.  They
    do not reach into the root's cut rounds (a MIP given 0.22 s still ran 0.44 s), which
    is why a restricted MIP is not started without time for its root (``_MIP_ROOT_LPS``)."""

    def interrupt(_kind: object, _message: str, _out: object, data_in: Any, _user: object) -> None:
        if time.perf_counter() >= stop:
            data_in.user_interrupt = True

    h.setCallback(interrupt, None)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt)


def _solve_mip(
    inst: _Instance,
    cols: IntArray,
    objective: FloatArray,
    persons_lower: float,
    must_place: BoolArray,
    start: IntArray,
    time_limit: float,
    seed: int,
    abs_gap: float,
    rel_gap: float,
    capacity: FloatArray | None = None,
    neighbourhood: bool = False,
    *,
    give_up: float,
) -> _MipOutcome:
    """Binary program over ``cols`` only; rows for units, used capacities and persons.

    ``neighbourhood=True`` suits the many small MIPs of the search: without HiGHS's
    presolve one took 10-13 ms instead of 18-26 ms on 3000 x 50.  No MIP here detects
    symmetry (parallel tasks at every start): in the search the slow ones became rarer
    without it (mean 34 -> 22 ms on a sparse instance; the persons bound in 6 of 6 runs at
    1.9 s instead of 4 of 6), and elsewhere it could outlast the time limit (below).
    ``give_up`` (a ``time.perf_counter`` instant: the solve's deadline, or a little past
    its share for a restricted MIP the search follows): a run still going then, or at its
    own stop if that is later, is left behind (``_run_until``).
    """
    n_u, n_d, n_k = inst.n_units, len(inst.dest_ids), len(inst.dims)
    units, dests = inst.col_unit[cols], inst.col_dest[cols]
    used_units = np.unique(units)
    unit_row = np.full(n_u, -1, dtype=np.int64)
    unit_row[used_units] = np.arange(used_units.size)
    n_rows_u = used_units.size
    cap_row = n_rows_u + np.arange(n_d * n_k, dtype=np.int64).reshape(n_d, n_k)
    persons_row = n_rows_u + n_d * n_k

    usage = inst.unit_usage[units]
    use = (usage > 0) & np.isfinite(inst.capacity[dests])
    rows = np.full((cols.size, n_k + 2), -1, dtype=np.int64)
    vals = np.zeros((cols.size, n_k + 2))
    rows[:, 0] = unit_row[units]
    vals[:, 0] = 1.0
    rows[:, 1 : n_k + 1] = np.where(use, cap_row[dests], -1)
    vals[:, 1 : n_k + 1] = usage
    rows[:, n_k + 1] = persons_row
    vals[:, n_k + 1] = inst.unit_persons[units]
    keep = rows >= 0
    counts = keep.sum(axis=1)
    starts = np.zeros(cols.size + 1, dtype=np.int32)
    starts[1:] = np.cumsum(counts)

    lp = highspy.HighsLp()
    lp.num_col_ = int(cols.size)
    lp.num_row_ = int(persons_row + 1)
    lp.col_cost_ = objective[cols]
    lp.col_lower_ = np.zeros(cols.size)
    lp.col_upper_ = np.ones(cols.size)
    row_lo = np.full(persons_row + 1, -_INF)
    row_hi = np.empty(persons_row + 1)
    row_hi[:n_rows_u] = 1.0
    row_lo[:n_rows_u][must_place[used_units]] = 1.0
    caps = (inst.capacity if capacity is None else capacity).reshape(-1)
    row_hi[n_rows_u:persons_row] = np.where(np.isfinite(caps), caps, _INF)
    row_lo[persons_row] = persons_lower
    row_hi[persons_row] = _INF
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = rows[keep].astype(np.int32)
    lp.a_matrix_.value_ = vals[keep]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * int(cols.size)

    local = np.full(inst.n_cols, -1, dtype=np.int64)
    local[cols] = np.arange(cols.size)
    start_cols = local[start[start >= 0]]
    values: FloatArray | None = None
    if start_cols.size and np.all(start_cols >= 0):
        # a complete start (zeros included): a partial one makes HiGHS solve a sub-MIP
        values = np.zeros(cols.size)
        values[start_cols] = 1.0
    stop = time.perf_counter() + max(_MIN_MIP_SECONDS, float(time_limit))
    presolve = not neighbourhood and cols.size <= _PRESOLVE_MAX_COLUMNS
    give_up = max(stop, give_up)
    h = _run_mip(lp, values, stop, seed, abs_gap, rel_gap, presolve, neighbourhood, give_up)
    if (
        h is not None and presolve and values is not None and time.perf_counter() < stop
        and _returned_the_start(h, lp, values)
    ):
        # HiGHS 1.16, given a start and presolve, can prove a better solution in the
        # presolved space and hand back the start instead (a fill MIP on 3000 x 50: whole
        # persons lost; found by the brute-force property test): solve again without presolve
        h = _run_mip(lp, values, stop, seed, abs_gap, rel_gap, False, neighbourhood, give_up)
    if h is None:
        return _MipOutcome(None, False, math.inf, False)  # given up on: nothing learnt
    status = h.getModelStatus()
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return _MipOutcome(None, True, -math.inf, True)
    has_solution = info.primal_solution_status == 2
    proven = status == highspy.HighsModelStatus.kOptimal
    dual_bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else math.inf
    if not has_solution:
        return _MipOutcome(None, False, dual_bound, False)
    xv = np.asarray(h.getSolution().col_value)
    assign = np.full(inst.n_units, -1, dtype=np.int64)
    chosen = cols[xv > 0.5]
    assign[inst.col_unit[chosen]] = chosen
    return _MipOutcome(assign, proven, dual_bound, False)


def _run_mip(
    lp: highspy.HighsLp,
    start: FloatArray | None,
    stop: float,
    seed: int,
    abs_gap: float,
    rel_gap: float,
    presolve: bool,
    neighbourhood: bool,
    give_up: float,
) -> highspy.Highs | None:
    """One HiGHS run of a model built by ``_solve_mip``, interrupted at ``stop``; None when
    it did not come back by ``give_up`` (and ``_MIP_GRACE_SECONDS``)."""
    h = _new_highs(seed)
    h.setOptionValue("time_limit", max(_MIN_MIP_SECONDS, stop - time.perf_counter()))
    _interrupt_at(h, max(stop, time.perf_counter() + _MIN_MIP_SECONDS))
    h.setOptionValue("mip_abs_gap", abs_gap)
    h.setOptionValue("mip_rel_gap", rel_gap)
    h.setOptionValue("mip_heuristic_effort", _HEURISTIC_EFFORT)
    h.setOptionValue("mip_pool_soft_limit", _CUT_POOL_LIMIT)
    # symmetry detection and presolve do not stop at the time limit: on a 10000 x 100
    # instance with every household counted, a repair MIP of 22,681 columns given 2 s spent
    # 54 s detecting symmetry and 16 s in presolve.  Symmetry changed no answer measured;
    # presolve helps small MIPs (a repair of 1,419 columns proven in 0.11 s with it, not in
    # 0.12 s without)
    h.setOptionValue("mip_detect_symmetry", False)
    if not presolve:
        h.setOptionValue("presolve", "off")
    if neighbourhood:
        # with a start always given, the heuristics that look for a first solution only
        # cost time (34 neighbourhoods of a 3000 x 50 search: 0.88 s -> 0.58 s, same answers)
        h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
        h.setOptionValue("mip_heuristic_run_root_reduced_cost", False)
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = start
        sol.value_valid = True
        h.setSolution(sol)
    return h if _run_until(h, give_up + _MIP_GRACE_SECONDS) else None


def _perf_time(instant: float, clock: Callable[[], float]) -> float:
    """``instant`` on ``clock`` as a ``time.perf_counter`` instant (HiGHS runs on the latter)."""
    return time.perf_counter() + (instant - clock())


def _run_until(h: highspy.Highs, give_up: float) -> bool:
    """Run ``h`` in a thread of its own; False if it is still running at ``give_up``.

    A run given up on is left to end at HiGHS's next check of its interrupt (already
    due), and is not touched again: the solver goes on with what it had, so a phase of
    HiGHS that ignores the time limit cannot make ``solve`` overrun its own.  The thread
    is not a daemon, so a process that exits waits for it instead of killing it inside
    HiGHS.
    """
    finished = threading.Event()

    def work() -> None:
        try:
            h.run()
        finally:
            finished.set()

    threading.Thread(target=work, name=_MIP_THREAD).start()
    return finished.wait(max(0.0, give_up - time.perf_counter()))


def runs_left_behind() -> bool:
    """Whether a MIP given up on (``_run_until``) is still running in this process."""
    return any(t.name == _MIP_THREAD and t.is_alive() for t in threading.enumerate())


def _returned_the_start(h: highspy.Highs, lp: highspy.HighsLp, start: FloatArray) -> bool:
    """The solution handed back is the start, while HiGHS reports a better objective."""
    info = h.getInfo()
    if info.primal_solution_status != 2:
        return False
    x = np.asarray(h.getSolution().col_value)
    if not np.array_equal(x > 0.5, start > 0.5):
        return False
    found = float(np.dot(lp.col_cost_, start))
    reported = float(info.objective_function_value)
    return reported > found + 1e-9 * max(1.0, abs(found))


# --------------------------------------------------------------------------- driver


def _totals(inst: _Instance, assign: IntArray) -> tuple[float, float]:
    placed = assign >= 0
    persons = float(inst.unit_persons[placed].sum())
    score = float(inst.col_score[assign[placed]].sum())
    return persons, score


def _score_step(scores: FloatArray) -> float:
    """The largest step every score is a whole multiple of (down to 0.0001), else 0.

    Every total score is then a multiple of it too, so a bound can be rounded down to
    it: with whole-number scores (ranked preferences, counts of ties) an LP bound of
    12392.35 proves 12392, and an answer of 12392 is optimal.
    """
    if scores.size == 0:
        return 0.0
    for digits in range(5):
        scaled = scores * 10.0**digits
        whole = np.round(scaled)
        if np.all(np.abs(scaled - whole) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            nonzero = np.abs(whole[whole != 0]).astype(np.int64)
            if nonzero.size == 0:
                return 0.0
            return float(np.gcd.reduce(nonzero)) / 10.0**digits
    return 0.0


def _round_down_to(bound: float, step: float) -> float:
    """``bound`` rounded down to a multiple of ``step`` (a hair of float error allowed)."""
    if step <= 0 or not math.isfinite(bound):
        return bound
    steps = bound / step
    return math.floor(steps + 1e-7 + 1e-12 * abs(steps)) * step


def _violations(inst: _Instance, assign: IntArray) -> str:
    used = np.zeros_like(inst.capacity)
    for u in np.flatnonzero(assign >= 0).tolist():
        used[int(inst.col_dest[assign[u]])] += inst.unit_usage[u]
    over = np.argwhere(used > inst.capacity + 1e-6)
    out = [f"{inst.dest_ids[d]} over {inst.dims[k]}" for d, k in over.tolist()]
    unplaced = np.flatnonzero(inst.unit_forced & (assign < 0))
    out += [f"locked unit {u} unplaced" for u in unplaced.tolist()[:3]]
    return "; ".join(out)


def solve(
    problem: AllocationProblem,
    *,
    time_limit: float,
    seed: int,
    explain: bool = False,
    options: SolveOptions | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> AllocationResult:
    """Assign cases to destinations: most persons first, then most score, within ``time_limit``.

    The result carries a proven upper bound on the score; ``status`` is ``optimal`` when
    the persons placed and the score both meet their bounds.  With the same ``seed`` and a
    time limit that does not bind, the result is identical from run to run.
    """
    if not isinstance(problem, AllocationProblem):
        raise TypeError("problem must be an AllocationProblem")
    if isinstance(time_limit, bool) or not (
        isinstance(time_limit, int | float) and time_limit > 0
    ):
        raise ValueError("time_limit must be a positive number of seconds")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError("seed must be a whole number")
    opts = options or SolveOptions()
    started = clock()
    # keep back a little time for writing the answer up (explanations, prices), so the
    # result is returned within the limit rather than just after it (explanations for
    # 3,000 households take about 0.09 s), and for a MIP stopped by its interrupt, which
    # can come some hundredths of a second after the deadline (0.97 s on 0.96 s)
    per_case = 4e-5 if explain else 1e-5
    reserve = min(0.25 * float(time_limit), 0.04 + per_case * len(problem.cases))
    deadline = started + float(time_limit) - reserve

    inst = _build_instance(problem)
    _admit_locks(inst)
    assign = np.full(inst.n_units, -1, dtype=np.int64)
    persons_bound = 0.0
    score_bound = 0.0
    method = "empty"
    prices = np.zeros_like(inst.capacity)
    integral_persons = bool(np.all(inst.unit_persons == np.round(inst.unit_persons)))

    if inst.n_cols:
        persons_bound, score_bound, method = _optimise(
            inst, opts, seed, deadline, clock, assign, prices, integral_persons
        )

    problems = _violations(inst, assign)
    if problems:
        raise RuntimeError(f"internal error, infeasible assignment: {problems}")
    persons, score = _totals(inst, assign)
    score_bound = max(score_bound, score)
    persons_bound = max(persons_bound, persons)
    # both bounds are proven whatever path produced them, so they alone decide the status
    optimal = (
        persons >= persons_bound - 1e-6
        and relative_gap(score, score_bound) <= opts.optimality_gap
    )
    status: Status = "optimal" if optimal else "feasible"
    if optimal:
        score_bound = score if relative_gap(score, score_bound) <= 1e-9 else score_bound
    assignments, unassigned, explanations = _describe(inst, assign, prices, explain, problem)
    price_map = {
        inst.dest_ids[d]: {
            inst.dims[k]: round(float(prices[d, k]), 6)
            for k in range(len(inst.dims))
            if prices[d, k] > 1e-9
        }
        for d in range(len(inst.dest_ids))
    }
    return AllocationResult(
        status=status,
        assignments=assignments,
        unassigned=unassigned,
        persons_placed=persons,
        score=score,
        bound_score=score_bound,
        bound_persons=persons_bound,
        solve_seconds=round(clock() - started, 4),
        method=method,
        prices={d: p for d, p in price_map.items() if p},
        explanations=explanations,
    )


def _optimise(
    inst: _Instance,
    opts: SolveOptions,
    seed: int,
    deadline: float,
    clock: Callable[[], float],
    assign: IntArray,
    prices: FloatArray,
    integral_persons: bool,
) -> tuple[float, float, str]:
    """The LP -> rounding -> restricted MIP pipeline; fills ``assign`` and ``prices``."""
    n_cols = inst.n_cols
    master = _MasterLP(inst, seed)
    colgen = n_cols > opts.column_generation_columns
    if colgen:
        first = _best_per_unit(
            inst, _initial_key(inst, seed), opts.initial_columns_per_unit,
            np.ones(n_cols, dtype=bool),
        )
        master.add(first)
    else:
        master.add(np.arange(n_cols, dtype=np.int64))

    # weighted LP (persons first through a large weight): fast, and nearly always already
    # lexicographic; then the pure persons LP (warm, usually no pivots) for a proven persons
    # bound; then the score LP with persons held at that maximum, for the score prices.
    persons_cost = inst.unit_persons[inst.col_unit]
    weight = 1.0 + 2.0 * float(np.abs(inst.col_score).max(initial=0.0))
    lp_weight = _LP_WEIGHT_FACTOR * weight
    add = opts.columns_added_per_unit
    # a lower bound on any solution's score (a unit left out scores 0), and the largest
    # score difference a unit can make
    unit_hi = np.zeros(inst.n_units)
    unit_lo = np.zeros(inst.n_units)
    np.maximum.at(unit_hi, inst.col_unit, inst.col_score)
    np.minimum.at(unit_lo, inst.col_unit, inst.col_score)
    s_min = float(unit_lo.sum())
    # the LP stops in time for the rounding and the greedy fill to make a solution of it
    lp_deadline = deadline - _ROUNDING_SECONDS_PER_UNIT * inst.n_units
    lp_started = clock()
    weighted = inst.col_score + lp_weight * persons_cost
    lp0_ok, duals0 = _solve_lp(master, weighted, -_INF, lp_deadline, clock, add)
    # a MIP over every unit cannot stop before its root LP, which costs about this much:
    # one started with less time left overran the limit (3000 x 50: 0.12 s on 0.05 s)
    lp_seconds = clock() - lp_started
    lp_ok = lp0_ok
    if lp0_ok:
        pivots_before = master.pivots
        lp1_ok, duals1 = _solve_lp(master, persons_cost, -_INF, lp_deadline, clock, add)
        persons_lp = float(master.h.getInfo().objective_function_value)
        persons_bound = duals1.bound
        if integral_persons:
            persons_bound = math.floor(persons_bound + 1e-6)
        # hold persons at the integer maximum the LP allows: the score bound is then the LP
        # optimum at that count, not a Lagrangian extrapolation from a fractional count
        persons_req = min(persons_lp, persons_bound) - 1e-9 * max(1.0, persons_lp)
        if master.pivots - pivots_before <= _PRIMAL_PIVOTS_PER_UNIT * inst.n_units:
            # the weighted optimum was persons first: its basis stays primal feasible
            master.set_simplex(primal=True)
        lp2_ok, duals2 = _solve_lp(master, inst.col_score, persons_req, lp_deadline, clock, add)
        prices[:] = duals2.cap
        lp_ok = lp1_ok and lp2_ok
    else:
        # out of time: the weighted LP's prices, made feasible, still bound every solution,
        # score + weight x persons <= B, so persons <= (B - s_min) / weight and the score
        # of a solution with p persons <= B - weight x p; written as the score LP's prices
        # with the weight as the price of a person.  Its capacity prices are in weighted
        # units and would mislead in explanations, so those stay at zero.
        persons_bound = (duals0.bound - s_min) / lp_weight
        if integral_persons:
            persons_bound = math.floor(persons_bound + 1e-6)
        persons_req = persons_bound
        duals2 = _Duals(
            unit=duals0.unit, cap=duals0.cap, persons=-lp_weight,
            bound=duals0.bound - lp_weight * persons_req,
        )
    x = master.values()
    _round(inst, master, x, assign)
    method = f"lp{'+colgen' if colgen else ''}({master.cols.size} cols)+rounding"
    # the repair gets a quarter of the time left, and is not worth starting on less
    if clock() < deadline - 4 * _MIN_MIP_SECONDS and _repair(
        inst, assign, weight, seed, deadline, clock
    ):
        method += "+repair"
    resid = inst.capacity.copy()
    for u in np.flatnonzero(assign >= 0).tolist():
        resid[int(inst.col_dest[assign[u]])] -= inst.unit_usage[u]
    _greedy_fill(inst, resid, assign)

    rc = _reduced_costs(inst, inst.col_score, duals2)
    fill_applies = False
    if _totals(inst, assign)[0] < persons_bound - 1e-6 and clock() < deadline:
        freed = _fill_scope(inst, assign, opts.fill_units)
        fill_applies = freed is not None
        # its MIP's root does not stop at the time limit, and costs up to about one LP
        # (3000 x 50: a fill started with 0.12 s left took 0.16 s); the chains go on
        if freed is not None and deadline - clock() >= lp_seconds and _fill(
            inst, assign, freed, rc, seed, opts.fill_share * (deadline - clock()),
            _perf_time(deadline, clock),
        ):
            method += "+fill"
    # the bulk of the persons still missing by ejection chains (milliseconds, where the
    # fill's MIP took tenths of a second for fewer); the last few are left to the
    # neighbourhoods, which place them without giving score away (chains placing the last
    # person cost 0.05-0.1 % of the score on a dense instance).  Only where the fill
    # applies: where it is too big (10000 x 100), so are the chains' passes over every unit
    classes = _usage_classes(inst)
    polish = _Polisher(inst, classes, deadline, clock)
    chain_target = persons_bound - _CHAINS_LEAVE
    if fill_applies and _totals(inst, assign)[0] < chain_target - 1e-6 and clock() < deadline:
        chains = place_by_chains(
            inst, assign, chain_target, clock() + opts.chain_share * (deadline - clock()),
            clock, seed,
        )
        if chains:
            method += f"+chains({chains})"
    # the last persons by routes too when little time is left: there the neighbourhoods
    # seldom find them (CBC's persons in 21 of 30 runs at CBC/20, 30 of 30 with routes);
    # given seconds they place them without the score routes give away (3000 x 50 mixed
    # at 5 s: 0.028-0.057 % from the bound, 0.045-0.104 % with routes to the bound)
    route_target = persons_bound - (
        0 if deadline - clock() < _ROUTES_TO_BOUND_SECONDS else _CHAINS_LEAVE
    )
    if fill_applies and _totals(inst, assign)[0] < route_target - 1e-6 and clock() < deadline:
        routes_deadline = clock() + opts.chain_share * (deadline - clock())
        routes = place_by_routes(
            inst, assign, route_target, routes_deadline, clock, seed, classes
        )
        if routes:
            method += f"+routes({routes})"

    def line_at(duals: _Duals, required: float, persons: float) -> float:
        """The score LP's bound at ``required`` persons, drawn to fewer persons through its
        price of a person (the score lost per extra person required, >= 0)."""
        return duals.bound - duals.persons * max(0.0, required - persons)

    lines = [(duals2, persons_req)]

    def bound_at(persons: float) -> float:
        return min(line_at(duals, required, persons) for duals, required in lines)

    def priced_bound_at(persons: float) -> float:
        """The bound of the prices ``rc`` comes from (the restricted MIP's proof needs it)."""
        return line_at(duals2, persons_req, persons)

    step = _score_step(inst.col_score)

    def good_enough(persons: float, score: float) -> bool:
        return persons >= persons_bound - 1e-6 and (
            relative_gap(score, _round_down_to(bound_at(persons), step))
            <= opts.optimality_gap
        )

    # MIP over the columns within delta of the LP optimum (reduced costs of the score LP),
    # persons first through the same weight as the LP; delta widened to the gap left.
    # On the full column set, the weight is made exact (above any score difference), so a
    # proven MIP also proves the persons maximum: s + W p <= B and s >= s_min give p.
    exact_weight = 1.0 + float((unit_hi - unit_lo).sum())
    polished = 0
    persons_now, score_now = _totals(inst, assign)
    # where the search applies (more destinations than one neighbourhood holds), the
    # restricted MIP gets only a share of the time (below): on big or short instances it
    # seldom finishes, and the neighbourhood search turns the rest into improvements
    search_fits = _lns_size(inst, opts) < len(inst.dest_ids)  # a neighbourhood < the whole
    held: tuple[_Duals, float] | None = None
    if lp_ok and persons_now < persons_req - 0.5 and deadline - clock() >= max(
        0.25 * lp_seconds, 0.3
    ):
        # persons short of the LP's count, perhaps out of its reach (a budget counted in
        # fractions: 25-34 short of the LP's 8,503 whatever the search does): the score LP
        # again at the persons placed, for its bound and prices there.  The line from the
        # LP's count fell far too slowly (21 % above the answer where the bound at the
        # count placed is 4.9-5.4 %).  Before the persons search, which takes most of the
        # time left; only a row bound changes, so the basis stays dual feasible and the
        # dual simplex needs a few pivots (0.05-0.2 s), but not with less than 0.3 s left
        # (it took 0.065 s of the 0.09 s the persons search needed at 0.68 s on 3000 x 50)
        master.set_simplex(primal=False)
        held_ok, held_duals = _solve_lp(master, inst.col_score, persons_now, deadline, clock, add)
        if held_duals.bound < bound_at(persons_now):
            # stopped or not, its prices completed over every column bound every solution
            # with as many persons (a budget counted in fractions at 5 s: stopped 0.4 s in,
            # 5.4-5.9 % above the answer, where the line from the LP's count stood at 24 %);
            # only a finished LP's prices guide the MIP below
            lines.append((held_duals, persons_now))
            if held_ok:
                held = (held_duals, persons_now)
    persons_searched = False
    if (
        fill_applies and search_fits and persons_now < persons_bound - 1e-6
        and clock() < deadline
    ):
        # the last few persons first, by neighbourhoods: the restricted MIP below then
        # works with persons held at their maximum and only the score to find (measured
        # on 3000x50 with places short: within 0.054 % of the bound in 5 s in half the
        # runs, against 2 of 11 when the MIP itself had to trade the last person against
        # score).  Also below the search's column threshold: with sparse compatibility
        # (15 %, 16,600 columns) the restricted MIP found the last persons in none of 4
        # runs, the search in most.  It stops as soon as persons meet their bound, so it
        # may have most of the time.  Only after a fill: where the fill is too big to run
        # (10000x100), the restricted MIP places the persons better itself (0.04-0.055 %
        # against 0.10 %).
        moves = _lns(
            inst, assign, rc, persons_bound, opts, seed,
            clock() + opts.lns_persons_share * (deadline - clock()), clock,
            lambda persons, _score: persons >= persons_bound - 1e-6, polish,
        )
        if moves:
            method += f"+lns-persons({moves})"
        persons_searched = True
    # the MIP below then starts from the best seating of what the steps above placed
    polished += polish(assign)
    persons_now, score_now = _totals(inst, assign)
    if held is not None and persons_searched and persons_now < persons_req - 0.5:
        # the search did not reach the LP's count either: the restricted MIP works with
        # the prices at the count placed (its proof uses the same line)
        duals2, persons_req = held
        prices[:] = duals2.cap
        rc = _reduced_costs(inst, inst.col_score, duals2)
    bound = bound_at(persons_now)

    def proven(persons: float, score: float) -> bool:
        """Persons and score both meet their bounds (``bound``: the best proven so far)."""
        return persons >= persons_bound - 1e-6 and (
            relative_gap(score, _round_down_to(bound, step)) <= opts.optimality_gap
        )

    # below lns_min_columns the restricted MIP gets all the time while persons are short
    # (it finds them: 3000 x 30 at 2 s, the bound in 3 of 3 runs, 6-7 persons short in 2 of
    # 3 when the search shared the time); once they meet their bound the search shares it
    # (a sparse 3000 x 50 at 2.4 s: 0.04-0.24 % below CBC's score instead of 0.19-0.47 %)
    mip_shares_time = search_fits and (
        inst.n_cols > opts.lns_min_columns or persons_now >= persons_bound - 1e-6
    )
    extra = min(opts.restricted_mip_columns, max(200, inst.n_units // 2))
    rounds = 0
    mip_deadline = (
        clock() + opts.mip_time_share * max(0.0, deadline - clock())
        if mip_shares_time
        else deadline
    )
    # a round still running a little past its share is left behind, and the search gets
    # the rest (4,000 x 10, places exactly full, at 3 s: a round given 1.6 s took 2.5 s in
    # HiGHS's root heuristics, which ignore the time limit, and left the search 0.2 s)
    mip_give_up = min(deadline, mip_deadline + _MIP_SHARE_GRACE * (deadline - mip_deadline))
    last_round = (0.0, 1)  # seconds and columns of the last round
    last_proven = False
    # the root rule guards the deadline itself; a root that runs past the MIP's share
    # only takes time from the search (3000 x 50 employment at 5 s: with the rule on the
    # share, 2.46 s against 2.57 s needed, no MIP and 0.035 % from the bound; 0.0057 %
    # with it)
    while (
        clock() < deadline - _MIP_ROOT_LPS * lp_seconds
        and clock() < mip_deadline - lp_seconds
        and rounds < 3
    ):
        persons_optimal = persons_now >= persons_bound - 1e-6
        if proven(persons_now, score_now):
            break
        if not persons_optimal and rounds > 0 and n_cols <= opts.max_restricted_mip_columns:
            cols, delta = np.arange(n_cols, dtype=np.int64), math.inf
        elif rounds == 0:
            cols, delta = _restricted_by_delta(inst, rc, assign, extra)
        else:
            delta = (priced_bound_at(persons_now) - score_now) * (1 + 1e-9) + 1e-9
            keep = rc >= -delta
            if int(keep.sum()) > opts.max_restricted_mip_columns:
                cols, delta = _restricted_by_delta(
                    inst, rc, assign, opts.max_restricted_mip_columns
                )
            else:
                keep[assign[assign >= 0]] = True
                cols = np.flatnonzero(keep).astype(np.int64)
        root_seconds = last_round[0] * cols.size / last_round[1]
        if rounds and cols.size > _PRESOLVE_MAX_COLUMNS:
            root_seconds = max(root_seconds, _ROOT_SECONDS_PER_COLUMN * cols.size)
        if mip_deadline - clock() < root_seconds:
            # a wider round's root alone takes about as much more as it has columns: one
            # with 6 times the columns of a 0.66 s round ran 1.37 s on 0.89 s left
            fit = _columns_that_fit(last_round, mip_deadline - clock())
            if not (rounds and last_proven and persons_optimal and fit >= 1.3 * last_round[1]):
                break
            # the last round was proven for its columns: a wider one, if not the whole
            # gap, is the only way on from it (3000 x 50, third family's configuration 5
            # at 6.6 s: a proven 4,323-column round, the exact one 24,200 columns, and the
            # search then proved 202 neighbourhoods with nothing better; a round of 7,900
            # columns found 3164.437 or CBC's optimum 3164.483, where 3164.348-3164.395)
            cols, delta = _restricted_by_delta(inst, rc, assign, fit - inst.n_units)
        rounds += 1
        round_started = clock()
        abs_gap = 0.5 * opts.optimality_gap * max(1.0, abs(bound))
        all_cols = cols.size >= n_cols
        if all_cols:
            # every column in (the selection by delta can take them all, with the current
            # ones): the MIP's own bound holds, not only the weaker one past delta
            delta = math.inf
        w_round = exact_weight if all_cols else weight
        objective = inst.col_score + w_round * persons_cost
        out = _MipOutcome(None, False, math.inf, True)
        if persons_optimal:
            # only units the start places: the start stays feasible (a weaker, still
            # valid restriction)
            must = inst.unit_forced | ((duals2.unit > delta) & (assign >= 0))
            out = _solve_mip(
                inst, cols, objective, persons_now, must, assign, mip_deadline - clock(), seed,
                abs_gap, 0.0, give_up=_perf_time(mip_give_up, clock),
            )
        if out.infeasible:
            out = _solve_mip(
                inst, cols, objective, persons_now, inst.unit_forced, assign,
                mip_deadline - clock(), seed, abs_gap, 0.0, give_up=_perf_time(mip_give_up, clock),
            )
        if out.assign is not None:
            p_new, s_new = _totals(inst, out.assign)
            if p_new > persons_now + 1e-9 or (
                p_new >= persons_now - 1e-9 and s_new > score_now + 1e-9
            ):
                assign[:] = out.assign
                persons_now, score_now = p_new, s_new
        # a bound for "persons >= p_old" still holds for "persons >= p_new >= p_old"
        bound = min(bound, bound_at(persons_now))
        if out.proven and not out.infeasible:
            restricted = out.dual_bound - w_round * persons_now
            lp_bound = priced_bound_at(persons_now)
            bound = min(bound, max(lp_bound - delta, restricted, score_now))
            if all_cols:
                proven_persons = (out.dual_bound - s_min) / w_round
                if integral_persons:
                    proven_persons = math.floor(proven_persons + 1e-6)
                persons_bound = min(persons_bound, max(proven_persons, persons_now))
        last_round = (clock() - round_started, max(1, int(cols.size)))
        last_proven = out.proven
        if all_cols:
            break
    if rounds:
        method += f"+mip({rounds} round{'s' * (rounds != 1)})"
    polished += polish(assign)
    # the search also takes the time a MIP could not have used, unless the MIP proved it
    # (``bound`` <= the LP's bound_at, so this also covers good_enough)
    if search_fits and clock() < deadline and not proven(*_totals(inst, assign)):
        moves = _lns(
            inst, assign, rc, persons_bound, opts, seed, deadline, clock, good_enough, polish,
            grow_while_time=True,
        )
        if moves:
            method += f"+lns({moves})"
            # a bound for "persons >= p_old" still holds for "persons >= p_new >= p_old"
            bound = min(bound, bound_at(_totals(inst, assign)[0]))
    if polished:
        method += f"+polish({polished})"
    if not lp_ok:
        method += " [LP stopped at time limit]"
    return persons_bound, _round_down_to(bound, step), method


def _repair(
    inst: _Instance,
    assign: IntArray,
    weight: float,
    seed: int,
    deadline: float,
    clock: Callable[[], float],
) -> bool:
    """Small MIP over the units left out by rounding, in the capacity that is left.

    Persons first (weight above any score the units could add), then score.
    """
    resid = inst.capacity.copy()
    for u in np.flatnonzero(assign >= 0).tolist():
        resid[int(inst.col_dest[assign[u]])] -= inst.unit_usage[u]
    left = assign[inst.col_unit] < 0
    fits = np.all(
        inst.unit_usage[inst.col_unit] <= resid[inst.col_dest] + 1e-9, axis=1
    )
    cols = np.flatnonzero(left & fits).astype(np.int64)
    if cols.size == 0:
        return False
    objective = inst.col_score + weight * inst.unit_persons[inst.col_unit]
    out = _solve_mip(
        inst, cols, objective, -_INF, np.zeros(inst.n_units, dtype=bool),
        np.full(inst.n_units, -1, dtype=np.int64), (deadline - clock()) * 0.25, seed,
        1e-3, 1e-6, capacity=resid, give_up=_perf_time(deadline, clock),
    )
    if out.assign is None:
        return False
    placed = out.assign >= 0
    assign[placed] = out.assign[placed]
    return bool(placed.any())


def _fill_scope(inst: _Instance, assign: IntArray, max_units: int) -> BoolArray | None:
    """The households the fill frees: all at destinations with a place left, and the
    unplaced ones; None when those destinations hold more than ``max_units``.

    On big instances nearly every destination has a place left: a MIP over all of them
    takes long (10,000 x 100: 10 s), and one over some of them, measured, left a start the
    restricted MIP could not bring back within 0.1 % of the bound; there the restricted
    MIP and the neighbourhood search place the persons.
    """
    pk = inst.dims.index(PERSONS)
    n_d = len(inst.dest_ids)
    placed = np.flatnonzero(assign >= 0)
    unit_dest = np.full(inst.n_units, -1, dtype=np.int64)
    unit_dest[placed] = inst.col_dest[assign[placed]]
    used = np.bincount(unit_dest[placed], weights=inst.unit_usage[placed, pk], minlength=n_d)
    room = inst.capacity[:, pk] - used >= 1.0 - 1e-9
    per_dest = np.bincount(unit_dest[placed], minlength=n_d)
    if int(per_dest[room].sum()) > max_units:
        return None
    freed = np.where(unit_dest >= 0, room[np.maximum(unit_dest, 0)], True)
    freed[list(inst.unit_reason)] = False
    return freed


def _fill(
    inst: _Instance,
    assign: IntArray,
    freed: BoolArray,
    rc: FloatArray,
    seed: int,
    time_limit: float,
    give_up: float,
) -> bool:
    """Persons-first MIP over the households ``_fill_scope`` frees.

    Rounding and repair keep every household the LP placed whole where it is; with places
    short the split ones then rarely fill the places left exactly (the LP leaves the large
    families out, and they do not fit the gaps).  Freeing every household at a destination
    with room, with its cheap columns (reduced cost among the 20 % nearest zero), lets
    households move between such destinations so the large ones fit.  The MIP is solved
    to half a score unit (persons exactly first), which is quick; the score is then the
    restricted MIP's and the neighbourhood search's job.  Returns whether it improved.
    """
    keep = freed[inst.col_unit] & _cheap_columns(rc)
    keep[assign[freed & (assign >= 0)]] = True
    cols = np.flatnonzero(keep).astype(np.int64)
    if cols.size == 0:
        return False
    fixed = np.flatnonzero(~freed & (assign >= 0))
    capacity = inst.capacity.copy()
    np.subtract.at(capacity, inst.col_dest[assign[fixed]], inst.unit_usage[fixed])
    objective = inst.col_score + _persons_first_weight(inst, cols) * inst.unit_persons[
        inst.col_unit]
    start = np.where(freed, assign, -1)
    out = _solve_mip(
        inst, cols, objective, -_INF, inst.unit_forced & freed, start, time_limit, seed,
        0.5, 0.0, capacity=capacity, give_up=give_up,
    )
    return out.assign is not None and _keep_if_better(inst, assign, freed, out.assign)


def _cheap_columns(rc: FloatArray) -> BoolArray:
    """Columns whose reduced cost is among the 20 % nearest zero (cheap moves).

    Where most reduced costs are zero (every score equal: 99.6 % of them), a seeded 20 %
    of those: all of them made the fill a MIP of 30,000 columns that found nothing in
    0.5 s on 3000 x 50.  Elsewhere 4-23 % are zero, and all of them are kept.
    """
    share = 0.2
    tau = float(np.quantile(-rc, share)) if rc.size else 0.0
    cheap = rc >= -max(tau, 1e-9)
    if cheap.mean() > 2 * share:  # ties at zero
        jitter = np.random.default_rng(0).random(rc.size)
        cheap &= jitter < share / cheap.mean()
    return cheap


def _persons_first_weight(inst: _Instance, cols: IntArray) -> float:
    """A weight per person above any score difference the units of ``cols`` can make: a
    unit left out scores 0, so each spans from the lower of 0 and its lowest score to the
    higher of 0 and its highest (a unit whose every score is negative counted only the
    spread of its scores, and a MIP could leave it out to keep the score)."""
    hi = np.zeros(inst.n_units)
    lo = np.zeros(inst.n_units)
    np.maximum.at(hi, inst.col_unit[cols], inst.col_score[cols])
    np.minimum.at(lo, inst.col_unit[cols], inst.col_score[cols])
    return 1.0 + float((hi - lo).sum())


def _keep_if_better(
    inst: _Instance, assign: IntArray, freed: BoolArray, sub_assign: IntArray
) -> bool:
    """Put the re-solved ``freed`` units into ``assign`` if that places more persons, or as
    many with more score; returns whether it did."""
    trial = np.where(freed, -1, assign)
    got = sub_assign >= 0
    trial[got] = sub_assign[got]
    p_old, s_old = _totals(inst, assign)
    p_new, s_new = _totals(inst, trial)
    if p_new > p_old + 1e-9 or (
        p_new >= p_old - 1e-9 and s_new > s_old + 1e-9 * max(1.0, abs(s_old))
    ):
        assign[:] = trial
        return True
    return False


def _usage_classes(inst: _Instance) -> IntArray:
    """Units interchangeable for every capacity row: the same usage and the same persons."""
    key = np.round(np.column_stack([inst.unit_usage, inst.unit_persons]), 9)
    _, classes = np.unique(key, axis=0, return_inverse=True)
    return np.asarray(classes, dtype=np.int64).reshape(-1)


def _polish(inst: _Instance, assign: IntArray, classes: IntArray) -> bool:
    """Re-seat households among the places their own kind holds: exact, and fast.

    Households with the same usage and persons can trade places (or trade a place for
    being left out) without touching any capacity or the persons placed.  Holding the
    number of each kind at each destination, the best seating is a transportation
    problem, solved exactly as one min-cost flow over all kinds at once.  With places
    short this is where much of the score is: the steps that fill the places exactly move
    households around, and the seating they leave is far from the best for the counts
    they chose (3,000 x 50: +18 score units in 0.05 s where the restricted MIP found
    nothing in 2 s).  Returns whether the score went up; locked households stay.
    """
    n_d = len(inst.dest_ids)
    has_cols = np.zeros(inst.n_units, dtype=bool)
    has_cols[inst.col_unit] = True
    movable = has_cols & ~inst.unit_forced
    units = np.flatnonzero(movable)
    if units.size < 2:
        return False
    if np.unique(classes[units]).size == units.size:
        return False  # every kind has one member: nothing to trade
    here = np.where(assign[units] >= 0, inst.col_dest[np.maximum(assign[units], 0)], n_d)
    seat_key = classes[units] * (n_d + 1) + here
    seats, seat_count = np.unique(seat_key, return_counts=True)
    # arcs: unit -> a seat of its kind at a compatible destination, or its kind's "left out"
    cols = np.flatnonzero(movable[inst.col_unit])
    col_key = classes[inst.col_unit[cols]] * (n_d + 1) + inst.col_dest[cols]
    out_key = classes[units] * (n_d + 1) + n_d
    arc_key = np.concatenate([col_key, out_key])
    arc_unit = np.concatenate([inst.col_unit[cols], units])
    arc_col = np.concatenate([cols, np.full(units.size, -1, dtype=np.int64)])
    arc_score = np.concatenate([inst.col_score[cols], np.zeros(units.size)])
    pos = np.minimum(np.searchsorted(seats, arc_key), seats.size - 1)
    exists = seats[pos] == arc_key
    arc_seat, arc_unit, arc_col, arc_score = pos[exists], arc_unit[exists], arc_col[exists], \
        arc_score[exists]
    # integer costs for the flow solver; the float score decides whether to take the answer
    scale = 1e9 / max(1.0, float(np.abs(arc_score).max(initial=0.0)))
    n_u = inst.n_units
    sink = n_u + seats.size
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        arc_unit, n_u + arc_seat, np.ones(arc_unit.size, dtype=np.int64),
        -np.round(arc_score * scale).astype(np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        n_u + np.arange(seats.size), np.full(seats.size, sink), seat_count.astype(np.int64),
        np.zeros(seats.size, dtype=np.int64),
    )
    supply = np.zeros(sink + 1, dtype=np.int64)
    supply[units] = 1
    supply[sink] = -units.size
    flow.set_nodes_supplies(np.arange(sink + 1), supply)
    if flow.solve() != flow.OPTIMAL:
        return False
    taken = flow.flows(np.arange(arc_unit.size)) > 0
    trial = assign.copy()
    trial[arc_unit[taken]] = arc_col[taken]
    if _totals(inst, trial)[1] <= _totals(inst, assign)[1] + 1e-9:
        return False
    assign[:] = trial
    return True


@dataclass(slots=True)
class _Polisher:
    """``_polish`` that does not start when the time left is less than its last run took
    (on 50,000 x 200 one takes 2.5 s: started near the deadline, a run ended 1.25 s late)."""

    inst: _Instance
    classes: IntArray
    deadline: float
    clock: Callable[[], float]
    seconds: float = 0.0

    def __call__(self, assign: IntArray) -> bool:
        if self.deadline - self.clock() < max(self.seconds, 1e-9):
            return False
        began = self.clock()
        improved = _polish(self.inst, assign, self.classes)
        self.seconds = self.clock() - began
        return improved


def _lns_size(inst: _Instance, opts: SolveOptions) -> int:
    """Destinations per neighbourhood: about ``lns_units`` households freed at a time."""
    n_d = len(inst.dest_ids)
    return int(min(n_d, max(2, round(opts.lns_units * n_d / max(1, inst.n_units)))))


def _lns(
    inst: _Instance,
    assign: IntArray,
    rc: FloatArray,
    persons_bound: float,
    opts: SolveOptions,
    seed: int,
    deadline: float,
    clock: Callable[[], float],
    good_enough: Callable[[float, float], bool],
    polish: _Polisher,
    grow_while_time: bool = False,
) -> int:
    """Large-neighbourhood search: re-solve a few destinations at a time, exactly.

    A neighbourhood is a handful of destinations linked by cheap moves (columns whose LP
    reduced cost is near zero); every household placed there or unplaced is freed and the
    small MIP over them is solved with the current placement as its start, so a round never
    makes the solution worse.  This is what turns an LP rounding that lost whole persons
    (places short: capacities must be filled exactly) into a full one: the restricted MIP
    over all units finds such exact fills slowly, a 5-destination MIP finds them at once.
    A neighbourhood changes how many of each kind of household a destination holds; the
    seating polish (``_polish``) then re-seats every kind across all destinations, as
    often as it costs at most a fifth of the search's time.  While persons are short, the
    rounds take turns: from a place left, from a left-out household, for the score.
    Stops when ``good_enough``, when a full sweep brings nothing even with neighbourhoods
    grown to twice their size (to all destinations but one with ``grow_while_time``: a
    search that ended there left 18 of 60 s unused on 10000 x 100, and going on took
    0.0271 % to 0.0248 %), or at the deadline.
    Returns the number of improving rounds.
    """
    n_d = len(inst.dest_ids)
    k = _lns_size(inst, opts)
    if k >= n_d or inst.n_cols == 0:
        return 0
    rng = np.random.default_rng(seed)
    order = np.argsort(inst.col_dest, kind="stable")
    starts = np.searchsorted(inst.col_dest[order], np.arange(n_d + 1))
    by_dest = [order[starts[d] : starts[d + 1]] for d in range(n_d)]
    cheap = _cheap_columns(rc)
    persons_cost = inst.unit_persons[inst.col_unit]
    placeable = np.ones(inst.n_units, dtype=bool)
    placeable[list(inst.unit_reason)] = False
    persons_k = inst.dims.index(PERSONS)
    improved = 0
    stale = 0
    rounds = 0
    mip_seconds: list[float] = [0.0]
    unpolished = False
    last_polish = clock()
    grown = 0
    while clock() < deadline:
        if stale >= n_d:
            # a sweep brought nothing: on with larger neighbourhoods
            largest = n_d - 1 if grow_while_time else min(n_d - 1, _LNS_GROWTH * k)
            if k + grown >= largest:
                break
            grown += 1
            stale = 0
        if unpolished and clock() - last_polish >= 4 * polish.seconds:
            if polish(assign):
                stale = 0
            last_polish = clock()
            unpolished = False
        persons_now, score_now = _totals(inst, assign)
        if good_enough(persons_now, score_now):
            break
        unit_dest = np.where(assign >= 0, inst.col_dest[np.maximum(assign, 0)], -1)
        free_left = (unit_dest < 0) & placeable
        placed = np.flatnonzero(unit_dest >= 0)
        room: FloatArray
        short = persons_now < persons_bound - 1e-6
        # while persons are short, the rounds take turns: from a place left, from a left-out
        # household, and for the score (the persons bound is often one or two above the
        # best count, and a search that chased it alone left the score behind: over 11
        # instances x 5 seeds at CBC/20, CBC's persons in 39 of 55 runs against 36)
        mode = rounds % 3 if short else 2
        if mode < 2:
            # persons can only be gained where places are left: start from such a place
            used = np.bincount(
                unit_dest[placed], weights=inst.unit_usage[placed, persons_k], minlength=n_d
            )
            left = inst.capacity[:, persons_k] - used
            room = np.where(np.isfinite(left), np.maximum(left, 0.0), 0.0)
        else:
            # score can only be gained where the placement departs from the LP optimum:
            # start where the placed households' reduced costs add up to most
            room = np.bincount(
                unit_dest[placed], weights=np.maximum(-rc[assign[placed]], 0.0), minlength=n_d
            ).astype(np.float64)
        # persons: a placement no k-destination neighbourhood improves is often improved by
        # a larger one, so the neighbourhood grows while the search stalls (3000 x 50,
        # sparse, places short: the persons bound in 8 of 8 runs, against 7 of 9)
        k_now = min(n_d, k + grown + (stale // 5 if short else 0))
        left_out = np.flatnonzero(free_left)
        if left_out.size > opts.lns_units:
            # where hundreds are left out (places short in another dimension than persons)
            # a neighbourhood with all of them took 0.14-0.24 s instead of 0.02-0.04 s
            left_out = np.sort(rng.choice(left_out, opts.lns_units, replace=False))
            free_left = np.zeros(inst.n_units, dtype=bool)
            free_left[left_out] = True
        chosen: list[int] = []
        toward_room = False
        if mode == 1 and left_out.size:
            # a left-out household's destinations, then the places left that the
            # households there could move to (the chains the MIP must find)
            u = int(rng.choice(left_out, p=inst.unit_persons[left_out] /
                               inst.unit_persons[left_out].sum()))
            own = inst.col_dest[inst.col_unit == u]
            chosen = rng.permutation(own)[: max(1, k_now - 1)].tolist()
            toward_room = True
        elif room.sum() > 0:
            chosen = [int(rng.choice(n_d, p=room / room.sum()))]
        else:
            chosen = [int(rng.integers(n_d))]
        rounds += 1
        while len(chosen) < k_now:
            in_set = np.zeros(n_d, dtype=bool)
            in_set[chosen] = True
            freed = free_left | ((unit_dest >= 0) & in_set[np.maximum(unit_dest, 0)])
            link = freed[inst.col_unit] & cheap & ~in_set[inst.col_dest]
            weight = np.bincount(inst.col_dest[link], minlength=n_d).astype(np.float64)
            if toward_room:
                weight *= room
            weight[in_set] = 0.0
            if weight.sum() <= 0:
                weight = (~in_set).astype(np.float64)
            chosen.append(int(rng.choice(n_d, p=weight / weight.sum())))
        in_set = np.zeros(n_d, dtype=bool)
        in_set[chosen] = True
        freed = free_left | ((unit_dest >= 0) & in_set[np.maximum(unit_dest, 0)])
        cols = np.concatenate([by_dest[d] for d in chosen])
        cols = np.sort(cols[freed[inst.col_unit[cols]]])
        if cols.size == 0:
            stale += 1
            continue
        if deadline - clock() < max(_MIN_MIP_SECONDS, float(np.median(mip_seconds[-5:]))):
            # a MIP started now would end after the deadline: HiGHS stops at its time limit
            # only between steps (one started 0.08 s before the deadline took 0.11 s)
            break
        start = np.where(freed, assign, -1)
        sub_units = np.unique(inst.col_unit[cols])
        sub_persons = float(inst.unit_persons[sub_units][start[sub_units] >= 0].sum())
        if persons_now >= persons_bound - 1e-6:
            # persons cannot grow: hold them, maximise score alone
            objective, lower = inst.col_score, sub_persons - 1e-6
        else:
            # exact persons-first weight within the neighbourhood
            objective = inst.col_score + _persons_first_weight(inst, cols) * persons_cost
            lower = -_INF
        mip_started = clock()
        out = _solve_mip(
            inst, cols, objective, lower, inst.unit_forced & freed, start,
            min(opts.lns_mip_seconds, deadline - clock()), seed,
            0.1 * opts.optimality_gap * max(1.0, abs(score_now)), 0.0, neighbourhood=True,
            give_up=_perf_time(deadline, clock),
        )
        mip_seconds.append(clock() - mip_started)
        stale += 1
        if out.assign is not None and _keep_if_better(inst, assign, freed, out.assign):
            improved += 1
            stale = 0
            unpolished = True
    if unpolished:
        polish(assign)
    return improved


def _columns_that_fit(last_round: tuple[float, int], seconds_left: float) -> int:
    """Columns a restricted-MIP round can have to end in ``_WIDER_ROUND_SHARE`` of
    ``seconds_left``, at the pace of the last round (its seconds and columns)."""
    seconds, columns = last_round
    if seconds <= 0:
        return 0
    return int(_WIDER_ROUND_SHARE * max(0.0, seconds_left) / seconds * columns)


def _restricted_by_delta(
    inst: _Instance, rc: FloatArray, assign: IntArray, extra: int
) -> tuple[IntArray, float]:
    """Columns with reduced cost within ``delta`` of zero, ``delta`` sized to ``extra``.

    Every unit keeps at least its current column, so the incumbent stays feasible.
    """
    n_keep = min(inst.n_cols, inst.n_units + extra)
    if n_keep >= inst.n_cols:
        delta = math.inf
        keep = np.ones(inst.n_cols, dtype=bool)
    else:
        threshold = -np.partition(-rc, n_keep - 1)[n_keep - 1]
        delta = max(0.0, -float(threshold))
        keep = rc >= -delta
    current = assign[assign >= 0]
    keep[current] = True
    return np.flatnonzero(keep).astype(np.int64), delta


# --------------------------------------------------------------------------- explanations


def _describe(
    inst: _Instance,
    assign: IntArray,
    prices: FloatArray,
    explain: bool,
    problem: AllocationProblem,
) -> tuple[dict[str, str], dict[str, str], dict[str, Explanation]]:
    cases = problem.cases
    resid = inst.capacity.copy()
    for u in np.flatnonzero(assign >= 0).tolist():
        resid[int(inst.col_dest[assign[u]])] -= inst.unit_usage[u]
    unit_cols: dict[int, dict[int, float]] = {}
    # the columns of the units whose answer needs them (all, with explanations)
    wanted = np.ones(inst.n_units, dtype=bool) if explain else assign < 0
    picked = np.flatnonzero(wanted[inst.col_unit])
    for u, d, value in zip(
        inst.col_unit[picked].tolist(),
        inst.col_dest[picked].tolist(),
        inst.col_score[picked].tolist(),
        strict=True,
    ):
        unit_cols.setdefault(u, {})[d] = value
    dest_index = {d: i for i, d in enumerate(inst.dest_ids)}

    def full_for(u: int, d: int) -> str | None:
        short = [k for k in range(len(inst.dims)) if inst.unit_usage[u, k] > resid[d, k] + 1e-9]
        if not short:
            return None
        k = max(short, key=lambda k: (prices[d, k] * inst.unit_usage[u, k], -k))
        text = f"{inst.dest_ids[d]} was full for {inst.dims[k]}"
        if prices[d, k] > 1e-9:
            text += f" (price {prices[d, k]:.3g})"
        return text

    assignments: dict[str, str] = {}
    unassigned: dict[str, str] = {}
    explanations: dict[str, Explanation] = {}
    for u, members in enumerate(inst.unit_cases):
        linked = len(members) > 1
        j = int(assign[u])
        if j >= 0:
            d_star = int(inst.col_dest[j])
            for i in members:
                assignments[cases[i].id] = inst.dest_ids[d_star]
            if not explain:
                continue
        else:
            d_star = -1
            reason = inst.unit_reason.get(u)
            if reason is None:
                options = sorted(unit_cols.get(u, {}).items(), key=lambda t: (-t[1], t[0]))
                fulls = [full_for(u, d) for d, _ in options[:3]]
                named = [f for f in fulls if f]
                reason = (
                    "no room left: " + "; ".join(named)
                    if named
                    else "left out by the solver within its time limit"
                )
            for i in members:
                unassigned[cases[i].id] = reason
            if not explain:
                continue
        for i in members:
            case = cases[i]
            chosen_score = case.scores.get(inst.dest_ids[d_star]) if d_star >= 0 else None
            alts: list[Alternative] = []
            ranked = sorted(case.scores.items(), key=lambda t: (-t[1], t[0]))
            for dest_id, value in ranked:
                d = dest_index[dest_id]
                if d == d_star:
                    continue
                if len(alts) >= 3:
                    break
                if u in inst.unit_lock and d != inst.unit_lock[u]:
                    why = f"locked to {inst.dest_ids[inst.unit_lock[u]]} by an officer"
                elif d not in unit_cols.get(u, {}):
                    if linked and not all(dest_id in cases[m].scores for m in members):
                        others = [cases[m].id for m in members if dest_id not in cases[m].scores]
                        why = f"linked household {', '.join(others[:3])} is not compatible"
                    elif np.all(inst.unit_usage[u] <= inst.capacity[d] + 1e-9):
                        why = f"no room left at {dest_id} beside the households locked there"
                    else:
                        why = f"too large for {dest_id}'s capacity"
                else:
                    why = full_for(u, d) or (
                        f"lower score ({value:.3g} < {chosen_score:.3g})"
                        if chosen_score is not None and value < chosen_score
                        else "not chosen: the solution is within its proven gap"
                        if chosen_score is not None and value > chosen_score
                        else "equal score, another destination chosen"
                    )
                    if linked and not why.startswith(dest_id):
                        why += " (placed with its linked households)"
                alts.append(Alternative(destination=dest_id, score=value, why=why))
            note = ""
            if d_star < 0:
                note = unassigned[case.id]
            elif u in inst.unit_lock:
                note = "locked by an officer"
            elif linked:
                note = "placed together with " + ", ".join(cases[m].id for m in members if m != i)
            explanations[case.id] = Explanation(
                destination=inst.dest_ids[d_star] if d_star >= 0 else None,
                score=chosen_score,
                alternatives=tuple(alts),
                note=note,
            )
    return assignments, unassigned, explanations
