"""schemathesis against the live schema, as several roles: no server errors, responses that
match the schema, and invalid input refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from resettle.api.tokens import create_token
from resettle.testing.fixtures import SmallCamp

ROLES = ("caseworker", "liaison-de", "manager", "movement")
EXAMPLES = 10


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    checks: list[Any] = [not_a_server_error, content_type_conformance,
                         response_schema_conformance, status_code_conformance]
    if mode is GenerationMode.NEGATIVE:
        checks.append(negative_data_rejection)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)

    run()


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """Calling the WSGI app directly fires request_finished, whose handler closes the
    database connection (and with it the test's transaction on PostgreSQL); the Django
    test client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.parametrize("username", ROLES)
@pytest.mark.usefixtures("_keep_test_connection")
def test_api_survives_fuzzing(camp: SmallCamp, username: str) -> None:
    from resettle.wsgi import application

    user = camp.users[username]
    secret = create_token(actor=user, user=user, name="fuzz").secret
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 10
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, {"Authorization": f"Bearer {secret}"})
