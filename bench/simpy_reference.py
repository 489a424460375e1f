"""Reference model of the same process in SimPy (bench only, not a runtime dependency).

One SimPy process per household, in true event time: servers are simpy Resources,
quotas hand out the earliest free period when a household asks, a household with no
pledged room waits for the next opening or for a release, and each departure boards
the eligible households in policy order at its booking deadline. Random inputs come
from the engine's own sampler (``_draw``) with a different seed, so the comparison
tests the process logic and the vectorised recursions, not the distributions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import simpy

from resettle.core.simulation.engine import HOLD_TYPES, _draw, compile_model
from resettle.core.simulation.scenario import Scenario
from resettle.core.stages import HOLD_BLOCKS, PIPELINE, Stage

INF = math.inf


@dataclass
class _Quota:
    quota: int
    period: float

    def __post_init__(self) -> None:
        self.count: dict[int, int] = {}

    def slot(self, t: float, gone: float) -> float:
        """Earliest free period at or after ``t``; the slot is kept unless gone first."""
        p = math.floor(t / self.period)
        while self.count.get(p, 0) >= self.quota:
            p += 1
        done = max(t, p * self.period)
        if gone > done:
            self.count[p] = self.count.get(p, 0) + 1
        return done


def run_replication(sc: Scenario, seed: int, rep: int) -> float:
    """Clear day of one replication (inf when the camp is not emptied)."""
    m = compile_model(sc)
    dr = _draw(m, seed, [rep])
    env = simpy.Environment()
    H, D, A = m.H, m.D, sc.max_attempts
    gone = np.minimum(
        np.minimum(np.maximum.reduceat(dr.death[0], m.hh_first_person), dr.withdraw[0]),
        dr.disappear[0],
    )
    # hold intervals [start, end) per layer: random holds by type, then the holds active
    # at day 0 (start -inf, end = their lift day, known or drawn by the engine's sampler)
    n_cur = len(m.cur_types)
    hs = np.concatenate([dr.hold_start[:, 0], np.full((n_cur, H), -INF)])
    he = np.concatenate([dr.hold_end[:, 0], dr.current_end[:, 0]])
    layer_type = [*range(len(HOLD_TYPES)), *m.cur_types]
    active = [k for k in range(len(layer_type)) if np.isfinite(he[k]).any()]

    def held(h: int, t: float, stage: Stage) -> bool:
        return any(
            stage in HOLD_BLOCKS[HOLD_TYPES[layer_type[k]]] and hs[k, h] <= t < he[k, h]
            for k in active
        )

    def hold_delay(h: int, t: float, stage: Stage) -> float:
        layers = [k for k in active if stage in HOLD_BLOCKS[HOLD_TYPES[layer_type[k]]]]
        for _ in range(len(layers)):
            for k in layers:
                if hs[k, h] <= t < he[k, h]:
                    t = he[k, h]
        return t

    def stage_quota(stage: Stage) -> _Quota | None:
        spec = sc.stage(stage)
        return _Quota(spec.quota, spec.quota_period_days) if spec.quota else None

    quotas = {
        s: stage_quota(s)
        for s in (Stage.ASSESSED, Stage.SUBMITTED, Stage.PRE_DEPARTURE, Stage.READY)
    }
    servers = {
        s: simpy.Resource(env, sc.stage(s).servers or 1)
        for s in (Stage.ASSESSED, Stage.PRE_DEPARTURE, Stage.READY)
        if sc.stage(s).servers
    }
    dec_quota = [
        (_Quota(int(q), float(p)) if q >= 0 else None)
        for q, p in zip(m.dec_quota, m.dec_period, strict=True)
    ]
    used = np.zeros(D)
    room_changed = [env.event()]
    ready_at: dict[int, float] = {}
    departed: dict[int, float] = {}
    dest = m.dest0.copy()

    def release(h: int) -> None:
        used[dest[h]] -= m.size[h]
        ev = room_changed[0]
        room_changed[0] = env.event()
        ev.succeed()

    def timed(h: int, stage: Stage, dur: float):  # type: ignore[no-untyped-def]
        """Move into ``stage``; returns False if the household is gone first."""
        q = quotas.get(stage)
        if stage in servers:
            arrive = env.now
            req = servers[stage].request()
            if gone[h] <= arrive:
                req.cancel()
                return False
            result = yield req | env.timeout(gone[h] - arrive)
            if req not in result:
                req.cancel()
                return False
            end = env.now + dur
            yield env.timeout(min(end, gone[h]) - env.now)
            servers[stage].release(req)
            if gone[h] <= end:
                return False
            t = hold_delay(h, env.now, stage)
        elif q is not None:
            ready = hold_delay(h, env.now + dur, stage)
            yield env.timeout(ready - env.now)
            if gone[h] <= ready:
                return False
            t = q.slot(ready, gone[h])
            if gone[h] <= t:
                return False
        else:
            t = hold_delay(h, env.now + dur, stage)
        if gone[h] <= t:
            return False
        yield env.timeout(t - env.now)
        return True

    def choose(h: int, t: float, tried: set[int]) -> tuple[int, float]:
        best: tuple[float, int, float, int] | None = None
        for d in range(D):
            if d in tried:
                continue
            ok = np.nonzero(m.cum_places[d] - used[d] >= m.size[h])[0]
            if ok.size == 0:
                continue
            tau = max(t, float(m.open_day[d, ok[0]]))
            key = (tau, int(m.priority[d]), -(m.cum_places[d, -1] - used[d]), d)
            if best is None or key < best:
                best = key
        if best is None:
            return -1, INF
        return best[3], best[0]

    def household(h: int):  # type: ignore[no-untyped-def]
        start = int(m.start_idx[h])
        if dr.arrival[0, h] > 0:
            yield env.timeout(dr.arrival[0, h])
        if start < PIPELINE.index(Stage.ASSESSED):
            ok = yield from timed(h, Stage.ASSESSED, dr.assess[0, h])
            if not ok:
                return
        attempt, tried = 0, set()
        while True:
            yield env.timeout(dr.alloc[min(attempt, A - 1), 0, h])
            while True:
                if gone[h] <= env.now:
                    return
                d, tau = choose(h, env.now, tried)
                if tau == env.now:
                    break
                waits = [room_changed[0]]
                if math.isfinite(tau):
                    waits.append(env.timeout(tau - env.now))
                waits.append(
                    env.timeout(gone[h] - env.now) if math.isfinite(gone[h]) else env.event()
                )
                yield env.any_of(waits)
            dest[h] = d
            used[d] += m.size[h]
            tried.add(d)
            ok = yield from timed(h, Stage.SUBMITTED, dr.submit[min(attempt, A - 1), 0, h])
            if not ok:
                release(h)
                return
            ready = hold_delay(
                h, env.now + dr.decide[min(attempt, A - 1), 0, h] * m.scale[d], Stage.DECIDED
            )
            yield env.timeout(ready - env.now)
            q = dec_quota[d]
            t = q.slot(ready, gone[h]) if q is not None else ready
            if gone[h] <= t:
                release(h)
                return
            yield env.timeout(t - env.now)
            if dr.accept_u[min(attempt, A - 1), 0, h] < m.accept[d]:
                break
            release(h)
            resub = dr.resub[min(attempt, A - 1), 0, h]
            attempt += 1
            if attempt >= A or len(tried) == D or gone[h] <= env.now:
                return
            yield env.timeout(resub)
        for stage, durs in ((Stage.PRE_DEPARTURE, dr.pre), (Stage.READY, dr.ready)):
            ok = yield from timed(h, stage, durs[0, h])
            if not ok:
                return
        ready_at[h] = env.now

    dead = dr.death[0]

    def eff_size(h: int) -> float:
        lo, n = m.hh_first_person[h], m.size[h]
        return max(float(n - (dead[lo : lo + n] < ready_at[h]).sum()), 1.0)

    def departure(k: int):  # type: ignore[no-untyped-def]
        day = float(m.dep_day[k])
        book = day - sc.booking_lead_days
        if book > env.now:
            yield env.timeout(book - env.now)
        seats = float(m.dep_seats[k])
        cands = [
            h
            for h, t in ready_at.items()
            if h not in departed
            and t <= book
            and m.dep_allowed[dest[h], k]
            and gone[h] > day
            and not held(h, book, Stage.BOOKED)
            and not held(h, day, Stage.DEPARTED)
        ]
        if sc.policy == "risk-first":
            cands.sort(key=lambda h: (-m.risk[h], ready_at[h]))
        else:
            cands.sort(key=lambda h: ready_at[h])
        for h in cands:
            s = eff_size(h)
            if s <= seats:
                seats -= s
                departed[h] = day

    for h in range(H):
        env.process(household(h))
    for k in range(m.dep_day.size):
        env.process(departure(k))
    env.run(until=sc.horizon_days + 1)
    leave = np.full(H, INF)
    for h, t in departed.items():
        leave[h] = t
    leave = np.minimum(leave, gone)
    leave[leave > sc.horizon_days] = INF
    person_leave = np.minimum(leave[m.person_hh], dead)
    return float(person_leave.max())
