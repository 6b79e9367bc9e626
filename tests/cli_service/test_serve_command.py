"""`scorecards serve`: a real server, started, asked and stopped as an operator does."""

import json
import os
import re
import signal
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from service_helpers import Site, wait_for

from scorecards.cli.serve import wants_worker


def health(port: int) -> int | None:
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            assert json.load(response)["status"] == "ok"
            return int(response.status)
    except OSError:
        # Refused, reset or timed out: nothing is serving there (yet).
        return None


def started_pids(log: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"started \(pid (\d+)\)", log)]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_it_serves_until_sigterm_then_stops_everything_cleanly(
    migrated_site: Site,
    free_port: int,
    tmp_path: Path,
    stop_at_end: Callable[..., None],
) -> None:
    log = tmp_path / "serve.log"

    server = migrated_site.start(
        "serve", "--port", str(free_port), "--workers", "2", log=log
    )
    stop_at_end(server)
    wait_for(lambda: health(free_port) == 200, seconds=60, what="/healthz answering")
    children = started_pids(log.read_text())
    server.send_signal(signal.SIGTERM)
    status = server.wait(timeout=60)

    text = log.read_text()
    assert status == 0, text
    assert len(children) == 2, "a web server and, on SQLite, a task worker"
    assert all(gone(pid) for pid in children), text
    assert health(free_port) is None
    assert f"serving on http://127.0.0.1:{free_port} with 2 web processes" in text
    assert "and a task worker" in text
    assert "stopping on SIGTERM" in text
    assert text.rstrip().endswith("stopped")


def test_killed_outright_it_takes_its_children_down_too(
    migrated_site: Site,
    free_port: int,
    tmp_path: Path,
    stop_at_end: Callable[..., None],
) -> None:
    log = tmp_path / "serve.log"
    server = migrated_site.start("serve", "--port", str(free_port), log=log)
    stop_at_end(server)
    wait_for(lambda: health(free_port) == 200, seconds=60, what="/healthz answering")
    children = started_pids(log.read_text())

    server.kill()
    server.wait(timeout=10)

    wait_for(
        lambda: all(gone(pid) for pid in children),
        seconds=60,
        what="the web server and the task worker stopping",
    )
    assert health(free_port) is None


def test_it_collects_the_static_files_before_serving(
    migrated_site: Site,
    free_port: int,
    tmp_path: Path,
    stop_at_end: Callable[..., None],
) -> None:
    server = migrated_site.start(
        "serve", "--port", str(free_port), "--workers", "1", "--no-with-worker",
        log=tmp_path / "serve.log",
    )  # fmt: skip
    stop_at_end(server)
    wait_for(lambda: health(free_port) == 200, seconds=60, what="/healthz answering")
    server.send_signal(signal.SIGINT)

    assert server.wait(timeout=60) == 0
    assert (migrated_site.folder / "static").is_dir()
    assert "task worker" not in (tmp_path / "serve.log").read_text()


def test_it_refuses_to_start_on_a_database_that_needs_migrating(
    site: Site, free_port: int
) -> None:
    result = site.command("serve", "--port", str(free_port))

    assert result.returncode == 2
    assert "run `scorecards migrate` first" in result.stderr
    assert health(free_port) is None


@pytest.mark.django_db
def test_a_worker_runs_beside_the_server_by_default_only_on_sqlite(
    request: pytest.FixtureRequest,
) -> None:
    on_sqlite = request.config.getoption("database") == "sqlite"

    assert wants_worker(None) is on_sqlite
    assert wants_worker(True) is True
    assert wants_worker(False) is False
