"""Shared bits of the registry commands: finding the acting user, failing cleanly."""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.management.base import BaseCommand


def fail(command: BaseCommand, message: str, status: int = 2) -> NoReturn:
    """One clear line on stderr and the exit status (2 = malformed invocation)."""
    command.stderr.write(message)
    raise SystemExit(status)


def acting_user(command: BaseCommand, username: str | None) -> Any:
    """The named user (the audit trail names them), or None for an operator at the console."""
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        fail(command, f"--user: no active user named '{username}'")
    return user
