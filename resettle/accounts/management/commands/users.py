"""``resettle users``: accounts from the server console (add, list, roles, sessions, 2FA).

Every change goes through resettle.accounts.services and is audited with the console
operator as the actor. Bad input: one line on stderr naming the field, exit status 2.
Secrets (a generated password, an enrolment code) are printed once and stored only hashed.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from resettle.accounts import services
from resettle.accounts.models import RoleAssignment, SealedTOTPDevice
from resettle.accounts.operator import ConsoleOperator
from resettle.accounts.policy import Role

_ROLES = ", ".join(r.value for r in Role)


class BadInput(Exception):
    """Malformed input: the message names the field."""


class Command(BaseCommand):
    help = ("Manage user accounts: add, list, roles, end-sessions, reset-2fa, "
            "enrolment-code, password, deactivate.")
    #: tests pass the password text here instead of a terminal
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add", help="create an account; prints its enrolment code once")
        add.add_argument("username")
        add.add_argument("--role", action="append", default=[], metavar="ROLE",
                         help=f"repeatable; one of: {_ROLES}")
        add.add_argument("--site", metavar="NAME",
                         help="narrow the (non-liaison) roles to this site")
        add.add_argument("--destination", metavar="ISO",
                         help="the destination a liaison serves (liaisons only)")
        add.add_argument("--generate-password", action="store_true",
                         help="generate a password and print it once instead of asking")
        sub.add_parser("list", help="every account with its roles, 2FA state and sessions")
        roles = sub.add_parser("roles", help="add or remove role assignments")
        roles.add_argument("username")
        roles.add_argument("--add", action="append", default=[], metavar="ROLE")
        roles.add_argument("--remove", action="append", default=[], metavar="ROLE")
        roles.add_argument("--site", metavar="NAME")
        roles.add_argument("--destination", metavar="ISO")
        for name, text in (
            ("end-sessions", "sign the user out everywhere now"),
            ("reset-2fa", "remove the user's authenticator and recovery codes; prints a new "
                          "enrolment code once"),
            ("enrolment-code", "issue a new one-time enrolment code (the old one stops "
                               "working); printed once"),
            ("deactivate", "the account can no longer sign in (kept for the audit trail)"),
        ):
            sub.add_parser(name, help=text).add_argument("username")
        password = sub.add_parser("password", help="set a new password (2FA is unchanged)")
        password.add_argument("username")
        password.add_argument("--generate-password", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = ConsoleOperator()
        action = options["action"]
        try:
            if action == "list":
                self._list()
            elif action == "add":
                self._add(operator, options)
            elif action == "roles":
                self._roles(operator, options)
            else:
                user = _user(options["username"])
                self._single(operator, action, user, options)
        except (BadInput, services.AccountError) as exc:
            self._fail(str(exc))

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"users: {message}")
        raise SystemExit(2)

    # --- actions --------------------------------------------------------------------------

    def _add(self, operator: ConsoleOperator, options: dict[str, Any]) -> None:
        specs = _specs(options["role"], options.get("site"), options.get("destination"))
        if not specs:
            raise BadInput(f"role: give at least one --role ({_ROLES})")
        username = options["username"].strip()
        if get_user_model().objects.filter(username=username).exists():
            raise BadInput(f"username: {username!r} is taken")
        password, generated = self._password(options, username)
        user, issued = services.create_user(actor=operator, username=username,
                                            password=password, roles=specs)
        self.stdout.write(f"Created {user.get_username()} ({_roles_text(user)}).")
        if generated:
            self.stdout.write(f"Password: {password}")
        self._print_code(issued)

    def _roles(self, operator: ConsoleOperator, options: dict[str, Any]) -> None:
        user = _user(options["username"])
        if not options["add"] and not options["remove"]:
            raise BadInput("roles: give --add ROLE and/or --remove ROLE")
        for spec in _specs(options["add"], options.get("site"), options.get("destination")):
            added = services.add_role(actor=operator, user=user, spec=spec)
            if not added:
                self.stdout.write(f"{user.get_username()} already holds {spec.role}.")
        site = _site(options.get("site"))
        destination = _destination(options.get("destination"))
        for role in options["remove"]:
            services.remove_role(actor=operator, user=user, role=role.strip().lower(),
                                 site=site, destination=destination)
        self.stdout.write(f"{user.get_username()}: {_roles_text(user) or 'no roles'}.")

    def _single(self, operator: ConsoleOperator, action: str, user: Any,
                options: dict[str, Any]) -> None:
        name = user.get_username()
        if action == "end-sessions":
            ended = services.end_all_sessions(actor=operator, user=user)
            self.stdout.write(f"Ended {ended} session(s) of {name}.")
        elif action == "reset-2fa":
            issued = services.reset_second_factor(actor=operator, user=user)
            self.stdout.write(f"Two-factor reset for {name}; their sessions ended.")
            if issued is not None:
                self._print_code(issued)
        elif action == "enrolment-code":
            self._print_code(services.issue_enrolment_code(actor=operator, user=user))
        elif action == "deactivate":
            services.deactivate_user(actor=operator, user=user)
            self.stdout.write(f"Deactivated {name}; their sessions ended.")
        elif action == "password":
            password, generated = self._password(options, name)
            services.set_password(actor=operator, user=user, password=password)
            self.stdout.write(f"Password set for {name}; their second factor is unchanged.")
            if generated:
                self.stdout.write(f"Password: {password}")

    def _list(self) -> None:
        model = get_user_model()
        enrolled = set(SealedTOTPDevice.objects.filter(confirmed=True)
                       .values_list("user_id", flat=True))
        for user in model.objects.order_by("username"):
            if user.pk in enrolled:
                factor = "2fa set up"
            else:
                code = services.open_enrolment_code(user)
                factor = "2fa not set up"
                if code is not None:
                    until = timezone.localtime(code.expires_at)
                    factor = f"enrolment code until {until:%Y-%m-%d %H:%M}"
            state = "active" if user.is_active else "inactive"
            sessions = services.active_session_count(user)
            self.stdout.write(f"{user.get_username()}\t{state}\t{factor}\t"
                              f"{sessions} session(s)\t{_roles_text(user) or '-'}")

    # --- helpers --------------------------------------------------------------------------

    def _print_code(self, issued: services.IssuedCode) -> None:
        until = timezone.localtime(issued.expires_at)
        self.stdout.write(f"Enrolment code: {issued.code}")
        self.stdout.write(f"  valid until {until:%Y-%m-%d %H:%M %Z}, for one enrolment. It is "
                          "not shown again: hand it to the user by a separate channel.")

    def _password(self, options: dict[str, Any], username: str) -> tuple[str, bool]:
        """The password to set and whether it was generated (then it is printed once)."""
        if options.get("generate_password"):
            return secrets.token_urlsafe(18), True
        stdin = options.get("stdin") or sys.stdin
        if stdin.isatty():
            first = getpass.getpass(f"Password for {username}: ")
            if first != getpass.getpass("Again: "):
                raise BadInput("password: the two entries differ")
            password = first
        else:  # scripts pipe the password on stdin
            password = stdin.readline().rstrip("\r\n")
        if not password:
            raise BadInput("password: none given (type it at the prompt, pipe it on stdin, "
                           "or use --generate-password)")
        services.check_password(password, username=username)
        return password, False


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise BadInput(f"username: no user named {username!r}")
    return user


def _site(name: str | None) -> Any:
    if not name:
        return None
    from resettle.registry.models import Site

    site = Site.objects.filter(name=name).first()
    if site is None:
        known = ", ".join(Site.objects.values_list("name", flat=True)) or "none"
        raise BadInput(f"site: no site named {name!r} (known: {known})")
    return site


def _destination(code: str | None) -> Any:
    if not code:
        return None
    from resettle.destinations.models import Destination

    destination = Destination.objects.filter(code=code.strip().upper()).first()
    if destination is None:
        known = ", ".join(Destination.objects.values_list("code", flat=True)) or "none"
        raise BadInput(f"destination: no destination {code!r} (known: {known})")
    return destination


def _specs(roles: list[str], site_name: str | None, destination_code: str | None
           ) -> list[services.RoleSpec]:
    """One RoleSpec per role: --site binds the non-liaison roles, --destination the liaison."""
    wanted = [r.strip().lower() for r in roles]
    for role in wanted:
        if role not in {r.value for r in Role}:
            raise BadInput(f"role: unknown role {role!r} (one of: {_ROLES})")
    if destination_code and Role.LIAISON not in wanted and wanted:
        raise BadInput("destination: only a liaison is bound to a destination; add "
                       "--role liaison or drop --destination")
    if Role.LIAISON in wanted and not destination_code:
        raise BadInput("destination: a liaison needs --destination ISO")
    if site_name and wanted and all(r == Role.LIAISON for r in wanted):
        raise BadInput("site: a liaison is bound to a destination, not to a site")
    site = _site(site_name)
    destination = _destination(destination_code)
    return [
        services.RoleSpec(role=role, destination=destination).validated()
        if role == Role.LIAISON
        else services.RoleSpec(role=role, site=site).validated()
        for role in wanted
    ]


def _roles_text(user: Any) -> str:
    parts = []
    for a in (RoleAssignment.objects.filter(user=user)
              .select_related("site", "destination").order_by("role")):
        if a.destination is not None:
            parts.append(f"{a.role}:{a.destination.code}")
        elif a.site is not None:
            parts.append(f"{a.role}@{a.site.name}")
        else:
            parts.append(str(a.role))
    return ", ".join(parts)
