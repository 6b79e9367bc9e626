"""`scorecards backtest`: the score command's files plus outcomes, no server needed.

The book: 200 accounts whose usage and NPS were drawn at random on the first of
January; those with low usage mostly churned at the end of April, and the rest
renewed. The scorecard weighs the two criteria alike, though only usage tells.
"""

import csv
import json
import math
import random
import re

import pytest

from scorecards.cli.main import main
from scorecards.evidence import pairwise_auc

CARD = """\
key: default
grades:
  - {name: healthy, min: 70}
  - {name: watch, min: 40}
  - {name: at_risk, min: 0}
criteria:
  - {key: usage, metric: usage, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
  - {key: nps, metric: nps, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
"""


def write(path, header, rows):
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def book(tmp_path):
    rng = random.Random(11)
    signals, outcomes = [], []
    for n in range(200):
        account = f"acc-{n:03d}"
        usage, nps = rng.uniform(0, 100), rng.uniform(0, 100)
        signals += [
            [account, "usage", round(usage, 2), "2026-01-01T09:00:00Z"],
            [account, "nps", round(nps, 2), "2026-01-01T09:00:00Z"],
        ]
        churn = rng.random() < 1 / (1 + math.exp(-(3 - 6 * usage / 100)))
        outcomes.append([account, "churn" if churn else "renewal", "2026-04-30"])
    (tmp_path / "default.yaml").write_text(CARD)
    write(tmp_path / "signals.csv", ["account", "metric", "value", "observed_at"],
          signals)  # fmt: skip
    write(tmp_path / "outcomes.csv", ["account", "outcome", "decided_at"], outcomes)
    return tmp_path


def backtest(book, capsys, *more):
    status = main(
        [
            "backtest",
            "--scorecard", str(book / "default.yaml"),
            "--signals", str(book / "signals.csv"),
            "--outcomes", str(book / "outcomes.csv"),
            "--as-of", "2026-12-01T00:00:00Z",
            *more,
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    return status, out, err


def test_it_prints_a_report_a_reader_can_follow(book, capsys):
    status, out, err = backtest(book, capsys)

    assert status == 0, err
    assert "Backtest of default, 90 days before each outcome" in out
    assert "Outcomes: 200; scored 200" in out
    assert "AUC of the score for churn: 0." in out
    assert "By decile of score (1 is the lowest):" in out
    assert "Suggested weights (of 100; a draft, nothing is changed):" in out
    assert re.search(r"^usage +50\.0 +[6-9]\d\.\d ", out, re.MULTILINE)


def test_json_has_the_figures_and_the_auc_is_the_pairwise_one(book, capsys):
    status, out, err = backtest(book, capsys, "--json", "--lead-days", "30")

    assert status == 0, err
    report = json.loads(out)
    assert report["lead_days"] == 30
    assert {case["as_of"] for case in report["cases"]} == {"2026-03-31T00:00:00Z"}
    churned = [case["outcome"] == "churn" for case in report["cases"]]
    scores = [case["score"] for case in report["cases"]]
    assert report["current"]["auc"] == pytest.approx(pairwise_auc(churned, scores))
    weights = {w["path"]: w for w in report["suggested_weights"]["weights"]}
    assert weights["usage"]["suggested"] > 80
    assert report["fitted"]["auc"] > report["current"]["auc"]
    aucs = {c["path"]: c["auc"] for c in report["current"]["criteria"]}
    assert aucs["usage"] > 0.7
    assert aucs["nps"] == pytest.approx(0.5, abs=0.12)


def test_bad_outcome_rows_are_named_by_line_and_column(book, capsys):
    write(book / "outcomes.csv", ["account", "outcome", "decided_at"], [
        ["acc-001", "renewed", "2026-04-30"],
        ["acc-002", "churn", "2026-04-30 10:00"],
        ["", "churn", "2026-04-30"],
    ])  # fmt: skip

    status, out, err = backtest(book, capsys)

    assert status == 2
    assert out == ""
    outcomes = book / "outcomes.csv"
    assert f"{outcomes}:2: column 'outcome': 'renewed' is not one of renewal, " in err
    assert f"{outcomes}:3: column 'decided_at': '2026-04-30 10:00' has no " in err
    assert f"{outcomes}:4: column 'account': is empty" in err
    assert "3 problems found; nothing was scored." in err


def test_outcomes_after_the_as_of_time_are_left_out_and_said(book, capsys):
    status, out, err = backtest(book, capsys, "--as-of", "2026-04-01T00:00:00Z")

    assert status == 0, err
    assert "left out 200" in out
    assert "200 left out: decided after the time of the backtest" in out
    assert "Warning: too few outcomes to trust these figures" in out
