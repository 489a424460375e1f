"""The Monte Carlo engine: many replications of the whole pipeline at once.

Why this shape: a planner wants thousands of replications while they think, and a
per-event Python loop (or SimPy) costs tens of milliseconds per replication. Here
every replication is a row of numpy arrays, and each stage is one pass over the
households in queue order that updates all rows at once (Lindley-style recursions
for servers, a "next free period" union-find for quotas, earliest-fit for seats).
Each replication draws from its own stream, ``SeedSequence(seed, spawn_key=(r,
purpose))``, so replication r gives the same result alone, in a batch, or in a
worker process; and a lever that changes one stage leaves the other stages' draws
untouched (common random numbers for fair comparisons).

Known simplification: a rejected household is re-allocated in a later "round";
places it releases are visible to households that needed room in that round, not to
first-time households of the round before (see docs/simulation.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import numpy as np
from numpy.typing import NDArray

from resettle.core.stages import HOLD_BLOCKS, PIPELINE, HoldType, Stage

from .scenario import POLICIES, Scenario, StageSpec

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]
INF = math.inf
HOLD_TYPES: tuple[HoldType, ...] = tuple(HoldType)
CLOSURE_KINDS = ("deceased", "withdrawn", "disappeared")

# purposes: one independent stream each, so levers keep common random numbers
# (P_CURRENT_HOLD: remaining durations of holds active at day 0 with no known lift day;
# a stream of its own, so adding such holds leaves every other draw untouched)
P_MISC, P_ASSESS, P_ALLOC, P_SUBMIT, P_DECIDE, P_PRE, P_READY, P_ARRIVE, P_CURRENT_HOLD = range(9)


def _stream(seed: int, rep: int, purpose: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(rep, purpose)))
    )


@dataclass
class CapacityStats:
    """Per-replication use of one capacity: utilisation and person-days waited for it."""

    name: str
    kind: str
    utilisation: F64
    wait_person_days: F64


@dataclass
class RunArrays:
    """Per-replication results of one batch; ``concat`` joins batches in replication order."""

    clear_day: F64
    present: F64
    person_days: F64
    risk_person_days: F64
    deaths: F64
    closures: F64
    stranded: F64
    departed_persons: F64
    departed_households: F64
    stage_wait_days: dict[str, F64] = field(default_factory=dict)
    stage_served: dict[str, F64] = field(default_factory=dict)
    capacities: list[CapacityStats] = field(default_factory=list)

    @staticmethod
    def concat(parts: Sequence[RunArrays]) -> RunArrays:
        first = parts[0]

        def cat(name: str) -> F64:
            return np.concatenate([getattr(p, name) for p in parts])

        caps = [
            CapacityStats(
                c.name,
                c.kind,
                np.concatenate([p.capacities[i].utilisation for p in parts]),
                np.concatenate([p.capacities[i].wait_person_days for p in parts]),
            )
            for i, c in enumerate(first.capacities)
        ]
        return RunArrays(
            clear_day=cat("clear_day"),
            present=cat("present"),
            person_days=cat("person_days"),
            risk_person_days=cat("risk_person_days"),
            deaths=cat("deaths"),
            closures=cat("closures"),
            stranded=cat("stranded"),
            departed_persons=cat("departed_persons"),
            departed_households=cat("departed_households"),
            stage_wait_days={
                k: np.concatenate([p.stage_wait_days[k] for p in parts])
                for k in first.stage_wait_days
            },
            stage_served={
                k: np.concatenate([p.stage_served[k] for p in parts]) for k in first.stage_served
            },
            capacities=caps,
        )


# ------------------------------------------------------------------ compiled model


@dataclass
class _Model:
    """The scenario as arrays (built once, shared by all replications)."""

    sc: Scenario
    size: I64
    risk: F64
    start_idx: I64
    arrival: F64
    stream_mask: BOOL
    dest0: I64
    person_hh: I64
    hh_first_person: I64
    dest_codes: tuple[str, ...]
    accept: F64
    priority: I64
    scale: F64
    dec_quota: I64
    dec_period: F64
    open_day: F64
    cum_places: F64
    total_places: F64
    dep_day: F64
    dep_seats: I64
    dep_allowed: BOOL
    grid: F64
    #: holds active at day 0: the hold types (indices into HOLD_TYPES) some household
    #: carries, and per such type and household the lift day (0: no such hold, which
    #: blocks nothing; NaN: unknown, drawn per replication)
    cur_types: tuple[int, ...] = ()
    cur_lift: F64 = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def H(self) -> int:
        return int(self.size.size)

    @property
    def D(self) -> int:
        return len(self.dest_codes)


def compile_model(sc: Scenario) -> _Model:
    size: list[int] = []
    risk: list[float] = []
    start: list[int] = []
    arrival: list[float] = []
    stream: list[bool] = []
    dest0: list[int] = []
    codes = tuple(d.code for d in sc.destinations)
    carried = {ch.hold_type for g in sc.households for ch in g.holds}
    cur_types = tuple(t for t, ht in enumerate(HOLD_TYPES) if ht in carried)
    lift_cols: list[list[float]] = [[] for _ in cur_types]
    for g in sc.households:
        lifts = {ch.hold_type: ch.lift_day for ch in g.holds}
        for ci, t in enumerate(cur_types):
            ht = HOLD_TYPES[t]
            lift = lifts.get(ht, 0.0)
            lift_cols[ci].extend([math.nan if lift is None else float(lift)] * g.count)
        for _ in range(g.count):
            size.append(g.size)
            risk.append(g.risk)
            start.append(PIPELINE.index(g.stage))
            arrival.append(g.arrival_day)
            stream.append(False)
            dest0.append(codes.index(g.destination) if g.destination else -1)
    if sc.arrivals is not None:
        for col in lift_cols:
            col.extend([0.0] * sc.arrivals.count)
        for _ in range(sc.arrivals.count):
            size.append(sc.arrivals.size)
            risk.append(sc.arrivals.risk)
            start.append(0)
            arrival.append(sc.arrivals.start_day)
            stream.append(True)
            dest0.append(-1)
    size_a = np.asarray(size, dtype=np.int64)
    person_hh = np.repeat(np.arange(size_a.size), size_a)
    first = np.concatenate([[0], np.cumsum(size_a)[:-1]]).astype(np.int64)

    D = len(codes)
    by_dest: list[list[tuple[float, int]]] = [[] for _ in range(D)]
    for p in sc.pledges:
        by_dest[codes.index(p.destination)].append((p.open_day, p.places))
    kmax = max(1, max(len(b) for b in by_dest))
    open_day = np.full((D, kmax), INF)
    cum = np.zeros((D, kmax))
    for d, items in enumerate(by_dest):
        items.sort()
        running = 0.0
        for k, (day, places) in enumerate(items):
            running += places
            open_day[d, k] = day
            cum[d, k] = running
        cum[d, len(items) :] = running
    days: list[tuple[float, int, tuple[str, ...]]] = []
    for dep in sc.departures:
        days.extend((day, dep.seats, dep.destinations) for day in dep.days())
    days.sort(key=lambda x: x[0])
    K = len(days)
    allowed = np.zeros((D + 1, max(K, 1)), dtype=bool)
    for k, (_, _, dests) in enumerate(days):
        if dests:
            for c in dests:
                allowed[codes.index(c), k] = True
        else:
            allowed[:, k] = True
    grid_n = math.floor(sc.horizon_days / sc.report_step_days + 1e-9) + 1
    return _Model(
        sc=sc,
        size=size_a,
        risk=np.asarray(risk, dtype=np.float64),
        start_idx=np.asarray(start, dtype=np.int64),
        arrival=np.asarray(arrival),
        stream_mask=np.asarray(stream, dtype=bool),
        dest0=np.asarray(dest0, dtype=np.int64),
        person_hh=person_hh,
        hh_first_person=first,
        dest_codes=codes,
        accept=np.asarray([d.accept_rate for d in sc.destinations]),
        priority=np.asarray([d.priority for d in sc.destinations], dtype=np.int64),
        scale=np.asarray([d.decision_scale for d in sc.destinations]),
        dec_quota=np.asarray(
            [
                -1 if d.decisions_per_period is None else d.decisions_per_period
                for d in sc.destinations
            ],
            dtype=np.int64,
        ),
        dec_period=np.asarray([d.decision_period_days for d in sc.destinations]),
        open_day=open_day,
        cum_places=cum,
        total_places=cum[:, -1].copy(),
        dep_day=np.asarray([d[0] for d in days], dtype=np.float64),
        dep_seats=np.asarray([d[1] for d in days], dtype=np.int64),
        dep_allowed=allowed,
        grid=np.arange(grid_n, dtype=np.float64) * sc.report_step_days,
        cur_types=cur_types,
        cur_lift=np.asarray(lift_cols, dtype=np.float64).reshape(len(cur_types), size_a.size),
    )


# ------------------------------------------------------------------ draws


@dataclass
class _Draws:
    arrival: F64
    assess: F64
    alloc: F64  # (A, R, H): one layer per submission attempt
    submit: F64
    decide: F64
    accept_u: F64
    resub: F64
    pre: F64
    ready: F64
    arrive: F64
    hold_start: F64  # (T, R, H): one layer per hold type
    hold_end: F64
    current_end: F64  # (C, R, H): lift day of each hold active at day 0 (0: none)
    death: F64  # (R, P) person death day
    withdraw: F64
    disappear: F64


def _draw(m: _Model, seed: int, reps: Sequence[int]) -> _Draws:
    """Every random number of the batch, replication by replication.

    Each stage duration has its own stream (a duration lever changes only that
    stage's draws); everything levers never change shares one stream, drawn in a
    fixed order with fixed sizes.
    """
    sc = m.sc
    R, H, P, A = len(reps), m.H, int(m.person_hh.size), sc.max_attempts
    T = len(HOLD_TYPES)
    out = _Draws(
        arrival=np.empty((R, H)),
        assess=np.empty((R, H)),
        alloc=np.empty((A, R, H)),
        submit=np.empty((A, R, H)),
        decide=np.empty((A, R, H)),
        accept_u=np.empty((A, R, H)),
        resub=np.empty((A, R, H)),
        pre=np.empty((R, H)),
        ready=np.empty((R, H)),
        arrive=np.empty((R, H)),
        hold_start=np.full((T, R, H), INF),
        hold_end=np.full((T, R, H), INF),
        current_end=_current_hold_ends(m, seed, reps),
        death=np.full((R, P), INF),
        withdraw=np.full((R, H), INF),
        disappear=np.full((R, H), INF),
    )
    holds = {h.hold_type: h for h in sc.holds}
    n_stream = int(m.stream_mask.sum())
    horizon = sc.horizon_days
    inc = sc.incidents
    durations = (
        (Stage.ASSESSED, P_ASSESS, out.assess),
        (Stage.PRE_DEPARTURE, P_PRE, out.pre),
        (Stage.READY, P_READY, out.ready),
        (Stage.ARRIVED, P_ARRIVE, out.arrive),
    )
    per_attempt = (
        (Stage.ALLOCATED, P_ALLOC, out.alloc),
        (Stage.SUBMITTED, P_SUBMIT, out.submit),
        (Stage.DECIDED, P_DECIDE, out.decide),
    )
    for i, r in enumerate(reps):
        for stage, purpose, target in durations:
            dist = sc.stage(stage).duration
            if dist.kind == "fixed":
                target[i] = dist.mean
            else:
                target[i] = dist.sample(_stream(seed, r, purpose), H)
        for stage, purpose, target3 in per_attempt:
            dist = sc.stage(stage).duration
            if dist.kind == "fixed":
                target3[:, i] = dist.mean
            else:
                target3[:, i] = dist.sample(_stream(seed, r, purpose), (A, H))
        g = _stream(seed, r, P_MISC)
        out.arrival[i] = m.arrival
        if n_stream and sc.arrivals is not None:
            gaps = g.exponential(1.0 / sc.arrivals.rate_per_day, n_stream)
            out.arrival[i, m.stream_mask] = sc.arrivals.start_day + np.cumsum(gaps)
        out.accept_u[:, i] = g.random((A, H))
        out.resub[:, i] = sc.resubmission_delay.sample(g, (A, H))
        for t, ht in enumerate(HOLD_TYPES):
            spec = holds.get(ht)
            if spec is None or spec.rate_per_year == 0:
                continue
            st = g.exponential(365.0 / spec.rate_per_year, H)
            out.hold_start[t, i] = st
            out.hold_end[t, i] = st + spec.duration.sample(g, H)
        if inc.rate_per_year > 0 and inc.fatality_per_person > 0:
            n = int(g.poisson(inc.rate_per_year * horizon / 365.0))
            times = np.sort(g.uniform(0.0, horizon, n))
            # the attack in which each person would die, if still present: geometric
            k = g.geometric(inc.fatality_per_person, P) - 1
            hit = k < n
            out.death[i, hit] = times[k[hit]]
        if sc.withdrawn_per_year > 0:
            out.withdraw[i] = g.exponential(365.0 / sc.withdrawn_per_year, H)
        if sc.disappeared_per_year > 0:
            out.disappear[i] = g.exponential(365.0 / sc.disappeared_per_year, H)
    return out


def _current_hold_ends(m: _Model, seed: int, reps: Sequence[int]) -> F64:
    """Lift days of the holds active at day 0, (C, R, H): the known ones as given; an
    unknown one draws its remaining duration from its type's duration distribution.

    Each hold type draws one value per household from its own stream
    ``(replication, P_CURRENT_HOLD, type)``, whether or not that household needs it, so a
    household's draw does not depend on which other households are on hold.
    """
    R, H, C = len(reps), m.H, len(m.cur_types)
    out = np.broadcast_to(m.cur_lift[:, None, :], (C, R, H)).copy()
    if C == 0:
        return out
    unknown = np.isnan(m.cur_lift)
    specs = {h.hold_type: h for h in m.sc.holds}
    for c, t in enumerate(m.cur_types):
        if not unknown[c].any():
            continue
        dist = specs[HOLD_TYPES[t]].duration
        cols = np.nonzero(unknown[c])[0]
        for i, r in enumerate(reps):
            g = np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(r, P_CURRENT_HOLD, t)))
            )
            out[c, i, cols] = dist.sample(g, H)[cols]
    return out


# ------------------------------------------------------------------ building blocks


class _Holds:
    """Delays a move into a stage while a hold that blocks it is active.

    Layers of hold intervals [start, end), each of one hold type: the random holds
    (one layer per type with a positive rate) and the holds active at day 0 (one layer
    per type some household carries; start -inf, end = lift day, 0 for households
    without one, which blocks nothing since no move happens before day 0).
    """

    def __init__(
        self, start: F64, end: F64, current_types: Sequence[int], current_end: F64
    ) -> None:
        active = [t for t in range(len(HOLD_TYPES)) if np.isfinite(start[t]).any()]
        if not current_types:
            # the draws' own (T, R, H) stacks, not copied (they are large at scale)
            self.start_stack, self.end_stack = start, end
            self.rows = active
        else:
            n = len(current_types)
            self.start_stack = np.concatenate([start[active], np.full((n, *start.shape[1:]), -INF)])
            self.end_stack = np.concatenate([end[active], current_end])
            self.rows = list(range(len(active) + n))
        #: layer i: its hold type and its row in the stacks
        self.types: list[int] = [*active, *current_types]
        self.start: list[F64] = [self.start_stack[r] for r in self.rows]
        self.end: list[F64] = [self.end_stack[r] for r in self.rows]

    def layers_blocking(self, stage: Stage) -> list[int]:
        return [i for i, t in enumerate(self.types) if stage in HOLD_BLOCKS[HOLD_TYPES[t]]]

    def delay(self, t: F64, stage: Stage) -> F64:
        """Earliest time >= t outside every blocking interval: each pass moves t to the
        end of an interval containing it, so len(layers) passes reach the fixed point."""
        layers = self.layers_blocking(stage)
        for n in range(len(layers)):
            before = t
            for li in layers:
                s, e = self.start[li], self.end[li]
                t = np.where((s <= t) & (t < e), e, t)
            if n + 1 < len(layers) and np.array_equal(before, t):
                break
        return t


def _layer(stack: F64, attempt: I64) -> F64:
    """``stack[attempt[r, h], r, h]``: the draw for each household's current attempt."""
    out = stack[0].copy()
    for a in range(1, min(int(attempt.max(initial=0)) + 1, stack.shape[0])):
        out = np.where(attempt == a, stack[a], out)
    return np.asarray(out, dtype=np.float64)


def _find(nf: I64, base: I64, p: I64) -> I64:
    """First period >= p that is not full (union-find with path halving)."""
    while True:
        q = nf[base + p]
        if not (q != p).any():
            return p
        qq = nf[base + q]
        nf[base + p] = qq
        p = qq


class _Quota:
    """``quota[g]`` completions per ``period[g]`` days for each group g (e.g. destination),
    persistent across rounds; free slots are filled regardless of processing order."""

    def __init__(self, R: int, quota: I64, period: F64, horizon: float) -> None:
        self.quota = quota
        self.period = period
        self.G = int(quota.size)
        self.P = math.ceil(horizon / float(period.min())) + 1
        width = self.P + 1
        self.nf = np.tile(np.arange(width, dtype=np.int64), R * self.G)
        for g in range(self.G):
            if quota[g] == 0:
                for r in range(R):
                    self.nf[(r * self.G + g) * width : (r * self.G + g) * width + self.P] = self.P
        self.count = np.zeros(R * self.G * width, dtype=np.int64)
        self.used = np.zeros((R, self.G))
        self.last = np.full((R, self.G), -1, dtype=np.int64)

    def take(self, rr: I64, grp: I64, ready: F64, ok: BOOL, gone: F64) -> F64:
        """Completion time for households ready at ``ready`` (inf: none within the horizon)."""
        width = self.P + 1
        per = self.period[grp]
        p0 = np.minimum(np.floor(np.where(ok, ready, 0.0) / per), self.P).astype(np.int64)
        base = (rr * self.G + grp) * width
        p = _find(self.nf, base, p0)
        comp = np.where(p < self.P, np.maximum(ready, p * per), INF)
        take = ok & (p < self.P) & (gone > comp)
        idx = base + p
        self.count[idx] += take
        full = take & (self.count[idx] >= self.quota[grp])
        self.nf[idx] = np.where(full, p + 1, self.nf[idx])
        self.used[rr, grp] += take
        self.last[rr, grp] = np.where(take, np.maximum(self.last[rr, grp], p), self.last[rr, grp])
        return np.where(take, comp, INF)

    def utilisation(self) -> F64:
        offered = self.quota[None, :] * (self.last + 1)
        return np.where(offered > 0, self.used / np.maximum(offered, 1), 0.0)


@dataclass
class _Acc:
    """Accumulated waits of one capacity or stage, per replication."""

    wait_pd: F64
    wait_hd: F64
    served: F64

    @classmethod
    def zeros(cls, R: int) -> _Acc:
        return cls(np.zeros(R), np.zeros(R), np.zeros(R))


def _sorted_cols(order: I64, *arrays: NDArray[np.generic]) -> list[NDArray[np.generic]]:
    """Arrays gathered in queue order and transposed, so column j is contiguous."""
    return [np.ascontiguousarray(np.take_along_axis(a, order, 1).T) for a in arrays]


def _stage_pass(
    spec: StageSpec,
    a: F64,
    dur: F64,
    gone: F64,
    size: F64,
    holds: _Holds,
    acc: _Acc,
    quota: _Quota | None,
) -> tuple[F64, F64]:
    """Entry times into ``spec.stage`` for households entering its queue at ``a``.

    Returns (done, busy); done is inf for households gone first or never arriving.
    """
    R, H = a.shape
    stage = spec.stage
    busy = np.zeros(R)
    if spec.servers is None and quota is None:
        done = holds.delay(a + dur, stage)
        done = np.where(gone > done, done, INF)
        acc.served += np.isfinite(done).sum(1)
        return done, busy
    if quota is not None:
        ready = holds.delay(a + dur, stage)
        order = np.argsort(ready, axis=1, kind="stable")
        n = int(np.isfinite(ready).sum(1).max(initial=0))
        rc, gc, sc = _sorted_cols(order, ready, gone, size)
        done_s = np.full((H, R), INF)
        rr = np.arange(R, dtype=np.int64)
        zero = np.zeros(R, dtype=np.int64)
        for j in range(n):
            t = rc[j]
            ok = np.isfinite(t)
            comp = quota.take(rr, zero, t, ok, gc[j])
            hit = np.isfinite(comp)
            w = np.where(hit, comp - t, 0.0)
            acc.wait_hd += w
            acc.wait_pd += w * sc[j]
            acc.served += hit
            done_s[j] = comp
        done = np.empty((R, H))
        np.put_along_axis(done, order, done_s.T, 1)
        return done, busy
    c = int(spec.servers or 1)
    order = np.argsort(a, axis=1, kind="stable")
    n = int(np.isfinite(a).sum(1).max(initial=0))
    ac, dc, gc, sc = _sorted_cols(order, a, dur, gone, size)
    free = np.zeros((R, c))
    rr = np.arange(R)
    done_s = np.full((H, R), INF)
    for j in range(n):
        aj = ac[j]
        k = free.argmin(1)
        fk = free[rr, k]
        start = np.maximum(aj, fk)
        g = gc[j]
        served = np.isfinite(aj) & (g > start)
        end = start + dc[j]
        rel = np.minimum(end, g)
        free[rr, k] = np.where(served, rel, fk)
        busy += np.where(served, rel - start, 0.0)
        w = np.where(served, start - aj, 0.0)
        acc.wait_hd += w
        acc.wait_pd += w * sc[j]
        acc.served += served
        done_s[j] = np.where(served & (g > end), end, INF)
    done = np.empty((R, H))
    np.put_along_axis(done, order, done_s.T, 1)
    done = holds.delay(done, stage)
    return np.where(gone > done, done, INF), busy


# ------------------------------------------------------------------ one batch


def run_batch(sc: Scenario, seed: int, reps: Sequence[int]) -> RunArrays:
    """Simulate replications ``reps`` (indices into the seed's streams) together."""
    with np.errstate(invalid="ignore"):
        return _run_batch(sc, seed, reps)


def _run_batch(sc: Scenario, seed: int, reps: Sequence[int]) -> RunArrays:
    m = compile_model(sc)
    dr = _draw(m, seed, reps)
    R, H, D, A = len(reps), m.H, m.D, sc.max_attempts
    rr = np.arange(R)
    size_f = np.broadcast_to(m.size.astype(np.float64), (R, H))
    holds = _Holds(dr.hold_start, dr.hold_end, m.cur_types, dr.current_end)
    arr = dr.arrival

    # closures: all members dead, withdrawn, disappeared (whichever first)
    all_dead = np.maximum.reduceat(dr.death, m.hh_first_person, axis=1)
    gone_stack = np.stack([all_dead, dr.withdraw, dr.disappear])
    gone = gone_stack.min(0)
    gone_kind = gone_stack.argmin(0)

    def entering(stage: Stage, prev: F64) -> F64:
        """Queue entry times for a pass into ``stage``: skip those who start past it."""
        return np.where(m.start_idx[None, :] < PIPELINE.index(stage), prev, INF)

    def starting(stage: Stage, done: F64) -> F64:
        return np.where(m.start_idx[None, :] >= PIPELINE.index(stage), arr, done)

    accs: dict[str, _Acc] = {}
    caps: list[CapacityStats] = []

    def acc_for(key: str) -> _Acc:
        return accs.setdefault(key, _Acc.zeros(R))

    # ---- assessment
    spec = sc.stage(Stage.ASSESSED)
    q = (
        _Quota(R, np.asarray([spec.quota]), np.asarray([spec.quota_period_days]), sc.horizon_days)
        if spec.quota
        else None
    )
    t_as, busy = _stage_pass(
        spec, entering(Stage.ASSESSED, arr), dr.assess, gone, size_f, holds, acc_for("assessed"), q
    )
    _capacity(caps, spec, t_as, busy, q, acc_for("assessed"))
    t_as = starting(Stage.ASSESSED, t_as)

    # ---- allocation, submission, decision, with rejections and resubmission
    used = np.zeros((R, D))
    dest = np.broadcast_to(m.dest0, (R, H)).copy()
    pre_alloc = (m.start_idx >= PIPELINE.index(Stage.ALLOCATED)) & (m.dest0 >= 0)
    for d in range(D):
        used[:, d] += float(m.size[pre_alloc & (m.dest0 == d)].sum())
    tried = np.zeros((R, H, D), dtype=bool)
    pre_h = np.nonzero(pre_alloc)[0]
    tried[:, pre_h, m.dest0[pre_h]] = True
    alloc_idx = PIPELINE.index(Stage.ALLOCATED)
    need = np.where(m.start_idx < alloc_idx, t_as, np.where(m.start_idx == alloc_idx, arr, INF))
    need = np.where(np.broadcast_to(~pre_alloc, (R, H)) & (gone > need), need, INF)
    attempt = np.zeros((R, H), dtype=np.int64)
    accepted = np.where(
        np.broadcast_to(m.start_idx >= PIPELINE.index(Stage.DECIDED), (R, H)) & (gone > arr),
        arr,
        INF,
    )
    sub_spec = sc.stage(Stage.SUBMITTED)
    sub_q = (
        _Quota(
            R,
            np.asarray([sub_spec.quota]),
            np.asarray([sub_spec.quota_period_days]),
            sc.horizon_days,
        )
        if sub_spec.quota
        else None
    )
    has_dec_quota = m.dec_quota >= 0
    dec_q = _Quota(
        R,
        np.where(has_dec_quota, m.dec_quota, 1),
        m.dec_period,
        sc.horizon_days if has_dec_quota.any() else 1.0,
    )
    pledge_acc, sub_acc, dec_acc = acc_for("allocated"), acc_for("submitted"), acc_for("decided")
    dec_wait_pd = np.zeros((R, D))
    first_round = True
    for _round in range(A + 4):
        alloc_dur = _layer(dr.alloc, attempt)
        t_alloc, chosen = _allocate(m, need + alloc_dur, size_f, gone, used, tried, pledge_acc)
        got = np.isfinite(t_alloc)
        dest = np.where(got, chosen, dest)
        tried[got] |= np.eye(D, dtype=bool)[chosen[got]]
        stuck = np.isfinite(need) & ~got & (gone > need)
        sub_in = t_alloc
        if first_round:
            sub_in = np.where(
                np.broadcast_to(
                    pre_alloc & (m.start_idx == PIPELINE.index(Stage.ALLOCATED)), (R, H)
                ),
                arr,
                sub_in,
            )
        sub_dur = _layer(dr.submit, attempt)
        t_sub, _ = _stage_pass(sub_spec, sub_in, sub_dur, gone, size_f, holds, sub_acc, sub_q)
        if first_round:
            t_sub = np.where(
                np.broadcast_to(m.start_idx == PIPELINE.index(Stage.SUBMITTED), (R, H))
                & (gone > arr),
                arr,
                t_sub,
            )
        dec_dur = _layer(dr.decide, attempt)
        t_dec = _decide(
            m,
            t_sub,
            dec_dur * m.scale[np.maximum(dest, 0)],
            dest,
            gone,
            size_f,
            holds,
            dec_q,
            has_dec_quota,
            dec_acc,
            dec_wait_pd,
        )
        decided = np.isfinite(t_dec)
        u = _layer(dr.accept_u, attempt)
        ok = decided & (u < m.accept[np.maximum(dest, 0)])
        accepted = np.where(ok, t_dec, accepted)
        rejected = decided & ~ok
        # households lost on the way free their places
        lost = np.isfinite(sub_in) & ~decided
        release = rejected | lost
        rel_amount = np.where(release, size_f, 0.0)
        np.add.at(
            used,
            (np.broadcast_to(rr[:, None], (R, H))[release], dest[release]),
            -rel_amount[release],
        )
        resub = _layer(dr.resub, attempt)
        attempt = attempt + decided
        untried = ~tried.all(2)
        can_retry = rejected & (attempt < A) & untried & (gone > t_dec)
        # a household that found no room retries once places have been released
        carry = stuck & np.asarray(release.any(1))[:, None] & untried
        need = np.where(carry, need, np.where(can_retry, t_dec + resub, INF))
        first_round = False
        if not np.isfinite(need).any():
            break
    _capacity_pledges(caps, m, used, pledge_acc)
    _capacity_decisions(caps, m, dec_q, dec_wait_pd)

    # ---- pre-departure and travel readiness
    t_prev = accepted
    for stage, durs, key in (
        (Stage.PRE_DEPARTURE, dr.pre, "pre_departure"),
        (Stage.READY, dr.ready, "ready"),
    ):
        spec = sc.stage(stage)
        q = (
            _Quota(
                R, np.asarray([spec.quota]), np.asarray([spec.quota_period_days]), sc.horizon_days
            )
            if spec.quota
            else None
        )
        done, busy = _stage_pass(
            spec, entering(stage, t_prev), durs, gone, size_f, holds, acc_for(key), q
        )
        _capacity(caps, spec, done, busy, q, acc_for(key))
        t_prev = np.where(
            np.broadcast_to(m.start_idx >= PIPELINE.index(stage), (R, H)) & (gone > arr), arr, done
        )
    t_ready = t_prev

    # ---- departures
    deaths_before = _deaths_before(m, dr.death, t_ready)
    eff_size = np.maximum(size_f - deaths_before, 1.0)
    dep_acc = acc_for("departed")
    t_dep = _depart(m, t_ready, eff_size, dest, gone, holds, dep_acc, caps)

    # ---- outcomes
    leave = np.minimum(t_dep, gone)
    leave = np.where(leave > sc.horizon_days, INF, leave)
    person_leave = np.minimum(leave[:, m.person_hh], dr.death)
    person_arr = arr[:, m.person_hh]
    clear = person_leave.max(1)
    present = _present(m, person_arr, person_leave)
    stay = np.minimum(person_leave, sc.horizon_days) - person_arr
    stay = np.maximum(stay, 0.0)
    # <=: the last member's death is the household's closure time itself
    deaths = (np.isfinite(dr.death) & (dr.death <= leave[:, m.person_hh])).sum(1).astype(np.float64)
    closed = np.isfinite(gone) & (gone <= t_dep) & (gone <= sc.horizon_days)
    closures = np.stack([(closed & (gone_kind == k)).sum(1) for k in range(3)], 1)
    stranded = (~np.isfinite(leave)).sum(1).astype(np.float64)
    boarded = np.isfinite(t_dep) & (t_dep <= gone)
    dep_p = np.zeros((R, D))
    dep_h = np.zeros((R, D))
    for d in range(D):
        mask = boarded & (dest == d)
        dep_p[:, d] = (eff_size * mask).sum(1)
        dep_h[:, d] = mask.sum(1)
    return RunArrays(
        clear_day=clear,
        present=present,
        person_days=stay.sum(1),
        risk_person_days=(stay * m.risk[m.person_hh]).sum(1),
        deaths=deaths,
        closures=closures.astype(np.float64),
        stranded=stranded,
        departed_persons=dep_p,
        departed_households=dep_h,
        stage_wait_days={k: a.wait_hd for k, a in accs.items()},
        stage_served={k: a.served for k, a in accs.items()},
        capacities=caps,
    )


def _allocate(
    m: _Model, ready: F64, size: F64, gone: F64, used: F64, tried: BOOL, acc: _Acc
) -> tuple[F64, I64]:
    """Choose a destination with pledged room, in order of readiness.

    The earliest day any untried destination has room wins; ties go to the lower
    priority number, then to the destination with most room left.
    """
    R, H = ready.shape
    order = np.argsort(ready, axis=1, kind="stable")
    n = int(np.isfinite(ready).sum(1).max(initial=0))
    rc, gc, sc = _sorted_cols(order, ready, gone, size)
    hc = order.T
    rr = np.arange(R)
    t_s = np.full((H, R), INF)
    d_s = np.zeros((H, R), dtype=np.int64)
    open_day, cum, prio = m.open_day, m.cum_places, m.priority.astype(np.float64)
    drange = np.arange(m.D)[None, :]
    for j in range(n):
        t = rc[j]
        s = sc[j]
        room = cum[None, :, :] - used[:, :, None] >= s[:, None, None]
        kf = room.argmax(2)
        has = room.any(2) & ~tried[rr, hc[j]]
        tau = np.where(has, np.maximum(t[:, None], open_day[drange, kf]), INF)
        tmin = tau.min(1)
        cand = (tau == tmin[:, None]) & np.isfinite(tau)
        pr = np.where(cand, prio[None, :], INF)
        cand &= pr == pr.min(1)[:, None]
        left = np.where(cand, cum[None, :, -1] - used, -INF)
        d = left.argmax(1)
        ok = np.isfinite(t) & np.isfinite(tmin) & (gc[j] > tmin)
        used[rr, d] += np.where(ok, s, 0.0)
        w = np.where(ok, tmin - t, 0.0)
        acc.wait_hd += w
        acc.wait_pd += w * s
        acc.served += ok
        t_s[j] = np.where(ok, tmin, INF)
        d_s[j] = d
    t_out = np.empty((R, H))
    d_out = np.empty((R, H), dtype=np.int64)
    np.put_along_axis(t_out, order, t_s.T, 1)
    np.put_along_axis(d_out, order, d_s.T, 1)
    return t_out, d_out


def _decide(
    m: _Model,
    a: F64,
    dur: F64,
    dest: I64,
    gone: F64,
    size: F64,
    holds: _Holds,
    quota: _Quota,
    has_quota: BOOL,
    acc: _Acc,
    wait_pd: F64,
) -> F64:
    """Decision day at each household's destination (monthly quotas per destination)."""
    R, H = a.shape
    ready = holds.delay(a + dur, Stage.DECIDED)
    if not has_quota.any():
        done = np.where(gone > ready, ready, INF)
        acc.served += np.isfinite(done).sum(1)
        return done
    quota_row = has_quota[np.maximum(dest, 0)]
    # households at destinations without a quota are decided after their duration
    free_done = np.where(~quota_row & (gone > ready), ready, INF)
    qready = np.where(quota_row, ready, INF)
    order = np.argsort(qready, axis=1, kind="stable")
    n = int(np.isfinite(qready).sum(1).max(initial=0))
    rc, gc, sc, dc = _sorted_cols(order, qready, gone, size, dest)
    rr = np.arange(R, dtype=np.int64)
    done_s = np.full((H, R), INF)
    for j in range(n):
        t = rc[j]
        ok = np.isfinite(t)
        grp = np.maximum(dc[j], 0).astype(np.int64)
        comp = quota.take(rr, grp, t, ok, gc[j])
        hit = np.isfinite(comp)
        w = np.where(hit, comp - t, 0.0)
        acc.wait_hd += w
        acc.wait_pd += w * sc[j]
        wait_pd[rr, grp] += w * sc[j]
        done_s[j] = comp
    done = np.empty((R, H))
    np.put_along_axis(done, order, done_s.T, 1)
    done = np.where(np.isfinite(done), done, free_done)
    acc.served += np.isfinite(done).sum(1)
    return done


def _deaths_before(m: _Model, death: F64, t: F64) -> F64:
    dead = death < t[:, m.person_hh]
    return np.add.reduceat(dead, m.hh_first_person, axis=1).astype(np.float64)


def _depart(
    m: _Model,
    ready: F64,
    size: F64,
    dest: I64,
    gone: F64,
    holds: _Holds,
    acc: _Acc,
    caps: list[CapacityStats],
) -> F64:
    """Boarding day: each household, in policy order, takes the earliest departure it
    may board (booked ``booking_lead_days`` before, seats and destination permitting,
    no hold blocking booking or departure); equals boarding per departure in order."""
    sc = m.sc
    R, H = ready.shape
    if m.dep_day.size == 0:
        t = holds.delay(holds.delay(ready, Stage.BOOKED), Stage.DEPARTED)
        done = np.where(gone > t, t, INF)
        acc.served += np.isfinite(done).sum(1)
        return done
    K = int(m.dep_day.size)
    day = m.dep_day
    book = day - sc.booking_lead_days
    if sc.policy == "risk-first":
        key = ready - np.broadcast_to(m.risk, (R, H)) * 1e7
    else:
        key = ready
    order = np.argsort(key, axis=1, kind="stable")
    n = int(np.isfinite(ready).sum(1).max(initial=0))
    rc, sc_, gc, dc = _sorted_cols(order, ready, size, gone, dest)
    hc = order.T
    rem = np.broadcast_to(m.dep_seats.astype(np.float64), (R, K)).copy()
    # each destination's boardable departures, as positions in its own list, so a
    # household skips flights it may not take; row D is "no destination yet"
    Dp = m.D + 1
    lists = [np.nonzero(m.dep_allowed[d, :K])[0] for d in range(Dp)]
    L = max(1, max(len(x) for x in lists))
    idx_of = np.full((Dp, L + 1), K, dtype=np.int64)
    off = 10.0 * (float(np.abs(book).max()) + sc.horizon_days + 1.0)
    flat = np.empty((Dp, L))
    for d, lst in enumerate(lists):
        idx_of[d, : len(lst)] = lst
        flat[d] = d * off + off / 2
        flat[d, : len(lst)] = d * off + book[lst]
    flat_r = flat.ravel()
    pos_of = np.full((Dp, K), -1, dtype=np.int64)
    for d, lst in enumerate(lists):
        pos_of[d, lst] = np.arange(len(lst))
    dgrid = np.broadcast_to(np.arange(Dp, dtype=np.int64)[:, None], (Dp, R))
    nf = np.tile(np.arange(L + 1, dtype=np.int64), R * Dp)
    rr = np.arange(R, dtype=np.int64)
    W = 8
    offs = np.arange(W)
    # rows of the hold stacks that block booking or departing: each household gathers
    # all its intervals with one indexing operation per stack
    bt = [holds.rows[li] for li in holds.layers_blocking(Stage.BOOKED)]
    dt_ = [holds.rows[li] for li in holds.layers_blocking(Stage.DEPARTED)]
    out_s = np.full((H, R), INF)
    dep_day_pad = np.append(day, INF)
    book_pad = np.append(book, INF)
    for j in range(n):
        t = rc[j]
        valid = np.isfinite(t)
        s = sc_[j]
        g = gc[j]
        dj: I64 = np.where(dc[j] < 0, m.D, dc[j]).astype(np.int64)
        h = hc[j]
        hs = holds.start_stack[:, rr, h]
        he = holds.end_stack[:, rr, h]
        tq = np.minimum(np.where(valid, t, off / 4), off / 4) + dj * off
        pos = np.searchsorted(flat_r, tq, side="left").astype(np.int64) - dj * L
        base = (rr * Dp + dj) * (L + 1)
        pos = _find(nf, base, np.minimum(pos, L))
        chosen = np.full(R, K, dtype=np.int64)
        # scan windows of W boardable departures; only rows still searching go on
        ix = np.nonzero(valid & (pos < L))[0]
        p_ix = pos[ix]
        while ix.size:
            pw = np.minimum(p_ix[:, None] + offs[None, :], L)
            kw = idx_of[dj[ix, None], pw]
            okw = (kw < K) & (rem[ix[:, None], np.minimum(kw, K - 1)] >= s[ix, None])
            dd = dep_day_pad[kw]
            okw &= g[ix, None] > dd
            if bt:
                bb = book_pad[kw]
                for ti in bt:
                    okw &= ~((hs[ti][ix, None] <= bb) & (bb < he[ti][ix, None]))
            for ti in dt_:
                okw &= ~((hs[ti][ix, None] <= dd) & (dd < he[ti][ix, None]))
            found = okw.any(1)
            first = okw.argmax(1)
            chosen[ix[found]] = kw[found, first[found]]
            keep = ~found & (p_ix + W < L)
            ix = ix[keep]
            p_ix = p_ix[keep] + W
        hit = chosen < K
        kc = np.minimum(chosen, K - 1)
        rem[rr, kc] -= np.where(hit, s, 0.0)
        full = hit & (rem[rr, kc] <= 0)
        if full.any():
            # a full departure is skipped from now on in every destination's list
            posk = pos_of[:, kc[full]]
            rows = rr[full][None, :]
            mark = posk >= 0
            cells = ((rows * Dp + dgrid[:, : rows.shape[1]]) * (L + 1) + posk)[mark]
            nf[cells] = posk[mark] + 1
        dday = np.where(hit, day[kc], INF)
        w = np.where(hit, dday - t, 0.0)
        acc.wait_hd += w
        acc.wait_pd += w * s
        acc.served += hit
        out_s[j] = dday
    out = np.empty((R, H))
    np.put_along_axis(out, order, out_s.T, 1)
    used = m.dep_seats[None, :] - rem
    last = np.where(np.isfinite(out), out, -INF).max(1)
    offered = ((day[None, :] <= last[:, None]) * m.dep_seats[None, :]).sum(1)
    util = np.where(offered > 0, used.sum(1) / np.maximum(offered, 1), 0.0)
    caps.append(CapacityStats("departures: seats", "seats", util, acc.wait_pd.copy()))
    return out


def _present(m: _Model, p_arr: F64, p_leave: F64) -> F64:
    """Persons present at each report grid day (arrived on or before, not yet left)."""
    R = p_arr.shape[0]
    G = m.grid.size
    step = m.sc.report_step_days
    rows = np.arange(R)[:, None] * (G + 1)

    def cum(times: F64) -> F64:
        b = np.where(np.isfinite(times), np.ceil(times / step - 1e-9), G)
        b = np.clip(b, 0, G).astype(np.int64)
        counts = np.bincount((rows + b).ravel(), minlength=R * (G + 1)).reshape(R, G + 1)
        return np.cumsum(counts[:, :G], 1).astype(np.float64)

    # arrival on a grid day counts as present; leaving on a grid day counts as gone
    arr_bins = cum(p_arr)
    leave_bins = cum(p_leave)
    return arr_bins - leave_bins


def _capacity(
    caps: list[CapacityStats],
    spec: StageSpec,
    done: F64,
    busy: F64,
    quota: _Quota | None,
    acc: _Acc,
) -> None:
    name = spec.stage.value
    if spec.servers is not None:
        span = np.where(np.isfinite(done), done, -INF).max(1)
        util = np.where(span > 0, busy / (spec.servers * np.maximum(span, 1e-12)), 0.0)
        caps.append(
            CapacityStats(f"{name}: {spec.servers} servers", "servers", util, acc.wait_pd.copy())
        )
    elif quota is not None:
        caps.append(
            CapacityStats(
                f"{name}: {spec.quota} per {spec.quota_period_days:g} days",
                "quota",
                quota.utilisation()[:, 0],
                acc.wait_pd.copy(),
            )
        )


def _capacity_pledges(caps: list[CapacityStats], m: _Model, used: F64, acc: _Acc) -> None:
    total = m.total_places.sum()
    util = used.sum(1) / total if total > 0 else np.zeros(used.shape[0])
    caps.append(CapacityStats("allocated: pledged places", "pledges", util, acc.wait_pd.copy()))


def _capacity_decisions(caps: list[CapacityStats], m: _Model, quota: _Quota, wait_pd: F64) -> None:
    util = quota.utilisation()
    for d, code in enumerate(m.dest_codes):
        if m.dec_quota[d] >= 0:
            caps.append(
                CapacityStats(
                    f"decided {code}: {m.dec_quota[d]} per {m.dec_period[d]:g} days",
                    "quota",
                    util[:, d],
                    wait_pd[:, d].copy(),
                )
            )


# ------------------------------------------------------------------ entry point


#: replications x households per batch at most: a batch's arrays stay near 80 MB each, and
#: the demo camp (900 households) runs 500 per batch (1,000 replications: 7 % less CPU than
#: batches of 250, measured)
BATCH_CELLS = 10_000_000
MAX_BATCH = 500


def simulate_arrays(
    sc: Scenario, *, replications: int, seed: int, workers: int = 1, batch: int | None = None
) -> RunArrays:
    """All replications' raw results; ``workers`` > 1 splits them over processes
    without changing any number (each replication has its own stream). ``batch`` (default:
    as many as BATCH_CELLS allows, at most MAX_BATCH) only trades memory for speed."""
    if batch is None:
        batch = max(1, min(MAX_BATCH, BATCH_CELLS // max(1, sc.household_count)))
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    if workers < 1:
        raise ValueError("workers must be >= 1")
    if sc.policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
    reps = list(range(replications))
    size = max(1, min(batch, math.ceil(replications / workers)))
    chunks = [reps[i : i + size] for i in range(0, replications, size)]
    if workers == 1 or len(chunks) == 1:
        return RunArrays.concat([run_batch(sc, seed, c) for c in chunks])
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as ex:
        parts = list(ex.map(run_batch, [sc] * len(chunks), [seed] * len(chunks), chunks))
    return RunArrays.concat(parts)
