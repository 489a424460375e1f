"""Role assignments (roles, site, destination) and the second-factor devices."""

from __future__ import annotations

import time
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from resettle.accounts.crypto import digest, digests, seal, unseal
from resettle.accounts.policy import ROLE_LABELS, Role

ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    #: narrows the scope to one site; empty = every site
    site = models.ForeignKey("registry.Site", null=True, blank=True, on_delete=models.CASCADE)
    #: the one destination a liaison serves (required for liaisons, empty otherwise)
    destination = models.ForeignKey(
        "destinations.Destination", null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="liaison") & Q(destination__isnull=False))
                | (~Q(role="liaison") & Q(destination__isnull=True)),
                name="liaison_has_exactly_one_destination",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "site", "destination"], name="unique_role_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role}"


class SealedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]
    """A TOTP authenticator whose secret is stored sealed (AES-GCM), never in clear.

    Same fields and verification as django-otp's TOTPDevice; ``last_t`` makes a code
    unusable a second time within its window, and ThrottlingMixin slows guessing.
    """

    sealed_key = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = "authenticator app"

    @staticmethod
    def _context(user_id: object) -> str:
        return f"totp:{user_id}"

    def set_key(self, key: bytes) -> None:
        self.sealed_key = seal(key, context=self._context(self.user_id))

    @property
    def bin_key(self) -> bytes:
        return unseal(self.sealed_key, context=self._context(self.user_id))

    def verify_token(self, token: object) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        text = str(token).strip()
        verified = False
        if text.isdigit() and len(text) == self.digits:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = bool(totp.verify(int(text), self.tolerance, self.last_t + 1))
            if verified:
                self.last_t = totp.t()
                self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    @property
    def config_url(self) -> str:
        """otpauth:// URI for authenticator apps (shown once, as a QR code and as text)."""
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "resettle")).replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        params = urlencode(
            {"secret": self.base32_key, "algorithm": "SHA1", "digits": self.digits,
             "period": self.step, "issuer": issuer}
        )
        return f"otpauth://totp/{label}?{params}"

    @property
    def base32_key(self) -> str:
        return b32encode(self.bin_key).decode("ascii").rstrip("=")


class RecoveryCodeDevice(ThrottlingMixin, Device):  # type: ignore[misc]
    """One-time recovery codes, stored only as keyed digests."""

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = "recovery codes"

    def verify_token(self, token: object) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        text = normalise_recovery_code(str(token))
        match = self.codes.filter(digest__in=recovery_digests(self.user_id, text)).first()
        if match is None:
            self.throttle_increment(commit=True)
            return False
        match.delete()
        self.throttle_reset(commit=True)
        return True

    def get_throttle_factor(self) -> int:
        return 1


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"recovery code {self.pk}"


def normalise_recovery_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def recovery_digest(user_id: object, code: str) -> str:
    return digest(normalise_recovery_code(code), context=f"recovery:{user_id}")


def recovery_digests(user_id: object, code: str) -> list[str]:
    """The digests a recovery code may be stored under (codes issued before the shared key
    hierarchy carry a version-1 digest)."""
    return digests(normalise_recovery_code(code), context=f"recovery:{user_id}")


class EnrolmentCode(models.Model):
    """A one-time code an administrator hands a user for their first second-factor enrolment.

    Without it, whoever learnt a user's password could enrol their own authenticator before
    the real user does. Stored only as a keyed digest; shown once when issued; expires;
    spent by the enrolment it allows. Issuing a new code for a user replaces the old one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_codes"
    )
    digest = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    #: set when an enrolment confirmed with this code (then it opens nothing any more)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"], name="enrolment_code_open")]

    def __str__(self) -> str:
        return f"enrolment code {self.pk}"


def enrolment_digest(user_id: object, code: str) -> str:
    return digest(normalise_recovery_code(code), context=f"enrolment:{user_id}")
