"""Schemathesis against the OpenAPI document: whatever it sends, the API never
answers 500, and every refusal (4xx) is JSON saying what was wrong.

The quick run tries a few examples of every operation, valid and invalid, so
it fits in `make test`; SCORECARDS_HEAVY_TESTS=1 tries many more
(docs/reliability.md). Calls go through the WSGI application in this process,
authenticated as an integrator, against the database of the run.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from reliability_helpers import SETUP_AT
from schemathesis.checks import not_a_server_error

from scorecards.api.tokens import create_token
from scorecards.testing.heavy import heavy_tests

EXAMPLES = 100 if heavy_tests() else 6


# Schemathesis calls the application as host "localhost".
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
# The coverage phase (every boundary, every method a route does not take) makes
# hundreds of calls per operation: the heavy run's job.
schema.config.phases.coverage.enabled = heavy_tests()


@pytest.fixture(autouse=True)
def in_this_transaction(settings: Any, book: list[str]) -> Iterator[None]:
    """Let the WSGI handler share the test's transaction, as Django's test
    client does: its end-of-request hook would otherwise close the connection."""
    settings.ALLOWED_HOSTS = ["localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db: None) -> dict[str, str]:
    _, secret = create_token(name="fuzzer", now=SETUP_AT)
    return {"Authorization": f"Bearer {secret}"}


def useful_refusal(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx is ``{"errors": [{"message": ...}, ...]}`` with words in each."""
    if not 400 <= response.status_code < 500:
        return None
    media_type = response.headers.get("content-type", [""])[0]
    assert media_type.startswith("application/json"), (
        f"{response.status_code} answered as {media_type!r}: {response.text[:200]}"
    )
    errors = response.json().get("errors")
    assert errors, f"{response.status_code} without errors: {response.text[:200]}"
    for error in errors:
        assert isinstance(error.get("message"), str)
        assert len(error["message"]) >= 5, error
    return True


@pytest.fixture(autouse=True)
def quiet_django_request_log(caplog: pytest.LogCaptureFixture) -> None:
    # Each refusal logs a warning; thousands of them only slow the run.
    caplog.set_level("ERROR", logger="django.request")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not heavy_tests() and bool(os.environ.get("CI")),
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_answers_500_and_explains_every_refusal(
    case: Any, bearer: dict[str, str]
) -> None:
    # Each example from the same book: what it wrote, or a database error it
    # met (which on PostgreSQL spoils the rest of a transaction), goes with
    # it, as it would at the end of a request of its own.
    savepoint = transaction.savepoint_create()
    try:
        case.call_and_validate(
            headers=bearer, checks=[not_a_server_error, useful_refusal]
        )
    finally:
        transaction.savepoint_rollback(savepoint)
