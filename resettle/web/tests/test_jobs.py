"""Background job failures are logged without the exception's message (it may hold names)."""

from __future__ import annotations

import logging

from resettle.jobs import log_failure


def test_failure_log_names_type_and_place_but_not_message(caplog) -> None:
    log = logging.getLogger("resettle.test")
    try:
        raise ValueError("Hossein Karimi born 1970")
    except ValueError as exc:
        with caplog.at_level(logging.ERROR):
            log_failure(log, "planning run 42", exc)
    text = caplog.text
    assert "ValueError" in text and "test_jobs.py" in text and "planning run 42" in text
    assert "Hossein" not in text and "1970" not in text


def test_locked_writes_are_retried_and_other_errors_are_not() -> None:
    import pytest
    from django.db import OperationalError

    from resettle.jobs import retry_when_locked

    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database table is locked: allocation_allocationrun")
        return "written"

    assert retry_when_locked(flaky) == "written" and len(calls) == 3

    def broken() -> None:
        raise OperationalError("no such table: x")

    with pytest.raises(OperationalError, match="no such table"):
        retry_when_locked(broken)
