"""docs/access.md shows the policy table the code reads; the policy keeps its promises."""

from __future__ import annotations

from pathlib import Path

from resettle.accounts import access_doc
from resettle.accounts.policy import (
    ACTIONS,
    FIELDS,
    OPERATION_WIDE,
    Action,
    FieldGroup,
    Role,
    allowed_actions,
    visible_fields,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "access.md"


def test_doc_matches_the_policy() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert access_doc.generated() in text, (
        "docs/access.md is out of date: run python -m resettle.accounts.access_doc "
        "docs/access.md")


def test_render_replaces_only_the_generated_block() -> None:
    stale = f"intro\n{access_doc.BEGIN}\nold table\n{access_doc.END}\noutro\n"
    fresh = access_doc.render(stale)
    assert fresh.startswith("intro\n") and fresh.endswith("\noutro\n")
    assert "old table" not in fresh and "`view_registry`" in fresh


def test_every_role_has_actions_and_fields() -> None:
    assert set(ACTIONS) == set(Role) == set(FIELDS)


def test_liaison_sees_only_what_a_decision_needs() -> None:
    assert ACTIONS[Role.LIAISON] == {Action.VIEW_REGISTRY, Action.RECORD_DECISION}
    never = {FieldGroup.HOLDS, FieldGroup.HOLD_REFERENCES, FieldGroup.INCIDENT_DETAILS,
             FieldGroup.CONTACT, FieldGroup.DOCUMENTS, FieldGroup.ORIGINAL_SCRIPT,
             FieldGroup.RISK}
    assert not FIELDS[Role.LIAISON] & never
    assert Role.LIAISON not in OPERATION_WIDE


def test_auditor_reads_everything_and_changes_nothing() -> None:
    writes = {Action.EDIT_REGISTRY, Action.IMPORT, Action.TRANSITION, Action.MANAGE_HOLDS,
              Action.MANAGE_DOCUMENTS, Action.RECORD_DECISION, Action.RUN_ALLOCATION,
              Action.MANAGE_PLEDGES, Action.MANAGE_DEPARTURES, Action.RECORD_INCIDENT,
              Action.APPROVE_EXPORT, Action.MANAGE_USERS}
    assert Action.VIEW_AUDIT in ACTIONS[Role.AUDITOR]
    assert not ACTIONS[Role.AUDITOR] & writes
    assert FIELDS[Role.AUDITOR] == set(FieldGroup)


def test_several_roles_add_up() -> None:
    both = frozenset({Role.REGISTRAR, Role.SECURITY})
    assert allowed_actions(both) == ACTIONS[Role.REGISTRAR] | ACTIONS[Role.SECURITY]
    assert visible_fields(both) == FIELDS[Role.REGISTRAR] | FIELDS[Role.SECURITY]
    assert allowed_actions(frozenset()) == frozenset()
