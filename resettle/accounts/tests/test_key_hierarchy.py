"""Second-factor secrets use the application's one key hierarchy (resettle.encryption);
values sealed before it (version 1) stay readable and are re-sealed by a migration."""

from __future__ import annotations

import base64
import importlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.contrib.auth import get_user_model

from resettle.accounts import crypto
from resettle.accounts.models import RecoveryCode, RecoveryCodeDevice, SealedTOTPDevice
from resettle.encryption import keys
from resettle.testing.objects import current_code

GOLDEN_SECRET = b"12345678901234567890"
GOLDEN_MASTER = "golden-master-key-for-tests"
#: sealed / digested by the version-1 code (commit 9536280) for user 42
GOLDEN_V1_MASTER = "v1:QVEjBeZIF2WIJXHQ2L96l3krnAAumK6h-INhxTqVdxaq_C8FrJ7pOIkjpnLjv7Ol"
GOLDEN_V1_FILE = "v1:W1vDhvPkyo2lDXSJOpAabhNgbj6KylJ3fwb0y0XhK0i11X_m1b8wGo6ah5BafzZm"
GOLDEN_V1_FILE_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
GOLDEN_V1_RECOVERY = "802d7c35389251b00dbc8e07080ea66964864a4794e1eac24252000430ee4407"
GOLDEN_RECOVERY_CODE = "ABCDE-FGHJK"

migration = importlib.import_module("resettle.accounts.migrations.0004_reseal_totp_secrets_v2")


@pytest.fixture
def master(settings: Any) -> Any:
    settings.RESETTLE_MASTER_KEY = GOLDEN_MASTER
    return settings


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Any:
    settings.RESETTLE_MASTER_KEY = ""
    settings.DATA_DIR = tmp_path
    (tmp_path / crypto.LEGACY_KEY_FILE).write_text(GOLDEN_V1_FILE_KEY + "\n")
    return settings


def test_new_seals_use_the_shared_hierarchy(master: Any) -> None:
    token = crypto.seal(GOLDEN_SECRET, context="totp:42")
    assert token.startswith("v2:") and crypto.is_current(token)
    raw = base64.urlsafe_b64decode(token[3:])
    key = keys.derive("accounts/otp-secrets")
    assert AESGCM(key).decrypt(raw[:12], raw[12:], b"totp:42") == GOLDEN_SECRET
    assert crypto.unseal(token, context="totp:42") == GOLDEN_SECRET
    # under another master key the same value opens nothing
    master.RESETTLE_MASTER_KEY = "another-master-key"
    with pytest.raises(crypto.SealError):
        crypto.unseal(token, context="totp:42")


def test_version_1_values_stay_readable(master: Any, key_file: Any) -> None:
    assert crypto.unseal(GOLDEN_V1_FILE, context="totp:42") == GOLDEN_SECRET
    key_file.RESETTLE_MASTER_KEY = GOLDEN_MASTER
    assert crypto.unseal(GOLDEN_V1_MASTER, context="totp:42") == GOLDEN_SECRET
    with pytest.raises(crypto.SealError):
        crypto.unseal(GOLDEN_V1_MASTER, context="totp:43")
    assert GOLDEN_V1_RECOVERY in crypto.digests("ABCDEFGHJK", context="recovery:42")
    assert crypto.digest("ABCDEFGHJK", context="recovery:42") != GOLDEN_V1_RECOVERY


def test_version_1_without_its_key_material_says_why(key_file: Any) -> None:
    (Path(key_file.DATA_DIR) / crypto.LEGACY_KEY_FILE).unlink()
    with pytest.raises(crypto.SealError, match="version 1"):
        crypto.unseal(GOLDEN_V1_FILE, context="totp:42")


@pytest.mark.django_db
def test_migration_reseals_version_1_secrets(key_file: Any) -> None:
    owner = get_user_model().objects.create_user(id=42, username="golden", password="x")
    other = get_user_model().objects.create_user(username="other", password="x")
    old = SealedTOTPDevice.objects.create(user=owner, name="v1", confirmed=True,
                                          sealed_key=GOLDEN_V1_FILE)
    # sealed for user 42 but stored on another user's row: cannot open, left alone
    stray = SealedTOTPDevice.objects.create(user=other, name="stray", confirmed=True,
                                            sealed_key=GOLDEN_V1_FILE)
    assert migration.reseal_totp_secrets(apps, None) == 1
    old.refresh_from_db()
    stray.refresh_from_db()
    assert old.sealed_key.startswith("v2:") and old.bin_key == GOLDEN_SECRET
    assert stray.sealed_key == GOLDEN_V1_FILE
    assert old.verify_token(current_code(old))
    assert migration.reseal_totp_secrets(apps, None) == 0  # idempotent
    # the legacy key file is no longer needed for the secret
    (Path(key_file.DATA_DIR) / crypto.LEGACY_KEY_FILE).unlink()
    old.refresh_from_db()
    assert old.bin_key == GOLDEN_SECRET


@pytest.mark.django_db
def test_version_1_recovery_codes_still_work_once(master: Any) -> None:
    owner = get_user_model().objects.create_user(id=42, username="golden", password="x")
    device = RecoveryCodeDevice.objects.create(user=owner, name="codes", confirmed=True)
    RecoveryCode.objects.create(device=device, digest=GOLDEN_V1_RECOVERY)
    assert not device.verify_token("ABCDE-FGHJL")
    device.throttle_reset()
    assert device.verify_token(GOLDEN_RECOVERY_CODE.lower())
    assert not RecoveryCode.objects.filter(device=device).exists()
