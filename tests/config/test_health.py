"""GET /healthz, as a load balancer or a container probe sees it."""

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

VENDOR_OF_PASS = {"sqlite": "sqlite", "postgres": "postgresql"}

# Runs the real settings and view in a fresh interpreter, so the database the check
# talks to is exactly what DATABASE_URL says and nothing in this process is patched.
CHECK_HEALTH = """
import json
import django
from django.test import Client
from django.test.utils import setup_test_environment

django.setup()
setup_test_environment()
health = Client().get("/healthz")
elsewhere = Client().get("/elsewhere")
print(json.dumps({
    "status": health.status_code,
    "body": health.content.decode(),
    "elsewhere": elsewhere.status_code,
}))
"""


@pytest.fixture
def refused_port() -> Iterator[int]:
    # Bound but never listening: connections are refused, and no other process can
    # take the port while the test runs.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def check_health(
    *, database_url: str, cwd: Path, **settings: str
) -> tuple[int, Any, str]:
    """GET /healthz; return the status, the JSON body and what was logged."""
    answer = run_check(database_url=database_url, cwd=cwd, **settings)
    return answer["status"], json.loads(answer["body"]), answer["log"]


def run_check(*, database_url: str, cwd: Path, **settings: str) -> dict[str, Any]:
    env = {
        "DJANGO_SETTINGS_MODULE": "scorecards.config.settings",
        "SCORECARDS_DEBUG": "true",
        "DATABASE_URL": database_url,
        **settings,
    }
    result = subprocess.run(
        [sys.executable, "-c", CHECK_HEALTH],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    answer: dict[str, Any] = json.loads(result.stdout)
    return answer | {"log": result.stderr}


@pytest.mark.django_db
def test_it_answers_ok_from_the_database_of_this_run(
    client: Client, request: pytest.FixtureRequest
) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    expected_vendor = VENDOR_OF_PASS[request.config.getoption("database")]
    assert response.json() == {"status": "ok", "database": expected_vendor}
    assert response["Cache-Control"] == "no-store"


def test_it_only_answers_get_and_head(client: Client) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_it_answers_503_when_postgresql_refuses_connections(
    refused_port: int, tmp_path: Path
) -> None:
    url = f"postgres://scorecards@127.0.0.1:{refused_port}/scorecards"

    status, body, log = check_health(database_url=url, cwd=tmp_path)

    assert status == 503
    assert body == {
        "status": "error",
        "database": "postgresql",
        "error": "database unavailable",
    }
    assert "health check: postgresql database did not answer" in log
    assert "Connection refused" in log


def test_it_answers_503_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no-such-directory/scorecards.sqlite3"

    status, body, log = check_health(database_url=url, cwd=tmp_path)

    assert status == 503
    assert body == {
        "status": "error",
        "database": "sqlite",
        "error": "database unavailable",
    }
    assert "unable to open database file" in log


def test_probes_reach_it_over_plain_http_in_production(tmp_path: Path) -> None:
    answer = run_check(
        database_url=f"sqlite:///{tmp_path}/scorecards.sqlite3",
        cwd=tmp_path,
        SCORECARDS_DEBUG="false",
        SCORECARDS_SECRET_KEY="a-long-random-secret-that-only-this-test-knows",
    )

    assert answer["status"] == 200
    assert answer["elsewhere"] == 301
