"""Background jobs: started only after their transaction commits; failures logged without
the exception's message (it may hold names)."""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import OperationalError, transaction

from resettle.jobs import log_failure, retry_when_locked, start_after_commit


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


@pytest.mark.django_db(transaction=True)
def test_a_job_starts_only_after_its_transaction_commits() -> None:
    ran = threading.Event()
    seen: list[int] = []

    def job(run_id: int) -> None:
        seen.append(run_id)
        ran.set()

    with transaction.atomic():
        start_after_commit(job, 7, name="test")
        assert not ran.wait(0.2)  # its row would not be visible yet
    assert ran.wait(5) and seen == [7]
    ran.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        start_after_commit(job, 8, name="test")
        raise RuntimeError("rolled back")
    assert not ran.wait(0.3) and seen == [7]  # a rolled-back run never starts
