"""How `scorecards serve` minds its children when one of them gives up."""

import sys

import pytest

from scorecards.cli.supervisor import Child, supervise


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_child_exiting_on_its_own_stops_the_rest_and_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crashing = Child("web server", python("import sys; sys.exit(3)"))
    waiting = Child("task worker", python("import time; time.sleep(60)"))

    status = supervise([crashing, waiting])

    assert status == 1
    assert waiting.process is not None
    assert waiting.process.returncode is not None
    assert "web server exited on its own with status 3" in caplog.text
    assert "stopping the rest" in caplog.text


def test_a_child_ending_unasked_fails_the_service_even_with_status_0() -> None:
    # A server is meant to run until it is told to stop; ending by itself is a
    # fault for the service manager to see, whatever the status.
    done = Child("web server", python("pass"))

    assert supervise([done]) == 1
