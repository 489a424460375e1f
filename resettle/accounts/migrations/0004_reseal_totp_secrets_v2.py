"""Re-seal version-1 TOTP secrets under the shared key hierarchy (resettle.encryption).

Secrets that cannot be opened (their version-1 key material is gone) are left as they
are: they were unusable before and stay so; an administrator resets those accounts.
Reversible as a no-op: version-2 values are read by every later version of the code.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import migrations

logger = logging.getLogger(__name__)


def reseal_totp_secrets(apps: Any, schema_editor: Any) -> int:
    """Re-seal every v1 secret as v2; returns how many were re-sealed."""
    from resettle.accounts.crypto import LEGACY_PREFIX, SealError, reseal

    device_model = apps.get_model("accounts", "SealedTOTPDevice")
    done = 0
    for device in device_model.objects.filter(sealed_key__startswith=LEGACY_PREFIX):
        context = f"totp:{device.user_id}"  # as SealedTOTPDevice._context
        try:
            device.sealed_key = reseal(device.sealed_key, context=context)
        except SealError:
            logger.warning("authenticator %s: version-1 secret cannot be opened; reset the "
                           "user's two-factor authentication", device.pk)
            continue
        device.save(update_fields=["sealed_key"])
        done += 1
    return done


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_enrolmentcode"),
    ]

    operations = [
        migrations.RunPython(reseal_totp_secrets, migrations.RunPython.noop, elidable=True),
    ]
