"""The offline `scorecards score` stays offline: no settings, no database."""

import json
from pathlib import Path

from service_helpers import Site

SCORECARD = """\
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

SIGNALS = """\
account,metric,value,observed_at
acme,nps,9,2026-11-29T15:00:00Z
"""


def test_score_runs_where_the_service_could_not_even_start(
    site: Site, tmp_path: Path
) -> None:
    (tmp_path / "default.yaml").write_text(SCORECARD)
    (tmp_path / "signals.csv").write_text(SIGNALS)
    broken = {
        "SCORECARDS_DEBUG": "maybe",
        "DATABASE_URL": "mysql://nobody@nowhere/nothing",
        "SCORECARDS_DATA_DIR": "/proc/no-such-place",
    }

    result = site.command(
        "score",
        "--scorecard", str(tmp_path / "default.yaml"),
        "--signals", str(tmp_path / "signals.csv"),
        "--as-of", "2026-12-01T00:00:00Z",
        env=broken,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    [acme] = json.loads(result.stdout)
    assert (acme["account"], acme["score"], acme["grade"]) == ("acme", 90.0, "healthy")
