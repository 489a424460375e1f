"""The person at the server's console, for CLI commands that do not name a user.

Whoever can run ``resettle`` on the server can already read the database and the keys;
giving the console an explicit, audited operator identity is more honest than
pretending otherwise. Commands that act for a named user take ``--user`` instead.
"""

from __future__ import annotations

import getpass
from typing import Any

from resettle.accounts.policy import Role, allowed_actions, visible_fields
from resettle.accounts.selectors import Scope


class ConsoleOperator:
    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None

    def __init__(self) -> None:
        try:
            self.username = f"console:{getpass.getuser()}"
        except (KeyError, OSError):
            self.username = "console"
        roles = frozenset({Role.ADMIN})
        self._resettle_scope = Scope(
            roles=roles,
            site_ids=None,
            liaison_destination_ids=frozenset(),
            actions=allowed_actions(roles),
            fields=visible_fields(roles),
        )

    def get_username(self) -> str:
        return self.username


def acting_user(username: str | None) -> Any:
    """The named user (who must exist and be active), or the console operator."""
    if not username:
        return ConsoleOperator()
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user named {username!r}.")
    return user
