"""Every write about accounts: users and roles, enrolment codes, second-factor enrolment,
recovery codes, ending sessions. Each write is audited in its own transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from resettle.accounts.models import (
    EnrolmentCode,
    RecoveryCode,
    RecoveryCodeDevice,
    RoleAssignment,
    SealedTOTPDevice,
    enrolment_digest,
    recovery_digest,
)
from resettle.accounts.policy import Role
from resettle.audit.models import AuditEvent
from resettle.audit.services import record

#: recovery codes avoid look-alike characters (0/O, 1/I/L)
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10
TOTP_KEY_BYTES = 20


#: enrolment codes: 4 groups of 5 from the same alphabet (about 99 bits)
_ENROLMENT_GROUPS = 4
ENROLMENT_CODE_HOURS = 72
#: wrong enrolment codes a user may enter before the open code stops working (the code has
#: about 99 bits, so this is defence in depth against a stolen password, not the guard)
ENROLMENT_CODE_ATTEMPTS = 5


class AccountError(Exception):
    """An account operation cannot be done; the message says why."""


# --- enrolment codes ------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    """An enrolment code as issued: the only moment its clear text exists."""

    code: str
    expires_at: datetime


def enrolment_code_required() -> bool:
    """Outside demo mode a first enrolment needs a code an administrator issued."""
    return not bool(getattr(settings, "DEMO_MODE", False))


def _code_lifetime() -> timedelta:
    return timedelta(hours=int(getattr(settings, "RESETTLE_ENROLMENT_CODE_HOURS",
                                       ENROLMENT_CODE_HOURS)))


def _new_enrolment_code(user: Any) -> IssuedCode:
    """Replace the user's open codes by a fresh one (caller holds the transaction)."""
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
    groups = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(5))
              for _ in range(_ENROLMENT_GROUPS)]
    code = "-".join(groups)
    now = timezone.now()
    row = EnrolmentCode.objects.create(user=user, digest=enrolment_digest(user.pk, code),
                                       issued_at=now, expires_at=now + _code_lifetime())
    return IssuedCode(code=code, expires_at=row.expires_at)


@transaction.atomic
def issue_enrolment_code(*, actor: Any, user: Any) -> IssuedCode:
    """A new one-time enrolment code for ``user`` (any older open code stops working)."""
    if not user.is_active:
        raise AccountError(f"{user.get_username()} is deactivated.")
    if SealedTOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AccountError(f"{user.get_username()} already has an authenticator; reset "
                           "their two-factor authentication to let them enrol again.")
    issued = _new_enrolment_code(user)
    record(actor=actor, action="account.enrolment_code_issued", object_type="auth.user",
           object_id=str(user.pk), detail={"expires_at": issued.expires_at.isoformat()})
    return issued


def open_enrolment_code(user: Any) -> EnrolmentCode | None:
    """The user's unused, unexpired enrolment code, if any (for display: never its text)."""
    return (EnrolmentCode.objects
            .filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-issued_at").first())


def check_enrolment_code(*, user: Any, code: str) -> EnrolmentCode:
    """The user's open enrolment code if ``code`` is it; AccountError (audited) otherwise."""
    found = open_enrolment_code(user)
    if found is None or not secrets.compare_digest(found.digest,
                                                   enrolment_digest(user.pk, code)):
        revoked = False
        with transaction.atomic():  # committed before the error is raised
            record(actor=user, action="account.enrolment_code_rejected",
                   object_type="auth.user", object_id=str(user.pk))
            if found is not None and _rejections_since(user, found.issued_at) >= (
                ENROLMENT_CODE_ATTEMPTS
            ):
                EnrolmentCode.objects.filter(pk=found.pk).delete()
                record(actor=user, action="account.enrolment_code_revoked",
                       object_type="auth.user", object_id=str(user.pk),
                       detail={"wrong_attempts": ENROLMENT_CODE_ATTEMPTS})
                revoked = True
        if revoked:
            raise AccountError("Too many wrong enrolment codes: the code no longer works. "
                               "Ask an administrator for a new one.")
        raise AccountError("That enrolment code is not valid: it may be mistyped, expired, "
                           "used, or replaced by a newer one. Ask an administrator for a "
                           "new code.")
    return found


def _rejections_since(user: Any, since: datetime) -> int:
    """Wrong enrolment codes the user entered since ``since`` (from the audit trail)."""
    return AuditEvent.objects.filter(action="account.enrolment_code_rejected",
                                     object_type="auth.user", object_id=str(user.pk),
                                     at__gte=since).count()


# --- second-factor enrolment ----------------------------------------------------------------


@transaction.atomic
def start_enrolment(*, user: Any, fresh: bool = False) -> SealedTOTPDevice:
    """The user's pending (unconfirmed) authenticator, created with a fresh secret if none.

    ``fresh`` discards any pending one first, so that a secret created (and possibly
    seen) before the enrolment code was entered is never the one that gets confirmed.
    """
    if SealedTOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AccountError("This account already has an authenticator; ask an administrator "
                           "to reset it.")
    if fresh:
        SealedTOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device: SealedTOTPDevice | None = SealedTOTPDevice.objects.filter(
        user=user, confirmed=False).first()
    if device is None:
        device = SealedTOTPDevice(user=user, name="Authenticator app", confirmed=False)
        device.set_key(secrets.token_bytes(TOTP_KEY_BYTES))
        device.save()
    return device


def _new_codes(user: Any) -> list[str]:
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    count = int(getattr(settings, "RESETTLE_RECOVERY_CODES", 10))
    codes = [
        "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH)) for _ in range(count)
    ]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=device, digest=recovery_digest(user.pk, c)) for c in codes]
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def confirm_enrolment(
    *, user: Any, token: str, enrolment_code_id: int | None = None, device_id: int | None = None
) -> tuple[SealedTOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns fresh recovery codes.

    When enrolment codes are required, ``enrolment_code_id`` names the code the user
    entered; it is spent here, in the same transaction, so it enrols one authenticator
    only. ``device_id``, when given, is the pending authenticator the user was shown.
    The TOTP code is checked before the transaction so that a failed attempt's
    throttling counter is kept rather than rolled back with the error.
    """
    pending = SealedTOTPDevice.objects.filter(user=user, confirmed=False)
    if device_id is not None:
        pending = pending.filter(pk=device_id)
    device = pending.first()
    if device is None:
        raise AccountError("There is no authenticator waiting for confirmation.")
    required = enrolment_code_required()
    if required and enrolment_code_id is None:
        raise AccountError("Enter your enrolment code first.")
    code_id: int = enrolment_code_id or 0
    if not device.verify_token(token):
        raise AccountError("That code is not valid. Check the time on your phone and try again.")
    with transaction.atomic():
        if required:
            spent = EnrolmentCode.objects.filter(
                pk=code_id, user=user, used_at__isnull=True,
                expires_at__gt=timezone.now(),
            ).update(used_at=timezone.now())
            if spent != 1:
                raise AccountError("Your enrolment code expired or was replaced meanwhile. "
                                   "Ask an administrator for a new code.")
        confirmed = SealedTOTPDevice.objects.filter(pk=device.pk, confirmed=False).update(
            confirmed=True
        )
        if confirmed != 1:
            raise AccountError("This authenticator was confirmed or removed meanwhile.")
        device.confirmed = True
        codes = _new_codes(user)
        record(actor=user, action="account.2fa_enrolled", object_type="auth.user",
               object_id=str(user.pk))
    return device, codes


@transaction.atomic
def regenerate_recovery_codes(*, user: Any) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working at once)."""
    if not SealedTOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AccountError("Set up an authenticator app first.")
    codes = _new_codes(user)
    record(actor=user, action="account.recovery_codes_replaced", object_type="auth.user",
           object_id=str(user.pk))
    return codes


def _sessions_of(user: Any) -> list[Session]:
    wanted = str(user.pk)
    return [
        s for s in Session.objects.filter(expire_date__gt=timezone.now())
        if s.get_decoded().get("_auth_user_id") == wanted
    ]


def active_session_count(user: Any) -> int:
    return len(_sessions_of(user))


@transaction.atomic
def end_all_sessions(*, actor: Any, user: Any) -> int:
    """Sign ``user`` out everywhere now; returns how many sessions ended."""
    sessions = _sessions_of(user)
    Session.objects.filter(session_key__in=[s.session_key for s in sessions]).delete()
    record(actor=actor, action="account.sessions_ended", object_type="auth.user",
           object_id=str(user.pk), detail={"sessions": len(sessions)})
    return len(sessions)


@transaction.atomic
def reset_second_factor(*, actor: Any, user: Any) -> IssuedCode | None:
    """Remove the user's authenticator and recovery codes and end their sessions.

    At the next sign-in the user must enrol a new authenticator, with the new enrolment
    code returned here (shown once to the administrator, who hands it over); None for a
    deactivated account, which gets no code.
    """
    SealedTOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    end_all_sessions(actor=actor, user=user)
    record(actor=actor, action="account.2fa_reset", object_type="auth.user",
           object_id=str(user.pk))
    if not user.is_active:
        return None
    return issue_enrolment_code(actor=actor, user=user)


# --- users and their roles ------------------------------------------------------------------


@dataclass(frozen=True)
class RoleSpec:
    """One role assignment to make: the role, and the site or destination it is bound to."""

    role: str
    site: Any = None  # registry.Site or None (every site)
    destination: Any = None  # destinations.Destination, required for liaisons only

    def validated(self) -> RoleSpec:
        known = [r.value for r in Role]
        if self.role not in known:
            raise AccountError(f"unknown role {self.role!r} (one of: {', '.join(known)})")
        if self.role == Role.LIAISON:
            if self.destination is None:
                raise AccountError("a liaison needs a destination (--destination ISO code)")
            if self.site is not None:
                raise AccountError("a liaison is bound to a destination, not to a site: "
                                   "drop --site")
        elif self.destination is not None:
            raise AccountError(f"role {self.role!r} takes no destination; only a liaison "
                               "is bound to one")
        return self


def _describe(spec: RoleAssignment | RoleSpec) -> dict[str, str]:
    out = {"role": str(spec.role)}
    if spec.site is not None:
        out["site"] = str(spec.site.pk)
    if spec.destination is not None:
        out["destination"] = str(spec.destination.code)
    return out


def check_password(password: str, *, username: str = "") -> None:
    """AccountError with the validators' messages when ``password`` is too weak."""
    probe = get_user_model()(username=username)
    try:
        validate_password(password, user=probe)
    except ValidationError as exc:
        raise AccountError("password: " + " ".join(exc.messages)) from exc


@transaction.atomic
def create_user(
    *, actor: Any, username: str, password: str, roles: list[RoleSpec]
) -> tuple[Any, IssuedCode]:
    """A new active account with its roles and an enrolment code for its second factor."""
    username = username.strip()
    if not username:
        raise AccountError("username: must not be empty")
    if not roles:
        raise AccountError("role: give at least one --role")
    specs = [spec.validated() for spec in roles]
    model = get_user_model()
    if model.objects.filter(username=username).exists():
        raise AccountError(f"username: {username!r} is taken")
    check_password(password, username=username)
    user = model.objects.create_user(username=username, password=password)
    for spec in specs:
        RoleAssignment.objects.get_or_create(user=user, role=spec.role, site=spec.site,
                                             destination=spec.destination)
    record(actor=actor, action="account.user_created", object_type="auth.user",
           object_id=str(user.pk), detail={"roles": [_describe(s) for s in specs]})
    return user, issue_enrolment_code(actor=actor, user=user)


@transaction.atomic
def set_password(*, actor: Any, user: Any, password: str) -> None:
    """A new password; the second factor stays as it is (a reset never bypasses it)."""
    check_password(password, username=user.get_username())
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor=actor, action="account.password_set", object_type="auth.user",
           object_id=str(user.pk))


@transaction.atomic
def add_role(*, actor: Any, user: Any, spec: RoleSpec) -> bool:
    """Give ``user`` one more role assignment; False when they held it already."""
    spec = spec.validated()
    _, created = RoleAssignment.objects.get_or_create(
        user=user, role=spec.role, site=spec.site, destination=spec.destination)
    if created:
        record(actor=actor, action="account.role_added", object_type="auth.user",
               object_id=str(user.pk), detail=_describe(spec))
    return created


@transaction.atomic
def remove_role(*, actor: Any, user: Any, role: str, site: Any = None,
                destination: Any = None) -> int:
    """Remove the user's assignments of ``role`` (only the one naming ``site`` or
    ``destination`` when given); returns how many were removed."""
    if role not in {r.value for r in Role}:
        raise AccountError(f"unknown role {role!r} (one of: {', '.join(r.value for r in Role)})")
    found = RoleAssignment.objects.filter(user=user, role=role)
    if site is not None:
        found = found.filter(site=site)
    if destination is not None:
        found = found.filter(destination=destination)
    removed = list(found.select_related("site", "destination"))
    if not removed:
        raise AccountError(f"{user.get_username()} holds no such {role!r} assignment")
    RoleAssignment.objects.filter(pk__in=[a.pk for a in removed]).delete()
    for assignment in removed:
        record(actor=actor, action="account.role_removed", object_type="auth.user",
               object_id=str(user.pk), detail=_describe(assignment))
    return len(removed)


@transaction.atomic
def deactivate_user(*, actor: Any, user: Any) -> None:
    """The account can no longer sign in: inactive, sessions ended, open codes voided.

    Kept (not deleted) so that the audit trail still names who did what.
    """
    if getattr(actor, "pk", None) is not None and actor.pk == user.pk:
        raise AccountError("you cannot deactivate your own account")
    if not user.is_active:
        raise AccountError(f"{user.get_username()} is already deactivated")
    user.is_active = False
    user.save(update_fields=["is_active"])
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
    end_all_sessions(actor=actor, user=user)
    record(actor=actor, action="account.user_deactivated", object_type="auth.user",
           object_id=str(user.pk))
