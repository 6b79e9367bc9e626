"""What the service command tests share: the cast's moments, and a site on disk.

The cast (see conftest.py) is scored under the one scorecard `default`, NPS
answers from 0 to 10: acme answered 9 and globex 3 on the afternoon of DAY;
initech never answered. The clock stands at NOW.
"""

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from scorecards.ingest.service import IncomingSignal, ingest_signals

DAY = date(2026, 11, 29)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
AFTERNOON = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
ACCOUNT_KEYS = ("acme", "globex", "initech")


def answer(account: str, value: float, *, at: datetime) -> None:
    """Store an NPS answer as the API would, at the frozen now."""
    now = datetime.now(UTC)
    ingest_signals([IncomingSignal(account, "nps", value, at)], now=now)


@dataclass
class Run:
    """What a command run in-process returned and printed."""

    status: int
    stdout: str
    stderr: str


@dataclass
class Site:
    """A data directory with its own SQLite file, and the environment to use it."""

    folder: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.folder / "scorecards.sqlite3"

    def command(
        self, *argv: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `scorecards` here; ``env`` adds to or overrides the site's."""
        return subprocess.run(
            [sys.executable, "-m", "scorecards.cli.main", *argv],
            env=self.env | (env or {}),
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self, *argv: str, log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "scorecards.cli.main", *argv],
                env=self.env,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def python(self, code: str) -> Any:
        """Run ``code`` with Django set up on this site; returns what it prints."""
        setup = "import django, json\ndjango.setup()\n"
        result = subprocess.run(
            [sys.executable, "-c", setup + code],
            env=self.env | {"DJANGO_SETTINGS_MODULE": "scorecards.config.settings"},
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def wait_for(check: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
