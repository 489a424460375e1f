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
