"""A seeded, deterministic synthetic camp modelled on public figures (DESIGN.md section 1).

About 2,300 exiles of an opposition movement in ~900 households (many single adults,
ages mostly 30-70), ten destinations whose pledges add up to the reported outcome, the
operation about two years in, arrest-warrant holds on prominent residents, five missile
attacks (one killing 24) and harassment. Every name is synthetic. Pure Python: the
loader in ``resettle.demo`` writes it to the database.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from resettle.core.persian_names import FAMILY_NAMES, GIVEN_NAMES_FEMALE, GIVEN_NAMES_MALE
from resettle.core.stages import DocumentKind, HoldType, Stage

DESTINATIONS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    # code, name, places pledged (persons), languages
    ("DE", "Germany", 420, ("de",)),
    ("NO", "Norway", 180, ("no",)),
    ("GB", "United Kingdom", 250, ("en",)),
    ("NL", "Netherlands", 200, ("nl",)),
    ("FI", "Finland", 120, ("fi", "sv")),
    ("DK", "Denmark", 160, ("da",)),
    ("BE", "Belgium", 150, ("nl", "fr")),
    ("IT", "Italy", 220, ("it",)),
    ("ES", "Spain", 300, ("es",)),
    ("AL", "Albania", 700, ("sq",)),
)
EUROPEAN = tuple(d[0] for d in DESTINATIONS if d[0] != "AL")

OCCUPATIONS = (
    "engineer",
    "teacher",
    "nurse",
    "physician",
    "accountant",
    "translator",
    "electrician",
    "mechanic",
    "journalist",
    "cook",
    "tailor",
    "carpenter",
    "IT technician",
    "farmer",
    "pharmacist",
    "musician",
    "driver",
    "administrator",
    "lawyer",
    "architect",
)
SKILLS = (
    "first aid",
    "driving licence",
    "welding",
    "bookkeeping",
    "programming",
    "radio",
    "printing",
    "plumbing",
    "interpreting",
    "teaching adults",
    "video editing",
)
EXTRA_LANGUAGES = ("en", "ar", "de", "fr", "tr", "ku", "sv", "it", "es", "no")
NEED_CODES = ("SM", "DS", "ER", "TR", "WR", "SP", "CR", "LP")


@dataclass
class DemoPerson:
    id: uuid.UUID
    registration_id: str
    given_name: str
    family_name: str
    given_name_original: str
    family_name_original: str
    sex: str
    date_of_birth: date
    dob_precision: str
    dob_estimated: bool
    nationality: str
    languages: list[str]
    education: str
    occupation: str
    skills: str
    specific_needs: list[str]
    ties: list[str]
    phone: str
    prominence: int
    arrived_in_camp: date
    status: str = "present"
    left_camp: date | None = None


@dataclass
class DemoMember:
    person: DemoPerson
    relationship: str


@dataclass
class DemoDocument:
    person_id: uuid.UUID
    kind: DocumentKind
    number: str
    valid_from: date
    valid_until: date


@dataclass
class DemoHold:
    person_id: uuid.UUID
    hold_type: HoldType
    reason: str
    authority: str
    reference: str
    notes: str
    start_date: date
    review_date: date | None


@dataclass
class DemoHousehold:
    id: uuid.UUID
    reference: str
    members: list[DemoMember]
    stage: Stage
    stage_since: date
    destination: str | None
    preferences: list[str]
    #: (stage, day entered) in order, for the timeline
    history: list[tuple[Stage, date]] = field(default_factory=list)
    decision: str = ""
    departure_code: str | None = None
    closure_reason: str = ""

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class DemoDeparture:
    id: uuid.UUID
    code: str
    day: date
    destination: str
    seats: int
    carrier: str
    flight_number: str
    status: str
    special: dict[str, int]
    households: list[uuid.UUID] = field(default_factory=list)


@dataclass
class DemoCasualty:
    person_id: uuid.UUID
    outcome: str
    severity: int | None


@dataclass
class DemoIncident:
    id: uuid.UUID
    incident_type: str
    occurred_at: datetime
    place: str
    description: str
    source: str
    severity: int
    damage: str
    casualties: list[DemoCasualty] = field(default_factory=list)


@dataclass
class DemoCamp:
    today: date
    site_name: str
    households: list[DemoHousehold]
    documents: list[DemoDocument]
    holds: list[DemoHold]
    departures: list[DemoDeparture]
    incidents: list[DemoIncident]

    @property
    def persons(self) -> list[DemoPerson]:
        return [m.person for h in self.households for m in h.members]


SITE_NAME = "Camp Meridian"
OPERATION_DAYS_SO_FAR = 730  # about two years in
#: Share of households per stage among those still in the pipeline (present in camp).
PRESENT_STAGE_WEIGHTS: tuple[tuple[Stage, float], ...] = (
    (Stage.REGISTERED, 0.14),
    (Stage.ASSESSED, 0.16),
    (Stage.ALLOCATED, 0.14),
    (Stage.SUBMITTED, 0.18),
    (Stage.DECIDED, 0.10),
    (Stage.PRE_DEPARTURE, 0.12),
    (Stage.READY, 0.10),
    (Stage.BOOKED, 0.06),
)
DEPARTED_SHARE = 0.36


class _Gen:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.start = today - timedelta(days=OPERATION_DAYS_SO_FAR)
        self.person_seq = 0
        self.doc_seq = 0

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def person(
        self, *, sex: str, age: int, family: tuple[str, str], prominent: bool = False
    ) -> DemoPerson:
        rng = self.rng
        self.person_seq += 1
        names = GIVEN_NAMES_MALE if sex == "M" else GIVEN_NAMES_FEMALE
        given = rng.choice(names)
        year = self.today.year - age
        precision = rng.choices(("day", "month", "year"), weights=(80, 8, 12))[0]
        if precision == "day":
            dob = date(year, rng.randint(1, 12), rng.randint(1, 28))
        elif precision == "month":
            dob = date(year, rng.randint(1, 12), 1)
        else:
            dob = date(year, 1, 1)
        dob = min(dob, self.today - timedelta(days=rng.randint(20, 300)))  # born already
        languages = ["fa"]
        for _ in range(rng.choices((0, 1, 2), weights=(45, 40, 15))[0]):
            extra = rng.choice(EXTRA_LANGUAGES)
            if extra not in languages:
                languages.append(extra)
        needs: list[str] = []
        if age >= 60 and rng.random() < 0.35:
            needs.append("ER")
        if rng.random() < 0.08 + (0.1 if age > 55 else 0):
            needs.append("SM")
        if rng.random() < 0.04:
            needs.append("DS")
        if rng.random() < 0.05:
            needs.append("TR")
        ties = [rng.choice(EUROPEAN)] if rng.random() < 0.22 else []
        adult = age >= 18
        return DemoPerson(
            id=self.uid(),
            registration_id=f"CMR-{self.person_seq:05d}",
            given_name=given[0],
            family_name=family[0],
            given_name_original=given[1],
            family_name_original=family[1],
            sex=sex,
            date_of_birth=dob,
            dob_precision=precision,
            dob_estimated=precision != "day",
            nationality="IR" if rng.random() < 0.97 else rng.choice(("IQ", "AF", "TR")),
            languages=languages,
            education=(
                rng.choices(
                    ("primary", "secondary", "vocational", "university", "postgraduate"),
                    weights=(10, 30, 15, 35, 10),
                )[0]
                if adult
                else "primary"
            ),
            occupation=rng.choice(OCCUPATIONS) if adult else "",
            skills=", ".join(rng.sample(SKILLS, rng.randint(0, 2))) if adult else "",
            specific_needs=needs,
            ties=ties,
            phone=f"+964 7{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            if adult
            else "",
            prominence=3 if prominent else rng.choices((0, 1, 2), weights=(80, 15, 5))[0],
            arrived_in_camp=self.start - timedelta(days=rng.randint(30, 400)),
        )

    def adult_age(self) -> int:
        return max(19, min(85, int(self.rng.triangular(24, 78, 50))))

    def household_members(self) -> list[DemoMember]:
        rng = self.rng
        family = rng.choice(FAMILY_NAMES)
        kind = rng.choices(("single", "couple", "family", "extended"), weights=(45, 18, 30, 7))[0]
        sex = "M" if rng.random() < 0.62 else "F"
        principal = self.person(sex=sex, age=self.adult_age(), family=family)
        members = [DemoMember(principal, "principal")]
        if kind == "single":
            return members
        p_age = self.today.year - principal.date_of_birth.year
        spouse_age = max(19, p_age + rng.randint(-8, 5))
        spouse_family = rng.choice(FAMILY_NAMES)
        members.append(
            DemoMember(
                self.person(sex="F" if sex == "M" else "M", age=spouse_age, family=spouse_family),
                "spouse",
            )
        )
        if kind in ("family", "extended"):
            for _ in range(rng.choices((1, 2, 3, 4, 5), weights=(30, 35, 20, 10, 5))[0]):
                child_age = max(0, min(p_age - 18, rng.randint(0, 30)))
                members.append(
                    DemoMember(
                        self.person(sex=rng.choice("MF"), age=child_age, family=family), "child"
                    )
                )
        if kind == "extended":
            relation = rng.choice(("parent", "sibling", "other_relative"))
            age = min(90, p_age + 25) if relation == "parent" else self.adult_age()
            members.append(
                DemoMember(self.person(sex=rng.choice("MF"), age=age, family=family), relation)
            )
        return members


def generate(seed: int = 1, *, today: date | None = None, target_persons: int = 2300) -> DemoCamp:
    """Build the whole camp from ``seed``; the same seed and day give the same camp."""
    today = today or date.today()
    gen = _Gen(seed, today)
    rng = gen.rng
    households: list[DemoHousehold] = []
    count = 0
    while count < target_persons:
        members = gen.household_members()
        count += len(members)
        households.append(
            DemoHousehold(
                id=gen.uid(),
                reference=f"H{len(households) + 1:05d}",
                members=members,
                stage=Stage.REGISTERED,
                stage_since=today,
                destination=None,
                preferences=rng.sample(EUROPEAN, 3),
            )
        )
    # the most prominent residents: named by the hostile state
    for household in rng.sample(households, 30):
        household.members[0].person.prominence = 3

    departures, pledged_left = _assign_stages(gen, households)
    documents = _documents(gen, households)
    holds = _holds(gen, households)
    incidents = _incidents(gen, households)
    _ = pledged_left
    return DemoCamp(today, SITE_NAME, households, documents, holds, departures, incidents)


def _assign_stages(
    gen: _Gen, households: list[DemoHousehold]
) -> tuple[list[DemoDeparture], dict[str, int]]:
    rng, today, start = gen.rng, gen.today, gen.start
    order = households[:]
    rng.shuffle(order)
    room = {code: places for code, _name, places, _langs in DESTINATIONS}
    n_departed = int(len(order) * DEPARTED_SHARE)
    departed, present = order[:n_departed], order[n_departed:]
    departures: list[DemoDeparture] = []

    def destination_for(h: DemoHousehold) -> str:
        wanted = [
            c
            for c in h.preferences + [m.person.ties[0] for m in h.members if m.person.ties]
            if room.get(c, 0) >= h.size
        ]
        choice = wanted[0] if wanted and rng.random() < 0.7 else None
        if choice is None:
            open_ = [c for c, left in room.items() if left >= h.size]
            choice = rng.choice(open_) if open_ else "AL"
        room[choice] -= h.size
        return choice

    # past departures: roughly fortnightly flights over the last two years
    by_dest: dict[str, list[DemoHousehold]] = {}
    for h in departed:
        h.destination = destination_for(h)
        by_dest.setdefault(h.destination, []).append(h)
    flight_no = 0
    for code, group in sorted(by_dest.items()):
        chunk = 0
        while chunk < len(group):
            flight_no += 1
            batch: list[DemoHousehold] = []
            seats = 0
            while chunk < len(group) and seats + group[chunk].size <= 90:
                batch.append(group[chunk])
                seats += group[chunk].size
                chunk += 1
            day = start + timedelta(days=rng.randint(90, OPERATION_DAYS_SO_FAR - 20))
            arrived = day < today - timedelta(days=2)
            dep = DemoDeparture(
                id=gen.uid(),
                code=f"RS{flight_no:03d}-{code}",
                day=day,
                destination=code,
                seats=max(seats, 100),
                carrier="Charter Air",
                flight_number=f"CA{700 + flight_no}",
                status="arrived" if arrived else "departed",
                special={"wheelchair": 4},
                households=[h.id for h in batch],
            )
            departures.append(dep)
            for h in batch:
                h.stage = Stage.ARRIVED if arrived else Stage.DEPARTED
                h.stage_since = day + timedelta(days=1 if arrived else 0)
                h.decision = "accepted"
                h.departure_code = dep.code
                _history(gen, h, until=day)
                for m in h.members:
                    m.person.status = "departed"
                    m.person.left_camp = day
    # households still present, spread over the pipeline
    stages = [s for s, _w in PRESENT_STAGE_WEIGHTS]
    weights = [w for _s, w in PRESENT_STAGE_WEIGHTS]
    booked: dict[str, list[DemoHousehold]] = {}
    for h in present:
        stage = rng.choices(stages, weights=weights)[0]
        h.stage = stage
        if stage in (
            Stage.ALLOCATED,
            Stage.SUBMITTED,
            Stage.DECIDED,
            Stage.PRE_DEPARTURE,
            Stage.READY,
            Stage.BOOKED,
        ):
            h.destination = destination_for(h)
        if stage in (Stage.DECIDED, Stage.PRE_DEPARTURE, Stage.READY, Stage.BOOKED):
            h.decision = "accepted"
        h.stage_since = today - timedelta(days=rng.randint(3, 160))
        _history(gen, h, until=h.stage_since)
        if stage == Stage.BOOKED and h.destination:
            booked.setdefault(h.destination, []).append(h)
    # upcoming departures: the booked households, plus empty scheduled charters
    for i, (code, group) in enumerate(sorted(booked.items())):
        flight_no += 1
        departures.append(
            DemoDeparture(
                id=gen.uid(),
                code=f"RS{flight_no:03d}-{code}",
                day=today + timedelta(days=7 + 3 * i),
                destination=code,
                seats=max(60, sum(h.size for h in group) + 20),
                carrier="Charter Air",
                flight_number=f"CA{700 + flight_no}",
                status="confirmed",
                special={"wheelchair": 2},
                households=[h.id for h in group],
            )
        )
        for h in group:
            h.departure_code = departures[-1].code
    for week, code in enumerate(("AL", "DE", "ES", "GB", "IT", "AL", "NL", "DK")):
        flight_no += 1
        departures.append(
            DemoDeparture(
                id=gen.uid(),
                code=f"RS{flight_no:03d}-{code}",
                day=today + timedelta(days=21 + 14 * week),
                destination=code,
                seats=120 if code == "AL" else 80,
                carrier="Charter Air",
                flight_number=f"CA{700 + flight_no}",
                status="planned",
                special={"wheelchair": 3, "stretcher": 1},
            )
        )
    return departures, room


def _history(gen: _Gen, h: DemoHousehold, *, until: date) -> None:
    """Plausible dates for each stage passed on the way to the current one."""
    path = [
        s
        for s in (
            Stage.REGISTERED,
            Stage.ASSESSED,
            Stage.ALLOCATED,
            Stage.SUBMITTED,
            Stage.DECIDED,
            Stage.PRE_DEPARTURE,
            Stage.READY,
            Stage.BOOKED,
            Stage.DEPARTED,
            Stage.ARRIVED,
        )
    ]
    upto = path[: path.index(h.stage) + 1]
    first = gen.start + timedelta(days=gen.rng.randint(0, 60))
    last = min(until, gen.today)
    if last <= first:
        first = last - timedelta(days=len(upto) * 5)
    span = (last - first).days
    days = sorted(gen.rng.randint(0, max(span, 0)) for _ in upto)
    h.history = [(stage, first + timedelta(days=d)) for stage, d in zip(upto, days, strict=True)]
    h.history[-1] = (h.stage, h.stage_since if h.stage_since <= gen.today else last)


def _documents(gen: _Gen, households: list[DemoHousehold]) -> list[DemoDocument]:
    rng, today = gen.rng, gen.today
    docs: list[DemoDocument] = []
    for h in households:
        if h.stage not in (Stage.PRE_DEPARTURE, Stage.READY, Stage.BOOKED):
            continue
        for m in h.members:
            gen.doc_seq += 1
            p = m.person
            kinds = [DocumentKind.TRAVEL_DOCUMENT, DocumentKind.EXIT_PERMIT]
            if h.stage in (Stage.READY, Stage.BOOKED):
                kinds += [DocumentKind.ENTRY_VISA, DocumentKind.FIT_TO_TRAVEL]
            elif rng.random() < 0.5:
                kinds.append(DocumentKind.ENTRY_VISA)
            for kind in kinds:
                if kind == DocumentKind.FIT_TO_TRAVEL:
                    start, end = today - timedelta(days=1), today + timedelta(days=60)
                else:
                    start = today - timedelta(days=rng.randint(30, 300))
                    end = today + timedelta(days=rng.randint(60, 900))
                docs.append(
                    DemoDocument(p.id, kind, f"X{rng.randint(10**7, 10**8 - 1)}", start, end)
                )
    return docs


def _holds(gen: _Gen, households: list[DemoHousehold]) -> list[DemoHold]:
    rng, today = gen.rng, gen.today
    holds: list[DemoHold] = []
    in_camp = [h for h in households if h.stage not in (Stage.DEPARTED, Stage.ARRIVED)]
    prominent = [m.person for h in in_camp for m in h.members if m.person.prominence == 3]
    for person in prominent[:22]:
        start = today - timedelta(days=rng.randint(20, 400))
        holds.append(
            DemoHold(
                person.id,
                HoldType.LEGAL,
                "arrest_warrant",
                "Investigative court, district 2",
                f"AW-{rng.randint(1000, 9999)}/{start.year}",
                "Warrant issued at the request of the government of origin.",
                start,
                today + timedelta(days=rng.randint(-20, 60)),
            )
        )
    candidates = [m.person for h in in_camp for m in h.members if "SM" in m.person.specific_needs]
    for person in rng.sample(candidates, min(30, len(candidates))):
        holds.append(
            DemoHold(
                person.id,
                HoldType.MEDICAL,
                rng.choice(("not_fit_to_travel", "hospitalised")),
                "Camp clinic",
                "",
                "",
                today - timedelta(days=rng.randint(5, 120)),
                today + timedelta(days=rng.randint(-10, 45)),
            )
        )
    for h in rng.sample(in_camp, 18):
        holds.append(
            DemoHold(
                h.members[0].person.id,
                HoldType.SECURITY,
                "vetting_pending",
                "Receiving state's vetting service",
                f"V-{rng.randint(100, 999)}",
                "",
                today - timedelta(days=rng.randint(10, 90)),
                today + timedelta(days=30),
            )
        )
    for h in rng.sample(in_camp, 14):
        holds.append(
            DemoHold(
                h.members[0].person.id,
                HoldType.ADMINISTRATIVE,
                "documents_missing",
                "Registration office",
                "",
                "Civil documents not yet produced.",
                today - timedelta(days=rng.randint(10, 60)),
                today + timedelta(days=14),
            )
        )
    return holds


ATTACKS: tuple[tuple[int, int, int], ...] = (
    # days before today, killed, injured
    (690, 8, 40),
    (610, 24, 70),
    (455, 3, 15),
    (260, 1, 12),
    (95, 2, 9),
)


def _incidents(gen: _Gen, households: list[DemoHousehold]) -> list[DemoIncident]:
    rng, today = gen.rng, gen.today
    incidents: list[DemoIncident] = []
    alive = [m.person for h in households for m in h.members]
    for days_ago, killed, injured in ATTACKS:
        when = datetime.combine(
            today - timedelta(days=days_ago),
            time(rng.randint(0, 5), rng.randint(0, 59)),
            tzinfo=UTC,
        )
        present = [p for p in alive if p.status == "present"]
        victims = rng.sample(present, killed + injured)
        incident = DemoIncident(
            id=gen.uid(),
            incident_type="missile_attack",
            occurred_at=when,
            place=rng.choice(("residential blocks", "north gate", "clinic area", "dining hall")),
            description=f"Rocket salvo hit the camp; {killed} killed, {injured} injured.",
            source="Camp security team",
            severity=4,
            damage=f"{rng.randint(5, 40)} trailers destroyed or damaged.",
        )
        for i, person in enumerate(victims):
            if i < killed:
                incident.casualties.append(DemoCasualty(person.id, "killed", None))
                person.status = "deceased"
                person.left_camp = when.date()
                alive.remove(person)
            else:
                incident.casualties.append(
                    DemoCasualty(person.id, "injured", rng.choice((1, 2, 2, 3, 4)))
                )
        incidents.append(incident)
    for _ in range(18):
        when = datetime.combine(
            today - timedelta(days=rng.randint(1, OPERATION_DAYS_SO_FAR)),
            time(rng.randint(0, 23), 0),
            tzinfo=UTC,
        )
        kind = rng.choice(("harassment", "harassment", "siege_measure", "threat"))
        incidents.append(
            DemoIncident(
                id=gen.uid(),
                incident_type=kind,
                occurred_at=when,
                place="perimeter",
                description={
                    "harassment": "Loudspeakers at the perimeter broadcasting threats all night.",
                    "siege_measure": "Fuel delivery refused at the checkpoint.",
                    "threat": "Threats against residents relayed by visitors.",
                }[kind],
                source="Camp security team",
                severity=rng.choice((1, 2)),
                damage="",
            )
        )
    _close_deceased(households, today)
    return sorted(incidents, key=lambda i: i.occurred_at)


def _close_deceased(households: list[DemoHousehold], today: date) -> None:
    """Households whose every member was killed are closed; others get a new principal."""
    for h in households:
        living = [m for m in h.members if m.person.status != "deceased"]
        if not living:
            h.stage = Stage.DECEASED
            h.closure_reason = "All members killed in an attack on the camp."
            h.history.append((Stage.DECEASED, today))
            h.departure_code = None
        elif h.members[0].person.status == "deceased":
            h.members[0].relationship = "other_relative"
            adults = sorted(living, key=lambda m: m.person.date_of_birth)
            adults[0].relationship = "principal"
