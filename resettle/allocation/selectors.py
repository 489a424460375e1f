"""Reads for allocation: the runs a user may open, and the problem built from the registry.

``problem_from_db`` is the edge between Django rows and the core solver: it turns the
households waiting for allocation (in the user's scope) and the active pledges into the
plain facts of ``resettle.core.allocation.scoring`` and returns the solver's problem with
the room still left at each destination. docs/allocation.md, "From the registry",
states every rule.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from resettle.accounts.policy import Action
from resettle.accounts.selectors import scope_for
from resettle.allocation.models import AllocationRun, Placement
from resettle.casework.models import Hold, HoldStatus
from resettle.casework.services import COMMITTED_STAGES
from resettle.core.allocation.model import PERSONS, AllocationProblem, Case, Destination
from resettle.core.allocation.scoring import (
    LARGE_FAMILY,
    MEDICAL,
    HouseholdFacts,
    OutcomeModel,
    PledgeFacts,
    ScoringWeights,
    build_problem,
)
from resettle.core.stages import HOLD_BLOCKS, HoldType, Stage
from resettle.destinations.models import Destination as DestinationRow
from resettle.destinations.models import Pledge
from resettle.registry.models import Household, HouseholdLink, Membership, Relationship
from resettle.registry.selectors import households_for

#: the specific-needs code of a serious medical condition (needs the destination's
#: medical capacity) and of a single parent (UNHCR codes)
SERIOUS_MEDICAL = "SM"
SINGLE_PARENT_CODE = "SP"
ADULT_AGE = 18

#: hold types that forbid putting a file to a destination: such households wait outside runs
_BLOCKS_SUBMISSION = frozenset(h for h in HoldType if Stage.SUBMITTED in HOLD_BLOCKS[h])


# --------------------------------------------------------------------------- runs


def runs_for(user: Any) -> QuerySet[AllocationRun]:
    """Runs the user may open: every run for operation-wide users without a site limit;
    for users narrowed to sites, runs made under a site limit whose households all lie in
    their sites. Without the allocation action, none."""
    scope = scope_for(user)
    if not scope.can(Action.RUN_ALLOCATION) or not scope.operation_wide:
        return AllocationRun.objects.none()
    runs = AllocationRun.objects.select_related("created_by")
    if scope.site_ids is None:
        return runs
    outside = Placement.objects.filter(run=OuterRef("pk")).exclude(
        household__site_id__in=list(scope.site_ids)
    )
    return runs.filter(all_sites=False).exclude(Exists(outside))


def get_run(user: Any, run_id: object) -> AllocationRun:
    """The run if the user may open it; 404 (as for a missing run) otherwise."""
    try:
        parsed = uuid.UUID(str(run_id))
    except ValueError as exc:
        raise Http404("No such record.") from exc
    run = runs_for(user).filter(pk=parsed).first()
    if run is None:
        raise Http404("No such record.")
    return run


def placements_of(run: AllocationRun) -> QuerySet[Placement]:
    return run.placements.select_related("household", "destination", "submission").order_by(
        "household__reference"
    )


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class HouseholdInfo:
    """What the run keeps about a household (JSON-safe, no names)."""

    id: str
    reference: str
    version: int
    size: int
    large_family: bool
    medical_persons: int
    single_parent: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "reference": self.reference, "version": self.version,
            "size": self.size, "large_family": self.large_family,
            "medical_persons": self.medical_persons, "single_parent": self.single_parent,
        }


@dataclass(frozen=True)
class DestinationInfo:
    """A destination's pledges (active ones, summed) and what is already committed there."""

    id: str
    code: str
    name: str
    places: int
    committed: int
    large_family_places: int
    large_family_committed: int
    medical_places: int
    medical_committed: int
    single_parent_support: bool

    @property
    def room(self) -> int:
        return max(0, self.places - self.committed)

    @property
    def large_family_room(self) -> int:
        return max(0, self.large_family_places - self.large_family_committed)

    @property
    def medical_room(self) -> int:
        return max(0, self.medical_places - self.medical_committed)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "code": self.code, "name": self.name, "places": self.places,
            "committed": self.committed, "room": self.room,
            "large_family_places": self.large_family_places,
            "large_family_committed": self.large_family_committed,
            "large_family_room": self.large_family_room,
            "medical_places": self.medical_places, "medical_committed": self.medical_committed,
            "medical_room": self.medical_room,
            "single_parent_support": self.single_parent_support,
        }


@dataclass(frozen=True)
class RegistryProblem:
    """The solver's problem plus what the review needs to explain it."""

    problem: AllocationProblem
    households: dict[str, HouseholdInfo]
    """Case id (the household's reference) -> household."""
    destinations: dict[str, DestinationInfo]
    """Destination id in the problem (ISO code) -> destination."""
    incompatible: Mapping[str, Mapping[str, str]]
    held_back: list[dict[str, str]] = field(default_factory=list)
    """Allocated households left out of the run, with the reason (a hold blocks submission)."""
    dropped_locks: list[dict[str, str]] = field(default_factory=list)
    links_outside: int = 0
    """Links from a household of the run to one outside it (ignored)."""

    def context(self) -> dict[str, Any]:
        return {
            "households": {k: v.as_json() for k, v in self.households.items()},
            "destinations": {k: v.as_json() for k, v in self.destinations.items()},
            "incompatible": {k: dict(v) for k, v in self.incompatible.items()},
            "held_back": self.held_back,
            "dropped_locks": self.dropped_locks,
            "links_outside": self.links_outside,
        }


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _active_pledges(today: date) -> QuerySet[Pledge]:
    """The pledges casework's ``pledged_room`` counts: not ended by ``today``."""
    return Pledge.objects.filter(
        Q(period_end__isnull=True) | Q(period_end__gte=today), destination__active=True
    ).select_related("destination")


def destinations_with_room(*, today: date, weights: ScoringWeights) -> dict[str, DestinationInfo]:
    """Every active destination with an active pledge: pledged and committed, per dimension.

    Committed = travelling members of households submitted there, decided or further
    (the rule of ``casework.services.pledged_room``), counted over the whole operation.
    """
    pledged: dict[Any, list[Pledge]] = defaultdict(list)
    for pledge in _active_pledges(today):
        pledged[pledge.destination_id].append(pledge)
    committed_persons: dict[Any, int] = defaultdict(int)
    committed_medical: dict[Any, int] = defaultdict(int)
    household_sizes: dict[Any, tuple[Any, int]] = {}
    rows = Membership.objects.filter(
        active=True, travelling=True,
        household__destination_id__in=list(pledged),
        household__stage__in=[s.value for s in COMMITTED_STAGES],
    ).values_list("household_id", "household__destination_id", "person__specific_needs")
    for household_id, dest_id, needs in rows:
        committed_persons[dest_id] += 1
        if SERIOUS_MEDICAL in (needs or []):
            committed_medical[dest_id] += 1
        _, size = household_sizes.get(household_id, (dest_id, 0))
        household_sizes[household_id] = (dest_id, size + 1)
    committed_large: dict[Any, int] = defaultdict(int)
    for dest_id, size in household_sizes.values():
        if size >= weights.large_family_size:
            committed_large[dest_id] += 1
    out: dict[str, DestinationInfo] = {}
    for dest_id, pledges in sorted(pledged.items(), key=lambda kv: kv[1][0].destination.code):
        dest = pledges[0].destination
        out[dest.code] = DestinationInfo(
            id=str(dest.pk), code=dest.code, name=dest.name,
            places=sum(p.places for p in pledges), committed=committed_persons[dest_id],
            large_family_places=sum(p.large_family_places for p in pledges),
            large_family_committed=committed_large[dest_id],
            medical_places=sum(p.medical_places for p in pledges),
            medical_committed=committed_medical[dest_id],
            single_parent_support=any(p.single_parent_support for p in pledges),
        )
    return out


def _pledge_facts(
    info: DestinationInfo, pledges: list[Pledge], local_languages: list[str]
) -> PledgeFacts:
    """One destination's pledges as the scoring model's criteria (an empty list = any)."""
    sizes = [p.max_household_size for p in pledges]
    languages = None if any(not p.languages for p in pledges) else frozenset(
        lang for p in pledges for lang in p.languages)
    nationalities = None if any(not p.nationalities for p in pledges) else frozenset(
        n for p in pledges for n in p.nationalities)
    return PledgeFacts(
        destination=info.code,
        places=info.places,
        max_household_size=None if any(s is None for s in sizes) else max(
            s for s in sizes if s is not None),
        large_family_places=info.large_family_places,
        single_parent_places=info.places if info.single_parent_support else 0,
        medical_places=info.medical_places,
        nationalities=nationalities,
        languages_served=languages,
        local_languages=frozenset(local_languages),
    )


def allocation_households(user: Any) -> QuerySet[Household]:
    """Households in the allocation stage that the user may see."""
    return households_for(user).filter(stage=Stage.ALLOCATED).order_by("reference")


def problem_from_db(
    user: Any,
    *,
    today: date,
    locks: Mapping[str, str] | None = None,
    weights: ScoringWeights | None = None,
    outcome_model: OutcomeModel | None = None,
) -> RegistryProblem:
    """The allocation problem for the households waiting in ``user``'s scope.

    ``locks`` maps a household id to the destination code an officer fixed (from the run
    being re-run). Capacities are the room left: pledged minus committed, per dimension.
    ``outcome_model`` (e.g. predicted employment) adds its term to the score once fitted.
    """
    w = weights or ScoringWeights()
    locks = locks or {}
    destinations = destinations_with_room(today=today, weights=w)
    pledges_by_code: dict[str, list[Pledge]] = defaultdict(list)
    for pledge in _active_pledges(today):
        pledges_by_code[pledge.destination.code].append(pledge)
    local_languages = {
        d.code: list(d.languages or [])
        for d in DestinationRow.objects.filter(code__in=list(destinations))
    }

    households = list(allocation_households(user))
    members: dict[Any, list[Membership]] = defaultdict(list)
    for m in Membership.objects.filter(
        household__in=[h.pk for h in households], active=True, travelling=True
    ).select_related("person"):
        members[m.household_id].append(m)
    blocked: dict[Any, str] = {}
    person_household = {m.person_id: hid for hid, ms in members.items() for m in ms}
    for person_id, hold_type in Hold.objects.filter(
        person_id__in=list(person_household), status=HoldStatus.ACTIVE
    ).values_list("person_id", "hold_type"):
        if HoldType(hold_type) in _BLOCKS_SUBMISSION:
            blocked[person_household[person_id]] = (
                f"an active {hold_type} hold blocks submission")

    facts: list[HouseholdFacts] = []
    infos: dict[str, HouseholdInfo] = {}
    held_back: list[dict[str, str]] = []
    dropped: list[dict[str, str]] = []
    by_id: dict[Any, Household] = {}
    for household in households:
        travelling = members.get(household.pk, [])
        if not travelling:
            held_back.append({"id": str(household.pk), "reference": household.reference,
                              "reason": "no travelling member"})
            continue
        if household.pk in blocked:
            held_back.append({"id": str(household.pk), "reference": household.reference,
                              "reason": blocked[household.pk]})
            continue
        persons = [m.person for m in travelling]
        needs = [set(p.specific_needs or []) for p in persons]
        medical = sum(1 for n in needs if SERIOUS_MEDICAL in n)
        has_spouse = any(m.relationship == Relationship.SPOUSE for m in travelling)
        minors = any(
            m.relationship == Relationship.CHILD and _age_on(m.person.date_of_birth, today)
            < ADULT_AGE for m in travelling)
        single_parent = any(SINGLE_PARENT_CODE in n for n in needs) or (minors and not has_spouse)
        ties: dict[str, int] = defaultdict(int)
        for person in persons:
            for code in set(person.ties or []):
                if code in destinations:
                    ties[code] += 1
        preferences: list[str] = []
        for code in household.preferences or []:
            if code in destinations and code not in preferences:
                preferences.append(code)
        lock = locks.get(str(household.pk))
        if lock is not None and lock not in destinations:
            dropped.append({"id": str(household.pk), "reference": household.reference,
                            "destination": lock, "reason": "no active pledge there any more"})
            lock = None
        facts.append(HouseholdFacts(
            id=household.reference,
            size=len(travelling),
            nationalities=frozenset(p.nationality for p in persons if p.nationality),
            languages=frozenset(lang for p in persons for lang in (p.languages or [])),
            medical=medical > 0,
            single_parent=single_parent,
            ties=dict(ties),
            preferences=tuple(preferences),
            locked=lock,
        ))
        infos[household.reference] = HouseholdInfo(
            id=str(household.pk), reference=household.reference, version=household.version,
            size=len(travelling), large_family=len(travelling) >= w.large_family_size,
            medical_persons=medical, single_parent=single_parent,
        )
        by_id[household.pk] = household

    pairs: list[tuple[str, str]] = []
    links_outside = 0
    ids = list(by_id)
    for first_id, second_id in HouseholdLink.objects.filter(
        Q(first_id__in=ids) | Q(second_id__in=ids)
    ).values_list("first_id", "second_id"):
        if first_id in by_id and second_id in by_id:
            pairs.append((by_id[first_id].reference, by_id[second_id].reference))
        else:
            links_outside += 1

    pledge_facts = [
        _pledge_facts(info, pledges_by_code[code], local_languages.get(code, []))
        for code, info in destinations.items()
    ]
    scored = build_problem(facts, pledge_facts, weights=w, outcome_model=outcome_model,
                           together=pairs)
    problem = _with_room_left(scored.problem, destinations, infos)
    return RegistryProblem(
        problem=problem, households=infos, destinations=destinations,
        incompatible=scored.incompatible, held_back=held_back, dropped_locks=dropped,
        links_outside=links_outside,
    )


def _with_room_left(
    problem: AllocationProblem,
    destinations: Mapping[str, DestinationInfo],
    households: Mapping[str, HouseholdInfo],
) -> AllocationProblem:
    """Compatibility comes from the pledges as made; capacity is what is left of them.

    Medical capacity is pledged in persons (``Pledge.medical_places``), so a household
    uses one unit per seriously ill member, not one per household.
    """
    dests = tuple(
        Destination(
            id=d.id,
            capacity={
                **d.capacity,
                PERSONS: float(destinations[d.id].room),
                LARGE_FAMILY: float(destinations[d.id].large_family_room),
                MEDICAL: float(destinations[d.id].medical_room),
            },
        )
        for d in problem.destinations
    )
    cases = tuple(
        Case(
            id=c.id, size=c.size, scores=c.scores, locked=c.locked,
            usage={
                **{k: v for k, v in c.usage.items() if k not in (PERSONS, MEDICAL)},
                **({MEDICAL: float(households[c.id].medical_persons)}
                   if households[c.id].medical_persons else {}),
            },
        )
        for c in problem.cases
    )
    return AllocationProblem(destinations=dests, cases=cases, together=problem.together)


def waiting_summary(user: Any) -> dict[str, int]:
    """Households and persons waiting for allocation in the user's scope (for the list page)."""
    households = allocation_households(user)
    persons = Membership.objects.filter(
        household__in=households, active=True, travelling=True).count()
    return {"households": households.count(), "persons": persons}
