"""Ejection chains: place left-out households by moving others out of their way.

With places short, rounding the LP leaves a few households out while places are left
elsewhere: the places left are at destinations those households may not go to, and the
destinations they may go to are full.  Placing one means moving a household out of its
way to a destination with room, sometimes through a second move, sometimes several
households at once, or leaving a smaller one out.  A MIP finds such moves only if its
neighbourhood holds exactly the right destinations; searched directly they take
milliseconds.  Measured on six sparse 3000 x 50 instances with places short: rounding
and repair ended 19-31 persons below CBC's count, and these chains alone closed all but
0-12 of them in 0.03-0.17 s, where the fill MIP took 0.18-0.9 s for 0-12.

The short chains (``place_by_chains``) move at most three households for one; the routes
(``place_by_routes``) go deeper, for the last persons: on a sparse instance the last two
needed six moves over five destinations.

Persons come first: a chain is taken if it places more persons, the best-scoring chain
among those that place the most.  The score lost on the way is the later steps' job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from resettle.core.allocation.solver import _Instance

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-9
_MOST_MOVED_OUT = 8
"""Households moved out of one destination to make room for one coming in."""
_MOVE_CANDIDATES = 6
"""Households tried, best-covering first, for each one moved out before one is left out."""

Move = tuple[int, int]  # (unit, column or -1 for left out)


@dataclass(slots=True)
class _Chain:
    persons: float
    score: float
    moves: list[Move]


@dataclass(slots=True)
class _State:
    """Where everything is, and where each placed household could go as things stand."""

    unit_dest: IntArray
    resid: FloatArray  # capacity left, [n_dest, n_dims]; unbounded as a large number
    score_now: FloatArray  # each unit's current score (0 when unplaced)
    direct_col: IntArray  # best column elsewhere where the unit fits now, or -1
    direct_gain: FloatArray  # its score change, -inf when there is none
    at: list[IntArray]  # movable units placed at each destination
    movers: IntArray  # units with a direct move, grouped by their current destination
    movers_start: IntArray  # [n_dest + 1] offsets into ``movers``
    outs: IntArray  # every column out of its unit's destination, grouped by that destination
    outs_start: IntArray  # [n_dest + 1] offsets into ``outs``


def _state(inst: _Instance, assign: IntArray, movable: BoolArray) -> _State:
    n_u, n_d = inst.n_units, len(inst.dest_ids)
    usage, col_unit = inst.unit_usage, inst.col_unit
    placed = np.flatnonzero(assign >= 0)
    unit_dest = np.full(n_u, -1, dtype=np.int64)
    unit_dest[placed] = inst.col_dest[assign[placed]]
    resid = inst.capacity.copy()
    np.subtract.at(resid, unit_dest[placed], usage[placed])
    resid = np.where(np.isfinite(resid), resid, 1e18)
    score_now = np.zeros(n_u)
    score_now[placed] = inst.col_score[assign[placed]]
    ok = movable[col_unit] & (unit_dest[col_unit] >= 0) & (inst.col_dest != unit_dest[col_unit])
    outs = np.flatnonzero(ok)
    outs = outs[np.argsort(unit_dest[col_unit[outs]], kind="stable")]
    outs_start = np.searchsorted(unit_dest[col_unit[outs]], np.arange(n_d + 1)).astype(np.int64)
    ok &= np.all(usage[col_unit] <= resid[inst.col_dest] + _EPS, axis=1)
    cols = np.flatnonzero(ok)
    gain = inst.col_score[cols] - score_now[col_unit[cols]]
    order = np.lexsort((-gain, col_unit[cols]))
    cols, gain = cols[order], gain[order]
    first = np.ones(cols.size, dtype=bool)
    first[1:] = col_unit[cols][1:] != col_unit[cols][:-1]
    direct_col = np.full(n_u, -1, dtype=np.int64)
    direct_gain = np.full(n_u, -np.inf)
    direct_col[col_unit[cols[first]]] = cols[first]
    direct_gain[col_unit[cols[first]]] = gain[first]
    here = placed[movable[placed]]
    here = here[np.argsort(unit_dest[here], kind="stable")]
    bounds = np.searchsorted(unit_dest[here], np.arange(n_d + 1))
    at = [here[bounds[d] : bounds[d + 1]] for d in range(n_d)]
    movers = here[direct_col[here] >= 0]
    movers_start = np.searchsorted(unit_dest[movers], np.arange(n_d + 1)).astype(np.int64)
    return _State(
        unit_dest,
        resid,
        score_now,
        direct_col,
        direct_gain,
        at,
        movers,
        movers_start,
        outs,
        outs_start,
    )


def _ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """The concatenated ranges ``[starts[i], starts[i] + counts[i])``."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = starts - np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.asarray(np.repeat(shift, counts) + np.arange(total), dtype=np.int64)


def _units(inst: _Instance) -> tuple[IntArray, BoolArray, BoolArray]:
    """Where each unit's columns start; which units may be placed; which may also move."""
    n_u = inst.n_units
    unit_start = np.searchsorted(inst.col_unit, np.arange(n_u + 1)).astype(np.int64)
    placeable = np.zeros(n_u, dtype=bool)
    placeable[inst.col_unit] = True
    placeable[list(inst.unit_reason)] = False
    return unit_start, placeable, placeable & ~inst.unit_forced


def place_by_chains(
    inst: _Instance,
    assign: IntArray,
    persons_bound: float,
    deadline: float,
    clock: Callable[[], float],
    seed: int,
) -> int:
    """Place left-out units by chains of moves, until no chain is left, the persons meet
    ``persons_bound`` or the deadline; returns the number of chains applied."""
    unit_start, placeable, movable = _units(inst)
    persons = inst.unit_persons
    rng = np.random.default_rng(seed)
    applied = 0
    placed_persons = float(persons[assign >= 0].sum())
    # chains that leave a household out are tried only when no other is left: taken
    # early they block better ones (measured: 9,042 persons instead of 9,049)
    leave_out = False
    while clock() < deadline:
        state = _state(inst, assign, movable)
        todo = np.flatnonzero(placeable & (assign < 0))
        todo = todo[np.lexsort((rng.random(todo.size), -persons[todo]))]
        # a unit no chain can place is skipped for every other with the same usage and
        # destinations, as long as nothing moved: no chain can place it either
        failed: set[bytes] = set()
        moved = False
        for u in todo.tolist():
            if clock() >= deadline or placed_persons >= persons_bound - 1e-6:
                return applied
            key = _chain_key(inst, u, unit_start)
            if key in failed:
                continue
            chain = _best_chain(inst, u, unit_start, state, leave_out)
            if chain is None or chain.persons <= 0 or not _apply(inst, assign, state, chain):
                failed.add(key)
                continue
            applied += 1
            placed_persons += chain.persons
            moved = True
            state = _state(inst, assign, movable)
            failed.clear()
        if moved:
            leave_out = False
        elif leave_out:
            break
        else:
            leave_out = True
    return applied


def _apply(inst: _Instance, assign: IntArray, state: _State, chain: _Chain) -> bool:
    """Carry out ``chain`` if every capacity still holds (it should; checked anyway)."""
    resid = state.resid.copy()
    for unit, col in chain.moves:
        if assign[unit] >= 0:
            resid[inst.col_dest[assign[unit]]] += inst.unit_usage[unit]
        if col >= 0:
            resid[inst.col_dest[col]] -= inst.unit_usage[unit]
    if np.any(resid < -1e-6):
        return False
    for unit, col in chain.moves:
        assign[unit] = col
    return True


def _best_chain(
    inst: _Instance, u: int, unit_start: IntArray, state: _State, leave_out: bool
) -> _Chain | None:
    """The best chain that places ``u``: straight in, one household moved or left out,
    two moved in a row, or several moved out of one destination."""
    usage, persons, col_dest = inst.unit_usage, inst.unit_persons, inst.col_dest
    best: _Chain | None = None

    def offer(chain: _Chain | None) -> None:
        nonlocal best
        if chain is not None and (
            best is None or (chain.persons, chain.score) > (best.persons, best.score)
        ):
            best = chain

    blocked: list[tuple[int, int, float, IntArray]] = []
    for j in range(int(unit_start[u]), int(unit_start[u + 1])):
        d, s_u = int(col_dest[j]), float(inst.col_score[j])
        need = usage[u] - state.resid[d]
        if np.all(need <= _EPS):
            offer(_Chain(persons[u], s_u, [(u, j)]))
            continue
        here = state.at[d]
        if here.size == 0:
            continue
        blocked.append((j, d, s_u, here))
        one = here[np.all(usage[here] >= need - _EPS, axis=1)]
        if one.size == 0:
            continue
        gains = state.direct_gain[one]
        if np.isfinite(gains).any():
            i = int(np.argmax(gains))
            v = int(one[i])
            moves = [(u, j), (v, int(state.direct_col[v]))]
            offer(_Chain(persons[u], s_u + float(gains[i]), moves))
        smaller = one[persons[one] < persons[u]]
        if smaller.size:
            # the most persons gained, then the least score lost
            v = int(smaller[np.lexsort((state.score_now[smaller], persons[smaller]))[0]])
            offer(_Chain(persons[u] - persons[v], s_u - state.score_now[v], [(u, j), (v, -1)]))
        offer(_two_moves(inst, u, j, d, s_u, one, unit_start, state))
    if best is None or best.persons < persons[u]:
        for j, d, s_u, here in blocked:
            offer(_make_room(inst, u, j, d, s_u, here, unit_start, state, leave_out))
    return best


def _two_moves(
    inst: _Instance,
    u: int,
    j: int,
    d: int,
    s_u: float,
    candidates: IntArray,
    unit_start: IntArray,
    state: _State,
) -> _Chain | None:
    """``u`` into ``d``, a household ``v`` of ``d`` into ``d2``, one ``w`` of ``d2`` on to
    where it fits now; all pairs (v, d2) at once."""
    usage, col_dest = inst.unit_usage, inst.col_dest
    counts = unit_start[candidates + 1] - unit_start[candidates]
    vs = np.repeat(candidates, counts)
    cols = _ranges(unit_start[candidates], counts)
    d2 = col_dest[cols]
    n_movers = state.movers_start[d2 + 1] - state.movers_start[d2]
    keep = (n_movers > 0) & (d2 != d) & (d2 != state.unit_dest[vs])
    vs, cols, d2, n_movers = vs[keep], cols[keep], d2[keep], n_movers[keep]
    if vs.size == 0:
        return None
    pair = np.repeat(np.arange(vs.size), n_movers)
    ws = state.movers[_ranges(state.movers_start[d2], n_movers)]
    fits = np.all(usage[ws] >= usage[vs[pair]] - state.resid[d2[pair]] - _EPS, axis=1)
    fits &= col_dest[state.direct_col[ws]] != d  # d's room has changed
    if not fits.any():
        return None
    gain = inst.col_score[cols[pair]] - state.score_now[vs[pair]] + state.direct_gain[ws]
    i = int(np.argmax(np.where(fits, gain, -np.inf)))
    v, j2, w = int(vs[pair[i]]), int(cols[pair[i]]), int(ws[i])
    return _Chain(
        inst.unit_persons[u],
        s_u + float(gain[i]),
        [(u, j), (v, j2), (w, int(state.direct_col[w]))],
    )


def _make_room(
    inst: _Instance,
    u: int,
    j: int,
    d: int,
    s_u: float,
    here: IntArray,
    unit_start: IntArray,
    state: _State,
    leave_out: bool,
    banned: BoolArray | None = None,
) -> _Chain | None:
    """Move households out of ``d`` one by one, the one covering most of what ``u`` still
    lacks first, each to the best place where it fits (none of ``banned``); with
    ``leave_out``, leave one out when none can move, as long as persons are still gained."""
    usage, persons, col_dest = inst.unit_usage, inst.unit_persons, inst.col_dest
    need = usage[u] - state.resid[d]
    resid = state.resid.copy()
    chain = _Chain(persons[u], s_u, [(u, j)])
    taken = np.zeros(here.size, dtype=bool)
    can_move = state.direct_col[here] >= 0
    for _ in range(_MOST_MOVED_OUT):
        short = need > _EPS
        if not short.any():
            return chain
        cover = (np.minimum(usage[here][:, short], need[short]) / need[short]).sum(axis=1)
        cover[taken] = -1.0
        picked = -1
        order = np.argsort(-np.where(can_move, cover, -1.0), kind="stable")
        for i in order[:_MOVE_CANDIDATES].tolist():
            if cover[i] <= 0 or not can_move[i]:
                break
            v = int(here[i])
            cols = np.arange(unit_start[v], unit_start[v + 1])
            dests = col_dest[cols]
            fit = (dests != d) & np.all(usage[v] <= resid[dests] + _EPS, axis=1)
            if banned is not None:
                fit &= ~banned[dests]
            if fit.any():
                j2 = int(cols[fit][np.argmax(inst.col_score[cols[fit]])])
                resid[col_dest[j2]] -= usage[v]
                chain.moves.append((v, j2))
                chain.score += float(inst.col_score[j2]) - state.score_now[v]
                picked = i
                break
        if picked < 0:
            i = int(np.argmax(cover))
            v = int(here[i])
            if not leave_out or cover[i] <= 0 or chain.persons - persons[v] <= 0:
                return None
            chain.moves.append((v, -1))
            chain.score -= state.score_now[v]
            chain.persons -= persons[v]
            picked = i
        taken[picked] = True
        need = need - usage[here[picked]]
    return chain if not (need > _EPS).any() else None


# ------------------------------------------------------------------ deep chains (routes)

_ROUTE_DEPTH = 4
"""Households a route may move in a row, each out of the way of the one before."""
_ROUTE_ROOM_TRIES = 8
"""Ends of a route per step where room is made by moving several straight out."""
_ROUTED_CANDIDATES = 3
"""Households tried per move-out that cannot move straight (a route search each)."""
_ROUTE_BEAM = 64
"""(Destination, kind) pairs a route carries from one step to the next, best score first."""


@dataclass(slots=True)
class _Kinds:
    """Units by usage and persons: a route step depends only on the kind coming in."""

    of: IntArray  # kind of each unit
    usage: FloatArray  # [n_kinds, n_dims]

    @classmethod
    def of_classes(cls, inst: _Instance, classes: IntArray) -> _Kinds:
        """From the solver's usage classes (``solver._usage_classes``)."""
        usage = np.zeros((int(classes.max(initial=-1)) + 1, inst.unit_usage.shape[1]))
        usage[classes] = inst.unit_usage
        return cls(classes, usage)


def _route(
    inst: _Instance,
    w: int,
    banned: BoolArray,
    state: _State,
    unit_start: IntArray,
    kinds: _Kinds,
) -> list[Move] | None:
    """Moves that take placed unit ``w`` to another destination than its own (none of
    ``banned``): straight where it fits, else a chain in which each household coming in
    moves one out, ending where it fits or where room is made by moving several straight
    out.  Searched breadth first over (destination, kind coming in), the best score at
    the first depth that ends."""
    usage, col_dest, col_unit = inst.unit_usage, inst.col_dest, inst.col_unit
    n_d = len(inst.dest_ids)
    n_k = kinds.usage.shape[0]
    cols = np.arange(unit_start[w], unit_start[w + 1])
    cols = cols[~banned[col_dest[cols]] & (col_dest[cols] != state.unit_dest[w])]
    # frontier: one entry per (destination, kind), the unit coming in and its column; the
    # path back is kept in ``trail`` (unit, column, parent index)
    trail_unit: list[IntArray] = []
    trail_col: list[IntArray] = []
    trail_parent: list[IntArray] = []
    seen = np.zeros(n_d * n_k, dtype=bool)
    f_unit = np.full(cols.size, w, dtype=np.int64)
    f_col = cols
    f_val = inst.col_score[cols] - state.score_now[w]
    f_parent = np.full(cols.size, -1, dtype=np.int64)
    offset = 0
    for _ in range(_ROUTE_DEPTH):
        f_dest = col_dest[f_col]
        key = f_dest * n_k + kinds.of[f_unit]
        order = np.lexsort((-f_val, key))
        first = np.ones(order.size, dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        order = order[first & ~seen[key[order]]]
        order = order[np.argsort(-f_val[order], kind="stable")[:_ROUTE_BEAM]]
        if order.size == 0:
            return None
        f_unit, f_col, f_val, f_parent = f_unit[order], f_col[order], f_val[order], f_parent[order]
        f_dest = col_dest[f_col]
        seen[f_dest * n_k + kinds.of[f_unit]] = True
        trail_unit.append(f_unit)
        trail_col.append(f_col)
        trail_parent.append(f_parent)
        need = usage[f_unit] - state.resid[f_dest]
        fits = np.all(need <= _EPS, axis=1)
        if fits.any():
            i = int(np.argmax(np.where(fits, f_val, -np.inf)))
            return _trace_back(trail_unit, trail_col, trail_parent, offset + i)
        for i in np.argsort(-f_val)[:_ROUTE_ROOM_TRIES].tolist():
            u, d = int(f_unit[i]), int(f_dest[i])
            here = state.at[d]
            if here.size == 0:
                continue
            room = _make_room(
                inst, u, int(f_col[i]), d, 0.0, here, unit_start, state, False, banned
            )
            if room is not None:
                path = _trace_back(trail_unit, trail_col, trail_parent, offset + i)
                return path + room.moves[1:]
        # each unit coming in moves one out that covers what it lacks
        counts = state.outs_start[f_dest + 1] - state.outs_start[f_dest]
        pair = np.repeat(np.arange(f_unit.size), counts)
        out = state.outs[_ranges(state.outs_start[f_dest], counts)]
        v = col_unit[out]
        ok = np.all(usage[v] >= need[pair] - _EPS, axis=1) & ~banned[col_dest[out]]
        pair, out, v = pair[ok], out[ok], v[ok]
        offset += f_unit.size
        f_val = f_val[pair] + inst.col_score[out] - state.score_now[v]
        f_unit, f_col, f_parent = v, out, offset - f_unit.size + pair
    return None


def _trace_back(
    units: list[IntArray], cols: list[IntArray], parents: list[IntArray], at: int
) -> list[Move]:
    """The moves of a route, first to last, from the index of its last step."""
    all_units, all_cols = np.concatenate(units), np.concatenate(cols)
    all_parents = np.concatenate(parents)
    moves: list[Move] = []
    while at >= 0:
        moves.append((int(all_units[at]), int(all_cols[at])))
        at = int(all_parents[at])
    return moves[::-1]


def place_by_routes(
    inst: _Instance,
    assign: IntArray,
    persons_bound: float,
    deadline: float,
    clock: Callable[[], float],
    seed: int,
    classes: IntArray,
) -> int:
    """Place left-out units where households must move out of their way through routes
    of several moves, until none is left, persons meet ``persons_bound`` or the
    deadline; returns the number of chains applied.  For the last persons, which the
    short chains leave: on a sparse 3000 x 50 instance the last 2 persons needed 6 moves
    over 5 destinations (a household out of the way, the next one out of its way...).
    ``classes`` are the units' usage classes (``solver._usage_classes``)."""
    unit_start, placeable, movable = _units(inst)
    persons = inst.unit_persons
    kinds = _Kinds.of_classes(inst, classes)
    rng = np.random.default_rng(seed)
    applied = 0
    placed_persons = float(persons[assign >= 0].sum())
    # first without leaving anyone out, on at most half the time: with hundreds left
    # out (places short in another dimension) trying routes for each takes seconds
    started = clock()
    for leave_out in (False, True):
        pass_deadline = deadline if leave_out else started + 0.5 * (deadline - started)
        moved = True
        while moved and clock() < pass_deadline:
            moved = False
            # smallest first: they are the cheap ones to route, and a large one placed by
            # leaving another out cost 20 score units where a single placed for +0.4
            todo = np.flatnonzero(placeable & (assign < 0))
            todo = todo[np.lexsort((rng.random(todo.size), persons[todo]))]
            search = _RouteSearch(inst, assign, movable, unit_start, kinds, leave_out)
            failed: set[bytes] = set()
            for u in todo.tolist():
                if placed_persons >= persons_bound - 1e-6:
                    return applied
                if clock() >= pass_deadline:
                    break
                key = _chain_key(inst, u, unit_start)
                if key in failed:
                    continue
                chain = search.best_chain(u, pass_deadline, clock)
                if (
                    chain is None
                    or chain.persons <= 0
                    or not _apply(inst, assign, search.base, chain)
                ):
                    failed.add(key)
                    continue
                applied += 1
                placed_persons += chain.persons
                moved = True
                break
    return applied


def _chain_key(inst: _Instance, u: int, unit_start: IntArray) -> bytes:
    """Units with the same key are placed by the same chains."""
    return bytes(inst.unit_usage[u].tobytes()) + bytes(
        inst.col_dest[unit_start[u] : unit_start[u + 1]].tobytes()
    )


class _RouteSearch:
    """Deep chains against one placement; routes that failed from it are remembered."""

    def __init__(
        self,
        inst: _Instance,
        assign: IntArray,
        movable: BoolArray,
        unit_start: IntArray,
        kinds: _Kinds,
        leave_out: bool,
    ) -> None:
        self.inst, self.assign, self.movable = inst, assign, movable
        self.unit_start, self.kinds, self.leave_out = unit_start, kinds, leave_out
        self.base = _state(inst, assign, movable)
        self.failed: set[tuple[int, int]] = set()  # (unit, destination barred)

    def best_chain(self, u: int, deadline: float, clock: Callable[[], float]) -> _Chain | None:
        """Place ``u`` where households must move out of its way through routes of
        several moves (or, with ``leave_out``, be left out while persons are still
        gained); the best over ``u``'s destinations, as moves against the placement."""
        inst, assign, unit_start = self.inst, self.assign, self.unit_start
        persons, col_dest = inst.unit_persons, inst.col_dest
        best: _Chain | None = None
        for j in range(int(unit_start[u]), int(unit_start[u + 1])):
            if clock() >= deadline:
                break
            d = int(col_dest[j])
            trial = self._room(u, d, deadline, clock)
            if trial is None:
                continue
            trial[u] = j
            changed = np.flatnonzero(trial != assign)
            before = np.where(assign[changed] >= 0, inst.col_score[assign[changed]], 0.0)
            after = np.where(trial[changed] >= 0, inst.col_score[trial[changed]], 0.0)
            gained = persons[changed] * (
                (trial[changed] >= 0).astype(float) - (assign[changed] >= 0).astype(float)
            )
            chain = _Chain(
                float(gained.sum()),
                float((after - before).sum()),
                [(int(c), int(trial[c])) for c in changed.tolist()],
            )
            if best is None or (chain.persons, chain.score) > (best.persons, best.score):
                best = chain
        return best

    def _room(self, u: int, d: int, deadline: float, clock: Callable[[], float]) -> IntArray | None:
        """A placement with room for ``u`` at ``d``, households routed out of it one by
        one (the one covering most of what is lacking first), or None."""
        inst, usage, persons = self.inst, self.inst.unit_usage, self.inst.unit_persons
        trial = self.assign.copy()
        state = self.base
        banned = np.zeros(len(inst.dest_ids), dtype=bool)
        banned[d] = True
        lost = 0.0
        for _ in range(_MOST_MOVED_OUT):
            need = usage[u] - state.resid[d]
            short = need > _EPS
            if not short.any():
                return trial
            if clock() >= deadline:
                return None
            here = state.at[d]
            cover = (np.minimum(usage[here][:, short], need[short]) / need[short]).sum(axis=1)
            # every household that can move straight somewhere (cheap to try), then the
            # few covering most among those that need a route (a few ms each)
            by_cover = np.argsort(-cover, kind="stable")
            by_cover = by_cover[cover[by_cover] > 0]
            straight = state.direct_col[here[by_cover]] >= 0
            order = np.concatenate(
                [by_cover[straight][:_MOVE_CANDIDATES], by_cover[~straight][:_ROUTED_CANDIDATES]]
            )
            at_base = state is self.base
            # the route that keeps the most score, over the households that cover most
            best: tuple[float, list[Move]] | None = None
            for w in here[order].tolist():
                if clock() >= deadline:
                    return None
                if at_base and (w, d) in self.failed:
                    continue
                route = _route(inst, w, banned, state, self.unit_start, self.kinds)
                if route is None:
                    if at_base:
                        self.failed.add((w, d))
                    continue
                gain = sum(float(inst.col_score[c]) - state.score_now[v] for v, c in route)
                if best is None or gain > best[0]:
                    best = (gain, route)
            if best is not None:
                for unit, col in best[1]:
                    trial[unit] = col
            else:
                # leave out the one covering most among those with fewer persons
                fewer = by_cover[persons[here[by_cover]] < persons[u] - lost]
                if not fewer.size or not self.leave_out:
                    return None
                w = int(here[fewer[0]])
                trial[w] = -1
                lost += persons[w]
            state = _state(inst, trial, self.movable)
        return None
