"""Template context shared by every page: the navigation the user's roles allow."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from resettle.accounts.policy import ROLE_LABELS, Action
from resettle.accounts.selectors import scope_for

#: (label, URL name, action needed). Entries whose page is not installed are skipped.
NAV: tuple[tuple[str, str, Action | None], ...] = (
    ("Home", "web:home", None),
    ("Dashboard", "reports:dashboard", Action.VIEW_DASHBOARD),
    ("Households", "web:households", Action.VIEW_REGISTRY),
    ("Persons", "web:persons", Action.VIEW_REGISTRY),
    ("Register", "registry:person_create", Action.EDIT_REGISTRY),
    ("Work queues", "casework:queues", Action.TRANSITION),
    ("Allocation", "allocation:runs", Action.RUN_ALLOCATION),
    ("Departures", "departures:list", Action.VIEW_DEPARTURES),
    ("Incidents", "incidents:list", Action.VIEW_INCIDENTS),
    ("Forecast", "forecast:whatif", Action.RUN_FORECAST),
    ("Import", "registry:import", Action.IMPORT),
    ("Export", "registry:export", Action.EXPORT),
    ("Duplicates", "registry:duplicates", Action.EDIT_REGISTRY),
    ("Export requests", "audit:exports", Action.EXPORT),
    ("Audit", "audit:events", Action.VIEW_AUDIT),
    ("Users", "accounts:users", Action.MANAGE_USERS),
    ("API tokens", "tokens:list", None),
    ("Account", "accounts:security", None),
)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    scope = scope_for(user)
    items: list[tuple[str, str]] = []
    if scope.roles:
        for label, name, action in NAV:
            url = _url(name)
            if url is not None and (action is None or scope.can(action)):
                items.append((label, url))
    return {
        "nav_items": items,
        "scope": scope,
        "role_labels": [ROLE_LABELS[r] for r in sorted(scope.roles)],
        "demo_mode": settings.DEMO_MODE,
    }
