"""A small book of accounts on disk, and a way to run `scorecards` on it.

The cast:

- acme (strategic segment), scored under `strategic`: QBR ratings, survey answers
  from contacts of several roles, usage and escalations, and one QBR rating
  after the as-of time;
- globex (smb), scored under `default`;
- initech (enterprise): one survey answer, too little for `strategic`.

Every test scores as of AS_OF unless it says otherwise.
"""

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scorecards.cli.main import main

AS_OF = "2026-12-01T00:00:00Z"

STRATEGIC = """\
key: strategic
name: Strategic accounts
applies_to: {segment: [strategic, enterprise]}
priority: 10
min_coverage: 0.5
grades:
  - {name: healthy, min: 70, color: green}
  - {name: watch, min: 40, color: amber}
  - {name: at_risk, min: 0, color: red}
criteria:
  - key: qbr
    metric: qbr_score
    weight: 30
    aggregate: latest
    window: 120d
    normalize: {linear: [1, 5]}
  - key: nps
    metric: nps
    weight: 20
    aggregate: nps
    window: 180d
    min_count: 3
    normalize: {linear: [-100, 100]}
  - key: stakeholders
    metric: stakeholder_rating
    weight: 25
    window: 180d
    aggregate:
      stakeholder:
        role_weights: {executive_sponsor: 3, decision_maker: 2, champion: 1}
        default_weight: 1
        max_share: 0.4
        prior: 3
    normalize: {linear: [1, 5]}
  - group: engagement
    weight: 25
    criteria:
      - key: usage
        metric: weekly_active_users
        weight: 2
        window: 90d
        aggregate: {decayed_mean: {half_life: 14d}}
        normalize: {points: [[0, 0], [5, 40], [20, 80], [50, 100]]}
      - key: escalations
        metric: open_escalations
        weight: 1
        window: 30d
        aggregate: latest
        missing: {value: 0}
        stale_after: 14d
        normalize: {points: [[0, 100], [1, 60], [3, 20], [5, 0]]}
"""

DEFAULT = """\
key: default
name: Everyone else
min_coverage: 0.4
grades:
  - {name: healthy, min: 70}
  - {name: watch, min: 45}
  - {name: at_risk, min: 0}
criteria:
  - key: nps
    metric: nps
    weight: 30
    aggregate: nps
    window: 180d
    min_count: 2
    normalize: {linear: [-100, 100]}
  - key: usage
    metric: weekly_active_users
    weight: 70
    aggregate: mean
    window: 60d
    normalize: {points: [[0, 0], [3, 40], [10, 80], [25, 100]]}
"""

ACCOUNTS = """\
account,name,segment,csm
initech,Initech,enterprise,csm-1
acme,Acme Corp,strategic,csm-1
globex,Globex,smb,csm-2
"""

CONTACTS = """\
account,contact,role,email
acme,c1,executive_sponsor,ceo@acme.example
acme,c2,decision_maker,cto@acme.example
acme,c3,champion,ops@acme.example
acme,c4,user,
acme,c5,user,
globex,g1,champion,
"""

# Line numbers matter to the bad-input tests: the header is line 1.
SIGNALS = """\
account,metric,value,observed_at,contact,source,id
acme,qbr_score,3,2026-09-01T10:00:00Z,,qbr,acme-q1
acme,qbr_score,4,2026-11-02T10:00:00Z,,qbr,acme-q2
acme,qbr_score,1,2026-12-10T10:00:00Z,,qbr,acme-q3
acme,nps,9,2026-10-01T00:00:00Z,c1,survey,acme-n1
acme,nps,4,2026-09-15T00:00:00Z,c2,survey,acme-n2
acme,nps,8,2026-10-15T00:00:00Z,c2,survey,acme-n3
acme,nps,6,2026-10-01T00:00:00Z,c3,survey,acme-n4
acme,nps,10,2026-10-20T00:00:00Z,,survey,acme-n5
acme,stakeholder_rating,5,2026-10-01T00:00:00Z,c1,survey,acme-s1
acme,stakeholder_rating,2,2026-10-01T00:00:00Z,c4,survey,acme-s2
acme,stakeholder_rating,2,2026-10-01T00:00:00Z,c5,survey,acme-s3
acme,weekly_active_users,0,2026-08-01T00:00:00Z,,activity,acme-w1
acme,weekly_active_users,50,2026-11-17T00:00:00Z,,activity,acme-w2
acme,weekly_active_users,20,2026-12-01T00:00:00Z,,activity,acme-w3
acme,open_escalations,1,2026-11-10T00:00:00Z,,support,acme-e1
globex,weekly_active_users,2,2026-11-20T00:00:00Z,,activity,globex-w1
globex,nps,9,2026-11-01T00:00:00Z,g1,survey,globex-n1
globex,nps,10,2026-11-02T00:00:00Z,,survey,globex-n2
initech,nps,7,2026-11-01T00:00:00Z,,survey,initech-n1
"""


@dataclass
class Book:
    """The cast's files, and the `score` command line that reads them all."""

    folder: Path
    strategic: Path
    default: Path
    accounts: Path
    contacts: Path
    signals: Path

    def score_args(self, *extra: str | Path, as_of: str | None = AS_OF) -> list[str]:
        """Every file of the book, as of ``as_of`` (None: leave it to the command)."""
        return [
            "score",
            "--scorecard",
            str(self.strategic),
            "--scorecard",
            str(self.default),
            "--signals",
            str(self.signals),
            "--contacts",
            str(self.contacts),
            "--accounts",
            str(self.accounts),
            *(["--as-of", as_of] if as_of is not None else []),
            *map(str, extra),
        ]

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def edit(self, path: Path, old: str, new: str) -> None:
        """Replace the one occurrence of ``old``, so a test breaks what it says."""
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
        path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def book(tmp_path: Path) -> Book:
    files = {
        "strategic.yaml": STRATEGIC,
        "default.yaml": DEFAULT,
        "accounts.csv": ACCOUNTS,
        "contacts.csv": CONTACTS,
        "signals.csv": SIGNALS,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Book(
        folder=tmp_path,
        strategic=tmp_path / "strategic.yaml",
        default=tmp_path / "default.yaml",
        accounts=tmp_path / "accounts.csv",
        contacts=tmp_path / "contacts.csv",
        signals=tmp_path / "signals.csv",
    )


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def by_account(self) -> dict[str, Any]:
        return {entry["account"]: entry for entry in self.json()}


@pytest.fixture
def scorecards(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run the `scorecards` command in-process, as a user would type it."""

    def run(*argv: str | Path) -> Run:
        capsys.readouterr()
        status = main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return Run(status, out, err)

    return run
