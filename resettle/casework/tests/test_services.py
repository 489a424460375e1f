"""Casework services against the database: moves, submissions, decisions, splits, holds,
documents and optimistic locking (the threaded races live in test_concurrency.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from resettle.audit.models import AuditEvent
from resettle.casework import services
from resettle.casework.models import (
    Hold,
    HoldStatus,
    MemberDecision,
    StageChange,
    Submission,
    SubmissionStatus,
)
from resettle.casework.tests.helpers import (
    TODAY,
    accept,
    fresh,
    give_documents,
    hold,
    members,
    move,
    to_ready,
)
from resettle.core.stages import HOLD_BLOCKS, PIPELINE, DocumentKind, HoldType, Stage
from resettle.destinations.models import Pledge
from resettle.registry.models import Household, Membership, Person
from resettle.testing.fixtures import SmallCamp, make_household, make_person

pytestmark = pytest.mark.django_db


def test_move_writes_stage_change_and_audit(camp: SmallCamp) -> None:
    actor = camp.users["caseworker"]
    household = camp.household_new
    before = AuditEvent.objects.count()
    after = move(actor, household, "assessed", reason="interview done")
    assert after.stage == "assessed"
    assert after.version == household.version + 1
    change = StageChange.objects.get(household=household)
    assert (change.from_stage, change.to_stage, change.actor, change.reason) == (
        "registered", "assessed", actor, "interview done")
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.action == "household.transition"
    assert event.detail == {"from": "registered", "to": "assessed"}


def test_refused_move_changes_nothing(camp: SmallCamp) -> None:
    household = camp.household_new
    with pytest.raises(services.CaseworkError) as err:
        move(camp.users["caseworker"], household, "submitted")
    assert "cannot go from registered to submitted" in str(err.value)
    assert [r.code for r in err.value.refusals] == ["not_allowed"]
    assert fresh(household).version == household.version  # the claim was rolled back
    assert not StageChange.objects.filter(household=household).exists()


def test_stale_version_is_a_conflict(camp: SmallCamp) -> None:
    household = camp.household_new
    seen = household.version
    move(camp.users["caseworker"], household, "assessed")
    with pytest.raises(services.ConflictError, match="Someone else changed this household"):
        services.transition_household(
            actor=camp.users["caseworker"], household=household, target="allocated",
            expected_version=seen, today=TODAY,
        )
    assert fresh(household).stage == "assessed"


@pytest.mark.parametrize("target", ["booked", "departed", "arrived"])
def test_travel_stages_only_through_a_departure(camp: SmallCamp, target: str) -> None:
    actor = camp.users["caseworker"]
    household = to_ready(actor, camp.household_de)
    sources = {"booked": "ready", "departed": "booked", "arrived": "departed"}
    # bring it to the source stage the honest way (through the departure path)
    path = PIPELINE[PIPELINE.index(Stage.READY) : PIPELINE.index(Stage(sources[target])) + 1]
    for stage in path[1:]:
        household = move(actor, household, stage.value, via_departure=True)
    with pytest.raises(services.CaseworkError) as err:
        move(actor, household, target)
    assert [r.code for r in err.value.refusals] == ["departure_only"]
    assert move(actor, household, target, via_departure=True).stage == target


def test_submission_needs_pledged_room(camp: SmallCamp) -> None:
    actor = camp.users["resettlement"]
    household = move(actor, camp.household_new, "assessed")
    household = move(actor, household, "allocated")
    # DE pledged 100; H00001 (2 persons) already counts against it
    assert services.pledged_room(camp.de, today=TODAY, exclude=None) == 98
    Pledge.objects.filter(destination=camp.de).update(places=2)
    with pytest.raises(services.CaseworkError) as err:
        services.submit_household(actor=actor, household=household, destination=camp.de,
                                  expected_version=household.version, today=TODAY)
    assert [r.code for r in err.value.refusals] == ["no_room"]
    assert "DE has no pledged room left" in str(err.value)
    Pledge.objects.filter(destination=camp.de).update(places=3)
    submission = services.submit_household(actor=actor, household=household,
                                           destination=camp.de,
                                           expected_version=household.version, today=TODAY)
    assert submission.status == SubmissionStatus.PENDING
    household = fresh(household)
    assert (household.stage, household.destination_id) == ("submitted", camp.de.pk)
    assert services.pledged_room(camp.de, today=TODAY, exclude=None) == 0


def test_ended_pledges_give_no_room(camp: SmallCamp) -> None:
    Pledge.objects.filter(destination=camp.no).update(period_end=TODAY - timedelta(days=1))
    assert services.pledged_room(camp.no, today=TODAY, exclude=None) == -1


def test_accepted_decision_moves_to_decided(camp: SmallCamp) -> None:
    household = accept(camp.users["resettlement"], camp.household_de)
    assert household.stage == "decided"
    submission = Submission.objects.get(household=household)
    assert (submission.status, submission.decision) == ("decided", "accepted")
    assert MemberDecision.objects.filter(submission=submission, accepted=True).count() == 2


def test_rejection_returns_to_allocation_keeping_history(camp: SmallCamp) -> None:
    actor = camp.users["resettlement"]
    household = camp.household_de
    services.record_decision(actor=actor, household=household,
                             expected_version=household.version, decision="rejected",
                             notes="quota reached", today=TODAY)
    household = fresh(household)
    assert (household.stage, household.destination_id) == ("allocated", None)
    old = Submission.objects.get(household=household)
    assert (old.status, old.decision, old.decision_notes) == ("decided", "rejected",
                                                              "quota reached")
    assert [c.to_stage for c in StageChange.objects.filter(household=household)] == [
        "allocated"]
    # and it can go to another destination, the first submission staying on record
    services.submit_household(actor=actor, household=household, destination=camp.no,
                              expected_version=household.version, today=TODAY)
    assert Submission.objects.filter(household=household).count() == 2
    household = accept(actor, household)
    assert household.stage == "decided"


def test_deferred_decision_keeps_the_household_submitted(camp: SmallCamp) -> None:
    actor = camp.users["resettlement"]
    household = camp.household_de
    services.record_decision(actor=actor, household=household,
                             expected_version=household.version, decision="deferred",
                             today=TODAY)
    household = fresh(household)
    assert household.stage == "submitted"
    with pytest.raises(services.CaseworkError) as err:
        move(actor, household, "decided")
    assert [r.code for r in err.value.refusals] == ["deferred"]
    assert accept(actor, household).stage == "decided"


def test_liaison_decides_only_for_own_destination(camp: SmallCamp) -> None:
    with pytest.raises(services.CaseworkError, match="only for your own destination"):
        services.record_decision(actor=camp.users["liaison-no"], household=camp.household_de,
                                 expected_version=camp.household_de.version,
                                 decision="accepted", today=TODAY)
    services.record_decision(actor=camp.users["liaison-de"], household=camp.household_de,
                             expected_version=camp.household_de.version,
                             decision="accepted", today=TODAY)
    assert fresh(camp.household_de).stage == "decided"


def test_split_decision_needs_confirmation_naming_who_stays(camp: SmallCamp) -> None:
    actor = camp.users["resettlement"]
    household = camp.household_de
    give_documents(household)
    principal, spouse = sorted(members(household), key=lambda p: p.registration_id)
    services.record_decision(actor=actor, household=household,
                             expected_version=household.version, decision="split",
                             accepted_members=[principal.pk], today=TODAY)
    household = fresh(household)
    assert household.stage == "decided"
    with pytest.raises(services.CaseworkError) as err:
        move(actor, household, "pre_departure")
    assert [r.code for r in err.value.refusals] == ["split_unconfirmed"]
    # the member the destination did not accept must be named as staying
    with pytest.raises(services.CaseworkError, match="did not accept must be named"):
        services.confirm_split(actor=actor, household=household,
                               expected_version=household.version, staying=[])
    with pytest.raises(services.CaseworkError, match="At least one member must travel"):
        services.confirm_split(actor=actor, household=household,
                               expected_version=household.version,
                               staying=[principal.pk, spouse.pk])
    services.confirm_split(actor=actor, household=household,
                           expected_version=household.version, staying=[spouse.pk])
    household = fresh(household)
    travelling = dict(Membership.objects.filter(household=household)
                      .values_list("person_id", "travelling"))
    assert travelling == {principal.pk: True, spouse.pk: False}
    # a hold on the member who stays no longer blocks the household
    hold(actor, spouse, HoldType.LEGAL)
    household = move(actor, fresh(household), "pre_departure")
    assert move(actor, household, "ready").stage == "ready"


def test_split_decision_must_split(camp: SmallCamp) -> None:
    household = camp.household_de
    everyone = [p.pk for p in members(household)]
    for accepted in ([], everyone):
        with pytest.raises(services.CaseworkError, match="accept some members and not others"):
            services.record_decision(actor=camp.users["resettlement"], household=household,
                                     expected_version=household.version, decision="split",
                                     accepted_members=accepted, today=TODAY)


def _step(actor: object, camp: SmallCamp, household_id: Any, target: Stage) -> None:
    """One move up the pipeline through the service a user (or departure) would use."""
    household = Household.objects.get(pk=household_id)
    if target == Stage.SUBMITTED:
        services.submit_household(actor=actor, household=household, destination=camp.de,
                                  expected_version=household.version, today=TODAY)
    elif target == Stage.DECIDED:
        services.record_decision(actor=actor, household=household,
                                 expected_version=household.version,
                                 decision="accepted", today=TODAY)
    else:
        via = target in (Stage.BOOKED, Stage.DEPARTED, Stage.ARRIVED)
        move(actor, household, target.value, via_departure=via)


@pytest.mark.parametrize("hold_type", list(HoldType), ids=lambda h: h.value)
def test_every_hold_type_blocks_its_stages_through_the_services(
    camp: SmallCamp, hold_type: HoldType
) -> None:
    """Walk a household up the whole pipeline with a hold on one member: every move into a
    stage the hold type blocks is refused (with the reason), lifting it lets it through."""
    actor = camp.users["admin"]
    person = make_person(camp.site, "R-0100", "Sara", "Moradi")
    household = make_household(camp.site, "H00100", [(person, "principal")])
    give_documents(household)
    the_hold = hold(actor, person, hold_type)
    blocked: list[str] = []
    for target in PIPELINE[1:]:
        if target in HOLD_BLOCKS[hold_type]:
            with pytest.raises(services.CaseworkError) as err:
                _step(actor, camp, household.pk, target)
            assert f"hold_{hold_type.value}" in [r.code for r in err.value.refusals]
            assert f"An active {hold_type.value} hold" in str(err.value)
            assert fresh(household).stage != target.value
            blocked.append(target.value)
            services.lift_hold(actor=actor, hold=the_hold, expected_version=None,
                               reason="warrant quashed")
            _step(actor, camp, household.pk, target)
            the_hold = hold(actor, person, hold_type)
        else:
            _step(actor, camp, household.pk, target)
        assert fresh(household).stage == target.value
    assert set(blocked) == {s.value for s in HOLD_BLOCKS[hold_type]}


def test_proposed_hold_blocks_only_once_confirmed(camp: SmallCamp) -> None:
    actor = camp.users["caseworker"]
    household = camp.household_de
    give_documents(household)
    person = members(household)[0]
    proposed = hold(actor, person, HoldType.MEDICAL, status="proposed")
    assert proposed.status == HoldStatus.PROPOSED
    household = accept(camp.users["resettlement"], household)
    household = move(actor, household, "pre_departure")
    household = move(actor, household, "ready")
    services.confirm_hold(actor=actor, hold=proposed, expected_version=proposed.version)
    with pytest.raises(services.CaseworkError) as err:
        move(actor, fresh(household), "booked", via_departure=True)
    assert [r.code for r in err.value.refusals] == ["hold_medical"]


def test_hold_reason_must_fit_type(camp: SmallCamp) -> None:
    person = members(camp.household_de)[0]
    with pytest.raises(services.CaseworkError, match="not a medical reason"):
        services.place_hold(actor=None, person=person, hold=services.HoldInput(
            hold_type=HoldType.MEDICAL, reason="arrest_warrant", start_date=TODAY))
    with pytest.raises(services.CaseworkError, match="review date is before"):
        services.place_hold(actor=None, person=person, hold=services.HoldInput(
            hold_type=HoldType.LEGAL, reason="other", start_date=TODAY,
            review_date=TODAY - timedelta(days=1)))


def test_hold_change_bumps_household_version(camp: SmallCamp) -> None:
    """A page opened before a hold was placed cannot move the household past it."""
    household = camp.household_de
    seen = household.version
    placed = hold(camp.users["security"], members(household)[0], HoldType.SECURITY)
    assert fresh(household).version == seen + 1
    with pytest.raises(services.ConflictError):
        services.record_decision(actor=camp.users["resettlement"], household=household,
                                 expected_version=seen, decision="accepted", today=TODAY)
    services.lift_hold(actor=camp.users["security"], hold=placed,
                       expected_version=placed.version, reason="vetting cleared")
    assert fresh(household).version == seen + 2
    lifted = Hold.objects.get(pk=placed.pk)
    assert (lifted.status, lifted.lift_reason, lifted.lifted_by) == (
        "lifted", "vetting cleared", camp.users["security"])
    with pytest.raises(services.ConflictError):
        services.lift_hold(actor=None, hold=placed, expected_version=placed.version,
                           reason="again")


def test_overdue_review_flag(camp: SmallCamp) -> None:
    person = members(camp.household_de)[0]
    h = hold(None, person, HoldType.LEGAL, review_date=TODAY + timedelta(days=3))
    assert not services.overdue_review(h, today=TODAY + timedelta(days=3))
    assert services.overdue_review(h, today=TODAY + timedelta(days=4))
    lifted = services.lift_hold(actor=None, hold=h, expected_version=None, reason="ok")
    assert not services.overdue_review(lifted, today=TODAY + timedelta(days=9))


def test_expired_document_blocks_ready(camp: SmallCamp) -> None:
    actor = camp.users["caseworker"]
    household = camp.household_de
    give_documents(household, kinds=[k for k in DocumentKind if k != DocumentKind.EXIT_PERMIT])
    principal = members(household)[0]
    household = accept(camp.users["resettlement"], household)
    household = move(actor, household, "pre_departure")
    for person in members(household):
        services.add_document(actor=actor, person=person, document=services.DocumentInput(
            kind=DocumentKind.EXIT_PERMIT, valid_from=TODAY - timedelta(days=60),
            valid_until=TODAY - timedelta(days=1) if person == principal else None))
    with pytest.raises(services.CaseworkError) as err:
        move(actor, fresh(household), "ready")
    assert [r.message for r in err.value.refusals] == [
        f"{principal.given_name} {principal.family_name} has no exit permit valid today."]
    services.add_document(actor=actor, person=principal, document=services.DocumentInput(
        kind=DocumentKind.EXIT_PERMIT, valid_from=TODAY, valid_until=TODAY + timedelta(days=90)))
    assert move(actor, fresh(household), "ready").stage == "ready"


def test_document_expiring_before_departure_blocks_booking(camp: SmallCamp) -> None:
    actor = camp.users["movement"]
    household = to_ready(camp.users["caseworker"], camp.household_de)
    departure = TODAY + timedelta(days=400)  # the documents end at TODAY + 365
    with pytest.raises(services.CaseworkError) as err:
        move(actor, household, "booked", via_departure=True, departure_date=departure)
    assert len(err.value.refusals) == 2 * len(DocumentKind)
    assert all("valid on the departure day" in r.message for r in err.value.refusals)
    booked = move(actor, household, "booked", via_departure=True,
                  departure_date=TODAY + timedelta(days=30))
    assert booked.stage == "booked"


def test_revoked_document_no_longer_counts(camp: SmallCamp) -> None:
    household = to_ready(camp.users["caseworker"], camp.household_de)
    doc = members(household)[0].documents.get(kind="fit_to_travel")
    services.revoke_document(actor=None, document=doc, expected_version=doc.version)
    with pytest.raises(services.CaseworkError) as err:
        move(camp.users["movement"], fresh(household), "booked", via_departure=True)
    assert [r.code for r in err.value.refusals] == ["document_fit_to_travel"]


def test_document_validation(camp: SmallCamp) -> None:
    person = members(camp.household_de)[0]
    with pytest.raises(services.CaseworkError, match="expires before"):
        services.add_document(actor=None, person=person, document=services.DocumentInput(
            kind=DocumentKind.ENTRY_VISA, valid_from=date(2026, 5, 1),
            valid_until=date(2026, 4, 1)))
    with pytest.raises(services.CaseworkError, match="two-letter"):
        services.add_document(actor=None, person=person, document=services.DocumentInput(
            kind=DocumentKind.ENTRY_VISA, issuing_country="GER"))


@pytest.mark.parametrize("closure", ["withdrawn", "deceased", "disappeared", "returned"])
def test_close_with_reason(camp: SmallCamp, closure: str) -> None:
    household = camp.household_de
    hold(None, members(household)[0], HoldType.LEGAL)  # holds never trap a household
    with pytest.raises(services.CaseworkError, match="needs a reason"):
        services.close_household(actor=None, household=household, closure=Stage(closure),
                                 reason=" ", expected_version=fresh(household).version)
    services.close_household(actor=camp.users["caseworker"], household=household,
                             closure=Stage(closure), reason="family decision",
                             expected_version=fresh(household).version)
    household = fresh(household)
    assert (household.stage, household.closure_reason) == (closure, "family decision")
    with pytest.raises(services.CaseworkError, match="cannot go from"):
        move(None, household, "allocated")
    # who is still in the camp: a disappeared or returned household's members are not
    # (stats, sitrep and forecast count present persons); a withdrawn one stays in the
    # camp, and deaths are recorded person by person
    gone = {"disappeared": "disappeared", "returned": "returned"}.get(closure)
    people = [Person.objects.get(pk=p.pk) for p in members(household)]
    assert {p.status for p in people} == {gone or "present"}
    assert all((p.left_camp is not None) == bool(gone) for p in people)
    event = AuditEvent.objects.filter(action="household.transition").latest("seq")
    assert event.detail.get("persons_left_camp", 0) == (len(people) if gone else 0)


def test_withdrawing_a_submission_frees_the_room(camp: SmallCamp) -> None:
    household = move(camp.users["resettlement"], camp.household_de, "allocated",
                     reason="family asked for another country")
    assert household.destination_id is None
    assert Submission.objects.get(household=household).status == SubmissionStatus.WITHDRAWN
    assert services.pledged_room(camp.de, today=TODAY, exclude=None) == 100
