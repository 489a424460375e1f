"""Background work started from a request: solver runs, plans, forecasts.

A daemon thread started only after the creating transaction commits (so it sees its
row), closing its own database connection at the end. Failures are logged by exception
type and code location only: exception messages can carry personal data, logs must not.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import OperationalError, connection, transaction

T = TypeVar("T")


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Log where and what kind of error, never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in reversed(frames))
    log.error("%s failed: %s at %s", what, type(exc).__name__, where)


def start_after_commit(job: Callable[[Any], None], run_id: Any, *, name: str) -> None:
    """Run ``job(run_id)`` on a daemon thread once the current transaction commits."""

    def main() -> None:
        try:
            job(run_id)
        finally:
            connection.close()

    def launch() -> None:
        threading.Thread(target=main, name=f"{name}-{run_id}", daemon=True).start()

    transaction.on_commit(launch)


def retry_when_locked(write: Callable[[], T], *, attempts: int = 8) -> T:
    """Run a background write again when SQLite answers "database is locked" at once.

    A SQLite file past its busy timeout (a long solver write holding the lock) fails this
    way; every write retried here is idempotent (guarded by the run's status).
    """
    for attempt in range(attempts):
        try:
            return write()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")
