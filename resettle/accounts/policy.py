"""Who may do what: the one policy table (role x action, role x field group).

The code reads these tables; docs/access.md shows them. Scopes (which records) are
applied by the selectors; this module says which actions and which fields.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    REGISTRAR = "registrar"
    CASEWORKER = "caseworker"
    RESETTLEMENT = "resettlement"
    MOVEMENT = "movement"
    SECURITY = "security"
    LIAISON = "liaison"
    MANAGER = "manager"
    AUDITOR = "auditor"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.REGISTRAR: "Registrar",
    Role.CASEWORKER: "Caseworker",
    Role.RESETTLEMENT: "Resettlement officer",
    Role.MOVEMENT: "Movement officer",
    Role.SECURITY: "Security officer",
    Role.LIAISON: "Host-country liaison",
    Role.MANAGER: "Manager",
    Role.AUDITOR: "Auditor",
}


class Action(StrEnum):
    VIEW_REGISTRY = "view_registry"  # person and household lists and details
    EDIT_REGISTRY = "edit_registry"  # register, edit, merge persons and households
    IMPORT = "import"
    EXPORT = "export"
    TRANSITION = "transition"  # move households through the pipeline
    MANAGE_HOLDS = "manage_holds"
    MANAGE_DOCUMENTS = "manage_documents"
    RECORD_DECISION = "record_decision"
    RUN_ALLOCATION = "run_allocation"
    MANAGE_PLEDGES = "manage_pledges"
    MANAGE_DEPARTURES = "manage_departures"
    VIEW_DEPARTURES = "view_departures"
    VIEW_INCIDENTS = "view_incidents"  # that an incident happened
    RECORD_INCIDENT = "record_incident"
    VIEW_DASHBOARD = "view_dashboard"
    RUN_FORECAST = "run_forecast"
    VIEW_AUDIT = "view_audit"
    APPROVE_EXPORT = "approve_export"
    MANAGE_USERS = "manage_users"


class FieldGroup(StrEnum):
    IDENTITY = "identity"  # Latin names, sex, date of birth, nationality
    ORIGINAL_SCRIPT = "original_script"  # names in original script
    PROFILE = "profile"  # languages, education, occupation, skills, ties
    NEEDS = "needs"  # specific needs (medical, protection)
    CONTACT = "contact"  # phone
    DOCUMENTS = "documents"  # document numbers
    HOLDS = "holds"  # that a hold exists, its type and dates
    HOLD_REFERENCES = "hold_references"  # authority's reference and notes
    INCIDENT_DETAILS = "incident_details"  # narratives, casualty details
    RISK = "risk"  # risk score and its factors
    CASE = "case"  # stage, timeline, submissions


_ALL_ACTIONS = frozenset(Action)
_ALL_FIELDS = frozenset(FieldGroup)
_READ_ACTIONS = frozenset(
    {Action.VIEW_REGISTRY, Action.VIEW_DEPARTURES, Action.VIEW_INCIDENTS, Action.VIEW_DASHBOARD}
)

ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: _ALL_ACTIONS,
    Role.REGISTRAR: frozenset(
        {Action.VIEW_REGISTRY, Action.EDIT_REGISTRY, Action.IMPORT, Action.EXPORT,
         Action.MANAGE_DOCUMENTS, Action.VIEW_INCIDENTS}
    ),
    Role.CASEWORKER: frozenset(
        {Action.VIEW_REGISTRY, Action.EDIT_REGISTRY, Action.TRANSITION, Action.MANAGE_HOLDS,
         Action.MANAGE_DOCUMENTS, Action.VIEW_DEPARTURES, Action.VIEW_INCIDENTS}
    ),
    Role.RESETTLEMENT: frozenset(
        {Action.VIEW_REGISTRY, Action.TRANSITION, Action.RECORD_DECISION, Action.RUN_ALLOCATION,
         Action.MANAGE_PLEDGES, Action.VIEW_DEPARTURES, Action.VIEW_INCIDENTS,
         Action.VIEW_DASHBOARD, Action.RUN_FORECAST}
    ),
    Role.MOVEMENT: frozenset(
        {Action.VIEW_REGISTRY, Action.MANAGE_DEPARTURES, Action.VIEW_DEPARTURES,
         Action.MANAGE_DOCUMENTS, Action.VIEW_INCIDENTS, Action.EXPORT}
    ),
    Role.SECURITY: frozenset(
        {Action.VIEW_REGISTRY, Action.MANAGE_HOLDS, Action.VIEW_INCIDENTS,
         Action.RECORD_INCIDENT, Action.VIEW_DASHBOARD, Action.VIEW_DEPARTURES}
    ),
    Role.LIAISON: frozenset({Action.VIEW_REGISTRY, Action.RECORD_DECISION}),
    Role.MANAGER: frozenset(
        _READ_ACTIONS
        | {Action.RECORD_INCIDENT, Action.RUN_FORECAST, Action.APPROVE_EXPORT, Action.EXPORT}
    ),
    Role.AUDITOR: _READ_ACTIONS | {Action.VIEW_AUDIT},
}

FIELDS: dict[Role, frozenset[FieldGroup]] = {
    Role.ADMIN: _ALL_FIELDS,
    Role.REGISTRAR: frozenset(
        {FieldGroup.IDENTITY, FieldGroup.ORIGINAL_SCRIPT, FieldGroup.PROFILE, FieldGroup.NEEDS,
         FieldGroup.CONTACT, FieldGroup.DOCUMENTS, FieldGroup.CASE}
    ),
    Role.CASEWORKER: _ALL_FIELDS - {FieldGroup.INCIDENT_DETAILS},
    Role.RESETTLEMENT: frozenset(
        {FieldGroup.IDENTITY, FieldGroup.ORIGINAL_SCRIPT, FieldGroup.PROFILE, FieldGroup.NEEDS,
         FieldGroup.HOLDS, FieldGroup.RISK, FieldGroup.CASE}
    ),
    Role.MOVEMENT: frozenset(
        {FieldGroup.IDENTITY, FieldGroup.NEEDS, FieldGroup.CONTACT, FieldGroup.DOCUMENTS,
         FieldGroup.HOLDS, FieldGroup.RISK, FieldGroup.CASE}
    ),
    Role.SECURITY: _ALL_FIELDS,
    # only what a destination's decision needs; never holds, incidents or contact details
    Role.LIAISON: frozenset({FieldGroup.IDENTITY, FieldGroup.PROFILE, FieldGroup.NEEDS}),
    Role.MANAGER: _ALL_FIELDS - {FieldGroup.CONTACT, FieldGroup.DOCUMENTS},
    Role.AUDITOR: _ALL_FIELDS,
}

#: Roles whose record scope is the whole operation (narrowed by site when assigned one).
OPERATION_WIDE: frozenset[Role] = frozenset(Role) - {Role.LIAISON}


def allowed_actions(roles: frozenset[Role]) -> frozenset[Action]:
    result: frozenset[Action] = frozenset()
    for role in roles:
        result |= ACTIONS[role]
    return result


def visible_fields(roles: frozenset[Role]) -> frozenset[FieldGroup]:
    result: frozenset[FieldGroup] = frozenset()
    for role in roles:
        result |= FIELDS[role]
    return result
