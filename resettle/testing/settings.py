"""Settings for the test suite: the real settings, with the test environment's defaults.

Set before resettle.settings reads the environment, so a plain ``pytest`` works as well
as scripts/test: an isolated data dir, plain HTTP to the app, and Playwright's sync API
(which runs an event loop in the test thread) allowed to call the ORM.
"""

import os
import tempfile

os.environ.setdefault("RESETTLE_DATA_DIR", tempfile.mkdtemp(prefix="resettle-test-"))
os.environ.setdefault("RESETTLE_HTTPS", "0")
os.environ.setdefault("RESETTLE_DEMO", "0")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from resettle.settings import *  # noqa: F403

# A real SQLite file, not Django's default shared-cache in-memory database: there a
# second connection (the live server's request threads, a background run) gets "table is
# locked" at once instead of waiting out busy_timeout, as production's file never does.
# pytest-django appends the xdist worker's suffix to the name.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
