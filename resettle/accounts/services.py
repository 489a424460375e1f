"""Every write about accounts: second-factor enrolment, recovery codes, ending sessions."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from resettle.accounts.models import (
    RecoveryCode,
    RecoveryCodeDevice,
    SealedTOTPDevice,
    recovery_digest,
)
from resettle.audit.services import record

#: recovery codes avoid look-alike characters (0/O, 1/I/L)
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10
TOTP_KEY_BYTES = 20


class AccountError(Exception):
    """An account operation cannot be done; the message says why."""


@transaction.atomic
def start_enrolment(*, user: Any) -> SealedTOTPDevice:
    """The user's pending (unconfirmed) authenticator, created with a fresh secret if none."""
    if SealedTOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AccountError("This account already has an authenticator; ask an administrator "
                           "to reset it.")
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


def confirm_enrolment(*, user: Any, token: str) -> tuple[SealedTOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns fresh recovery codes.

    The code is checked before the transaction so that a failed attempt's throttling
    counter is kept rather than rolled back with the error.
    """
    device = SealedTOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise AccountError("There is no authenticator waiting for confirmation.")
    if not device.verify_token(token):
        raise AccountError("That code is not valid. Check the time on your phone and try again.")
    with transaction.atomic():
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
def reset_second_factor(*, actor: Any, user: Any) -> None:
    """Remove the user's authenticator and recovery codes and end their sessions.

    At the next sign-in the user must enrol a new authenticator.
    """
    SealedTOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    end_all_sessions(actor=actor, user=user)
    record(actor=actor, action="account.2fa_reset", object_type="auth.user",
           object_id=str(user.pk))
