"""``resettle tokens create|list|revoke``: personal API tokens from the console."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from resettle.accounts.operator import ConsoleOperator
from resettle.api.models import ApiToken
from resettle.api.tokens import TokenError, create_token, revoke_token


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens (the token is printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token acting as USER")
        create.add_argument("--user", required=True)
        create.add_argument("--name", default="API token")
        create.add_argument("--read-only", action="store_true")
        create.add_argument("--expires-days", type=int, default=90,
                            help="1-366 days (default 90)")
        listing = sub.add_parser("list", help="list a user's tokens (never the secrets)")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = ConsoleOperator()
        if options["action"] == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError("No token with that prefix.")
            revoke_token(actor=operator, token=token)
            self.stdout.write(f"Revoked {token.prefix}.")
            return
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['user']!r}.")
        if options["action"] == "list":
            for token in ApiToken.objects.filter(user=user):
                state = "revoked" if token.revoked_at else "active"
                access = "read-only" if token.read_only else "read-write"
                expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never"
                self.stdout.write(
                    f"{token.prefix}  {token.name}  {access}  expires {expires}  {state}"
                )
            return
        try:
            issued = create_token(actor=operator, user=user, name=options["name"],
                                  read_only=options["read_only"],
                                  expires_days=options["expires_days"])
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(issued.secret)
        self.stderr.write("Store this token now: it is not shown again.")
