"""The stage machine: every (source, target) pair, every guard and its message, holds per type.

The expected tables below are written out by hand (not derived from TRANSITIONS or
HOLD_BLOCKS), so that a change to the machine must be made twice: once on purpose.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resettle.core.stages import (
    CLOSURES,
    DEPARTURE_ONLY,
    HOLD_BLOCKS,
    PIPELINE,
    TRANSITIONS,
    Decision,
    DocumentFact,
    DocumentKind,
    HoldType,
    HouseholdFacts,
    MemberFacts,
    Stage,
    allowed_targets,
    blocking_holds,
    check_transition,
    is_forward,
    missing_documents,
    next_stage,
)

S = Stage
CLOSE = {"withdrawn", "deceased", "disappeared", "returned"}
#: source -> allowed targets, by hand
EXPECTED_ALLOWED: dict[str, set[str]] = {
    "registered": {"assessed"} | CLOSE,
    "assessed": {"allocated", "registered"} | CLOSE,
    "allocated": {"submitted", "assessed"} | CLOSE,
    "submitted": {"decided", "allocated"} | CLOSE,
    "decided": {"pre_departure", "allocated"} | CLOSE,
    "pre_departure": {"ready"} | CLOSE,
    "ready": {"booked", "pre_departure"} | CLOSE,
    "booked": {"departed", "ready"} | CLOSE,
    "departed": {"arrived", "returned"},
    "arrived": set(),
    "withdrawn": set(),
    "deceased": set(),
    "disappeared": set(),
    "returned": set(),
}
EXPECTED_DEPARTURE_ONLY = {
    ("ready", "booked"),
    ("booked", "departed"),
    ("booked", "ready"),
    ("departed", "arrived"),
}
#: hold type -> target stages it blocks, by hand
EXPECTED_HOLD_BLOCKS: dict[str, set[str]] = {
    "legal": {"ready", "booked", "departed"},
    "medical": {"booked", "departed"},
    "security": {"submitted", "decided", "pre_departure", "ready", "booked", "departed"},
    "administrative": {"submitted", "ready", "booked", "departed"},
}
TODAY = 1000
ALL_DOCS = tuple(DocumentFact(k, TODAY - 30, TODAY + 365) for k in DocumentKind)


def member(
    member_id: str = "m1",
    *,
    holds: tuple[HoldType, ...] = (),
    docs: tuple[DocumentFact, ...] = ALL_DOCS,
    travelling: bool = True,
    label: str = "",
) -> MemberFacts:
    return MemberFacts(
        member_id, travelling=travelling, documents=docs, active_holds=holds, label=label
    )


def clear(stage: Stage, **overrides: object) -> HouseholdFacts:
    """Facts under which every guard passes: only the matrix itself can refuse."""
    values: dict[str, object] = {
        "stage": stage,
        "members": (member("m1"), member("m2")),
        "today": TODAY,
        "destination": "DE",
        "destination_has_room": True,
        "decision": Decision.ACCEPTED,
        "closure_reason": "asked to leave the programme",
        "via_departure": True,
    }
    values.update(overrides)
    return HouseholdFacts(**values)  # type: ignore[arg-type]


def codes(facts: HouseholdFacts, target: Stage) -> list[str]:
    return [r.code for r in check_transition(facts, target)]


def test_tables_match_the_hand_written_expectations() -> None:
    assert {s.value: {t.value for t in ts} for s, ts in TRANSITIONS.items()} == EXPECTED_ALLOWED
    assert {(a.value, b.value) for a, b in DEPARTURE_ONLY} == EXPECTED_DEPARTURE_ONLY
    assert {h.value: {s.value for s in ss} for h, ss in HOLD_BLOCKS.items()} == (
        EXPECTED_HOLD_BLOCKS
    )


@pytest.mark.parametrize(
    ("source", "target"), list(itertools.product(list(Stage), list(Stage))),
    ids=lambda s: s.value,
)
def test_full_matrix(source: Stage, target: Stage) -> None:
    refusals = check_transition(clear(source), target)
    if source == target:
        assert [(r.code, r.message) for r in refusals] == [
            ("same_stage", f"The household is already {source.label.lower()}.")
        ]
    elif target.value in EXPECTED_ALLOWED[source.value]:
        assert refusals == [], f"{source} -> {target} should be allowed: {refusals}"
    else:
        assert [(r.code, r.message) for r in refusals] == [
            (
                "not_allowed",
                f"A household cannot go from {source.label.lower()} to "
                f"{target.label.lower()}.",
            )
        ]


@pytest.mark.parametrize(("source", "target"), sorted(EXPECTED_DEPARTURE_ONLY))
def test_departure_only_moves_refused_outside_a_departure(source: str, target: str) -> None:
    facts = clear(Stage(source), via_departure=False)
    refusals = check_transition(facts, Stage(target))
    assert [r.code for r in refusals] == ["departure_only"]
    assert refusals[0].message == (
        f"{Stage(target).label} is set only through a departure (booking, boarding, "
        "cancellation or arrival)."
    )
    assert check_transition(clear(Stage(source), via_departure=True), Stage(target)) == []


def test_no_other_move_needs_a_departure() -> None:
    for source, targets in EXPECTED_ALLOWED.items():
        for target in targets:
            if (source, target) in EXPECTED_DEPARTURE_ONLY:
                continue
            facts = clear(Stage(source), via_departure=False)
            assert check_transition(facts, Stage(target)) == [], (source, target)


def test_booked_departed_arrived_reachable_only_through_departure() -> None:
    for source in Stage:
        facts = clear(source, via_departure=False)
        for target in (S.BOOKED, S.DEPARTED, S.ARRIVED):
            assert check_transition(facts, target), f"{source} -> {target} without departure"


@pytest.mark.parametrize("closure", sorted(CLOSURES), ids=lambda s: s.value)
def test_closure_needs_a_reason(closure: Stage) -> None:
    facts = clear(S.ALLOCATED, closure_reason="   ")
    refusals = check_transition(facts, closure)
    assert [(r.code, r.message) for r in refusals] == [
        ("reason_required", "A closure needs a reason.")
    ]


@pytest.mark.parametrize("closure", sorted(CLOSURES), ids=lambda s: s.value)
@pytest.mark.parametrize("hold", list(HoldType), ids=lambda h: h.value)
def test_holds_never_block_a_closure(closure: Stage, hold: HoldType) -> None:
    facts = clear(S.READY, members=(member(holds=(hold,), docs=()),))
    assert check_transition(facts, closure) == []


def test_submitted_needs_destination_and_room() -> None:
    refusals = check_transition(clear(S.ALLOCATED, destination=None), S.SUBMITTED)
    assert [(r.code, r.message) for r in refusals] == [
        ("no_destination", "No destination has been chosen.")
    ]
    refusals = check_transition(clear(S.ALLOCATED, destination_has_room=False), S.SUBMITTED)
    assert [(r.code, r.message) for r in refusals] == [
        ("no_room", "DE has no pledged room left for this household.")
    ]


@pytest.mark.parametrize(
    ("decision", "code", "message"),
    [
        (None, "no_decision", "No decision from the destination is recorded."),
        (
            Decision.DEFERRED,
            "deferred",
            "The destination deferred its decision; the household stays submitted until it "
            "decides.",
        ),
        (
            Decision.REJECTED,
            "rejected",
            "The destination rejected the household: return it to allocation.",
        ),
    ],
)
def test_decided_needs_a_positive_decision(
    decision: Decision | None, code: str, message: str
) -> None:
    refusals = check_transition(clear(S.SUBMITTED, decision=decision), S.DECIDED)
    assert [(r.code, r.message) for r in refusals] == [(code, message)]


@pytest.mark.parametrize("decision", [Decision.ACCEPTED, Decision.SPLIT])
def test_decided_accepts_accepted_and_split(decision: Decision) -> None:
    assert check_transition(clear(S.SUBMITTED, decision=decision), S.DECIDED) == []


@pytest.mark.parametrize("decision", [None, Decision.REJECTED, Decision.DEFERRED])
def test_pre_departure_needs_acceptance(decision: Decision | None) -> None:
    refusals = check_transition(clear(S.DECIDED, decision=decision), S.PRE_DEPARTURE)
    assert [(r.code, r.message) for r in refusals] == [
        ("not_accepted", "The destination has not accepted the household.")
    ]


def test_split_goes_on_only_after_confirmation() -> None:
    stays = member("m2", travelling=False)
    unconfirmed = clear(S.DECIDED, decision=Decision.SPLIT, members=(member("m1"), stays))
    refusals = check_transition(unconfirmed, S.PRE_DEPARTURE)
    assert [(r.code, r.message) for r in refusals] == [
        (
            "split_unconfirmed",
            "The decision accepts only some members: confirm who stays before the others "
            "go on.",
        )
    ]
    confirmed = clear(
        S.DECIDED, decision=Decision.SPLIT, split_confirmed=True, members=(member("m1"), stays)
    )
    assert check_transition(confirmed, S.PRE_DEPARTURE) == []


def test_nobody_travelling_blocks_the_way_on() -> None:
    everyone_stays = (member("m1", travelling=False),)
    for source, target in [(S.DECIDED, S.PRE_DEPARTURE), (S.PRE_DEPARTURE, S.READY)]:
        facts = clear(source, members=everyone_stays, split_confirmed=True)
        assert "nobody_travels" in codes(facts, target)


def test_allocated_needs_assessment() -> None:
    refusals = check_transition(clear(S.ASSESSED, assessment_complete=False), S.ALLOCATED)
    assert [(r.code, r.message) for r in refusals] == [
        ("assessment", "The assessment is not complete.")
    ]


@pytest.mark.parametrize(
    ("source", "target"),
    [(S.PRE_DEPARTURE, S.READY), (S.READY, S.BOOKED), (S.BOOKED, S.DEPARTED)],
    ids=lambda s: s.value,
)
@pytest.mark.parametrize("kind", list(DocumentKind), ids=lambda k: k.value)
def test_every_document_kind_is_required(
    source: Stage, target: Stage, kind: DocumentKind
) -> None:
    docs = tuple(d for d in ALL_DOCS if d.kind != kind)
    facts = clear(source, members=(member("m1", docs=docs, label="Maryam K."), member("m2")))
    refusals = check_transition(facts, target)
    label = {
        DocumentKind.TRAVEL_DOCUMENT: "valid travel document",
        DocumentKind.EXIT_PERMIT: "exit permit",
        DocumentKind.ENTRY_VISA: "entry visa or permit",
        DocumentKind.FIT_TO_TRAVEL: "fit-to-travel certificate",
    }[kind]
    assert [(r.code, r.message) for r in refusals] == [
        (f"document_{kind.value}", f"Maryam K. has no {label} valid today.")
    ]


def test_document_expiring_before_the_departure_blocks_the_booking() -> None:
    visa_ends = TODAY + 10
    docs = tuple(
        DocumentFact(k, TODAY - 5, visa_ends if k == DocumentKind.ENTRY_VISA else TODAY + 99)
        for k in DocumentKind
    )
    facts = clear(S.READY, members=(member("m1", docs=docs),), departure_day=TODAY + 11)
    refusals = check_transition(facts, S.BOOKED)
    assert [(r.code, r.message) for r in refusals] == [
        ("document_entry_visa", "m1 has no entry visa or permit valid on the departure day.")
    ]
    # the same documents are fine for a departure on the visa's last day
    on_last_day = clear(S.READY, members=(member("m1", docs=docs),), departure_day=visa_ends)
    assert check_transition(on_last_day, S.BOOKED) == []


def test_document_not_yet_valid_or_expired_does_not_count() -> None:
    kind = DocumentKind.FIT_TO_TRAVEL
    future = member(docs=(DocumentFact(kind, TODAY + 1, TODAY + 3),))
    past = member(docs=(DocumentFact(kind, TODAY - 9, TODAY - 1),))
    today_only = member(docs=(DocumentFact(kind, TODAY, TODAY),))
    assert missing_documents(future, on_day=TODAY, kinds=[kind]) == [kind]
    assert missing_documents(past, on_day=TODAY, kinds=[kind]) == [kind]
    assert missing_documents(today_only, on_day=TODAY, kinds=[kind]) == []
    # an expired passport next to a renewed one is fine
    both = member(docs=(DocumentFact(kind, None, TODAY - 1), DocumentFact(kind, TODAY, None)))
    assert missing_documents(both, on_day=TODAY, kinds=[kind]) == []


def test_members_staying_behind_need_no_documents() -> None:
    facts = clear(S.PRE_DEPARTURE, members=(member("m1"), member("m2", docs=(), travelling=False)))
    assert check_transition(facts, S.READY) == []


FORWARD_PAIRS = [
    (Stage(s), Stage(t))
    for s, ts in EXPECTED_ALLOWED.items()
    for t in ts
    if Stage(s) in PIPELINE and Stage(t) in PIPELINE and PIPELINE.index(Stage(t))
    > PIPELINE.index(Stage(s))
]
BACKWARD_PAIRS = [
    (Stage(s), Stage(t))
    for s, ts in EXPECTED_ALLOWED.items()
    for t in ts
    if Stage(s) in PIPELINE and Stage(t) in PIPELINE and PIPELINE.index(Stage(t))
    < PIPELINE.index(Stage(s))
]


@pytest.mark.parametrize("hold", list(HoldType), ids=lambda h: h.value)
@pytest.mark.parametrize(("source", "target"), FORWARD_PAIRS, ids=lambda s: s.value)
def test_hold_semantics_per_type(hold: HoldType, source: Stage, target: Stage) -> None:
    facts = clear(source, members=(member("m1"), member("m2", holds=(hold,))))
    refusals = check_transition(facts, target)
    if target.value in EXPECTED_HOLD_BLOCKS[hold.value]:
        assert [(r.code, r.message) for r in refusals] == [
            (
                f"hold_{hold.value}",
                f"An active {hold.value} hold on a travelling member blocks "
                f"{target.label.lower()}.",
            )
        ]
    else:
        assert refusals == []


@pytest.mark.parametrize("hold", list(HoldType), ids=lambda h: h.value)
@pytest.mark.parametrize(("source", "target"), FORWARD_PAIRS, ids=lambda s: s.value)
def test_hold_on_member_staying_behind_does_not_block(
    hold: HoldType, source: Stage, target: Stage
) -> None:
    stays = member("m2", holds=(hold,), travelling=False)
    facts = clear(source, members=(member("m1"), stays), split_confirmed=True)
    assert check_transition(facts, target) == []


@pytest.mark.parametrize("hold", list(HoldType), ids=lambda h: h.value)
@pytest.mark.parametrize(("source", "target"), BACKWARD_PAIRS, ids=lambda s: s.value)
def test_holds_never_block_going_back(hold: HoldType, source: Stage, target: Stage) -> None:
    facts = clear(source, members=(member("m1", holds=(hold,)),))
    assert check_transition(facts, target) == []


def test_every_hold_type_blocks_travel() -> None:
    for hold in HoldType:
        facts = clear(S.READY, members=(member(holds=(hold,)),))
        assert f"hold_{hold.value}" in codes(facts, S.BOOKED)
        facts = clear(S.BOOKED, members=(member(holds=(hold,)),))
        assert f"hold_{hold.value}" in codes(facts, S.DEPARTED)


def test_refusals_accumulate() -> None:
    facts = clear(
        S.READY,
        members=(member("m1", holds=(HoldType.MEDICAL, HoldType.LEGAL), docs=()),),
        via_departure=False,
    )
    got = codes(facts, S.BOOKED)
    assert got[:3] == ["departure_only", "hold_medical", "hold_legal"]
    assert sorted(got[3:]) == sorted(f"document_{k.value}" for k in DocumentKind)
    assert blocking_holds(facts, S.BOOKED) == [HoldType.MEDICAL, HoldType.LEGAL]


def test_allowed_targets_are_the_next_actions() -> None:
    facts = clear(S.DECIDED, members=(member(holds=(HoldType.SECURITY,)),))
    assert allowed_targets(facts) == [
        S.ALLOCATED, S.WITHDRAWN, S.DECEASED, S.DISAPPEARED, S.RETURNED
    ]
    assert allowed_targets(clear(S.ARRIVED)) == []
    assert allowed_targets(clear(S.DEPARTED, via_departure=False)) == [S.RETURNED]


def test_next_stage_and_direction() -> None:
    assert next_stage(S.REGISTERED) == S.ASSESSED
    assert next_stage(S.DEPARTED) == S.ARRIVED
    assert next_stage(S.ARRIVED) is None
    assert next_stage(S.WITHDRAWN) is None
    assert is_forward(S.READY, S.BOOKED) and not is_forward(S.BOOKED, S.READY)
    assert not is_forward(S.READY, S.WITHDRAWN)


def test_facts_validate_themselves() -> None:
    with pytest.raises(ValueError, match="member_id"):
        MemberFacts("")
    with pytest.raises(ValueError, match="twice"):
        HouseholdFacts(stage=S.READY, members=(member("a"), member("a")))
    with pytest.raises(ValueError, match="stage must be a Stage"):
        HouseholdFacts(stage="ready", members=())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ends"):
        DocumentFact(DocumentKind.EXIT_PERMIT, 10, 9)
    with pytest.raises(ValueError, match="not a HoldType"):
        MemberFacts("a", active_holds=("legal",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="departure_day"):
        HouseholdFacts(stage=S.READY, members=(), today=10, departure_day=9)


@settings(max_examples=300, deadline=None)
@given(
    source=st.sampled_from(list(Stage)),
    target=st.sampled_from(list(Stage)),
    holds=st.lists(st.sampled_from(list(HoldType)), max_size=3),
    travelling=st.booleans(),
    via_departure=st.booleans(),
    doc_days=st.lists(st.integers(TODAY - 5, TODAY + 5), min_size=4, max_size=4),
)
def test_no_allowed_move_passes_a_blocking_hold_or_expired_document(
    source: Stage,
    target: Stage,
    holds: list[HoldType],
    travelling: bool,
    via_departure: bool,
    doc_days: list[int],
) -> None:
    docs = tuple(DocumentFact(k, None, d) for k, d in zip(DocumentKind, doc_days, strict=True))
    m = member("m1", holds=tuple(holds), docs=docs, travelling=travelling)
    facts = clear(source, members=(m, member("m2")), via_departure=via_departure,
                  split_confirmed=True)
    if check_transition(facts, target):
        return
    assert target.value in EXPECTED_ALLOWED[source.value]
    if (source.value, target.value) in EXPECTED_DEPARTURE_ONLY:
        assert via_departure
    if travelling and is_forward(source, target):
        for hold in holds:
            assert target.value not in EXPECTED_HOLD_BLOCKS[hold.value]
        if target in (S.READY, S.BOOKED, S.DEPARTED):
            assert min(doc_days) >= TODAY
