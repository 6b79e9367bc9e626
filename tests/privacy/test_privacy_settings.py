"""The erasure and retention settings, read from the environment at startup."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SHOW = """
import json
from scorecards.config import settings

print(json.dumps([settings.ERASURE_ANSWERS, settings.RETAIN_SIGNALS_DAYS,
                  settings.RETAIN_COMMENTS_DAYS, settings.RETAIN_AUDIT_DAYS]))
"""


def start(folder: Path, **env: str) -> Any:
    base = {"SCORECARDS_DEBUG": "true", "SCORECARDS_DATA_DIR": str(folder)}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        env=base | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_by_default_answers_are_anonymised_and_everything_kept(
    tmp_path: Path,
) -> None:
    started = start(tmp_path)

    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == ["anonymise", 0, 0, 0]


def test_an_operator_chooses_deletion_and_limits(tmp_path: Path) -> None:
    started = start(
        tmp_path,
        SCORECARDS_ERASURE_ANSWERS="Delete",
        SCORECARDS_RETAIN_SIGNALS_DAYS="400",
        SCORECARDS_RETAIN_COMMENTS_DAYS="730",
        SCORECARDS_RETAIN_AUDIT_DAYS="2555",
    )

    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == ["delete", 400, 730, 2555]


def test_a_value_it_cannot_use_stops_the_start_and_names_the_variable(
    tmp_path: Path,
) -> None:
    wrong_mode = start(tmp_path, SCORECARDS_ERASURE_ANSWERS="forget")
    negative = start(tmp_path, SCORECARDS_RETAIN_AUDIT_DAYS="-1")

    assert wrong_mode.returncode != 0
    assert "SCORECARDS_ERASURE_ANSWERS must be one of ANONYMISE, DELETE" in (
        wrong_mode.stderr
    )
    assert negative.returncode != 0
    assert "SCORECARDS_RETAIN_AUDIT_DAYS must be at least 0" in negative.stderr
