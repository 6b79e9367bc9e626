"""The service's command line: a small stored book, a frozen clock, ways to run it.

The cast is described in service_helpers.py. Commands run in-process, as a user
would type them; the server and worker tests start real processes against a
SQLite file of their own.
"""

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from service_helpers import ACCOUNT_KEYS, AFTERNOON, NOW, Run, Site, answer

from scorecards.accounts.service import upsert_accounts
from scorecards.cli.main import main
from scorecards.scoring.publish import publish

DEFAULT = """\
key: default
name: Everyone
grades:
  - {name: healthy, min: 70}
  - {name: at_risk, min: 0}
criteria:
  - key: nps
    metric: nps
    weight: 1
    aggregate: latest
    normalize: {linear: [0, 10]}
"""


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # The real hasher takes half a second a password, by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def scorecards(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run the `scorecards` command in-process, as a user would type it."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        status = main(list(argv))
        out, err = capsys.readouterr()
        return Run(status, out, err)

    return run


@pytest.fixture
def cast(clock: datetime) -> None:
    publish(source=DEFAULT, format="yaml", author="setup", now=clock)
    upsert_accounts([{"key": key} for key in ACCOUNT_KEYS], now=clock)
    answer("acme", 9, at=AFTERNOON)
    answer("globex", 3, at=AFTERNOON)


def new_site(folder: Path) -> Site:
    folder.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SCORECARDS_DEBUG": "true",
        "SCORECARDS_DATA_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'scorecards.sqlite3'}",
    }
    return Site(folder, env)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return new_site(tmp_path / "site")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated SQLite file, made once: migrating takes seconds."""
    template = new_site(tmp_path_factory.mktemp("template") / "site")
    result = template.command("migrate")
    assert result.returncode == 0, result.stderr
    return template.database


@pytest.fixture
def migrated_site(site: Site, migrated_database: Path) -> Site:
    shutil.copyfile(migrated_database, site.database)
    return site


@pytest.fixture
def free_port() -> int:
    # Released before the server binds it; another process taking it in between
    # is unlikely enough on a test machine.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def stop_at_end() -> Iterator[Callable[[subprocess.Popen[bytes]], None]]:
    """Stop whatever a failed test left running, gracefully first."""
    started: list[subprocess.Popen[bytes]] = []
    yield started.append
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
