"""The same book scores the same through the API as with ``scorecards score``.

A generated book is loaded through the API the way an integrator would (the
bundled scorecards, accounts, contacts, then signals in batches), and the
offline command scores the very same files as of the same moment: the frozen
present, which is also the moment the API scored every account.
"""

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from scorecards.cli.main import main
from scorecards.demo.bundled import bundled_scorecards
from scorecards.demo.generate import write_book

ACCOUNT_FIELDS = ("name", "segment", "tier", "csm", "renewal_date")
NUMBERS = ("raw", "score", "share", "contribution")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def account_item(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {"key": row["account"], "arr": float(row["arr"])}
    item |= {name: row[name] for name in ACCOUNT_FIELDS}
    known = {"account", "arr", *ACCOUNT_FIELDS}
    item["attributes"] = {k: v for k, v in row.items() if k not in known}
    return item


def contact_item(row: dict[str, str]) -> dict[str, Any]:
    return {"account": row["account"], "key": row["contact"], "role": row["role"],
            "name": row["name"], "email": row["email"]}  # fmt: skip


def signal_item(row: dict[str, str]) -> dict[str, Any]:
    return {"account": row["account"], "metric": row["metric"],
            "value": float(row["value"]), "observed_at": row["observed_at"],
            "contact": row["contact"] or None, "source": row["source"],
            "id": row["id"]}  # fmt: skip


def load_through_the_api(integrator: Any, folder: Path) -> None:
    for path in bundled_scorecards():
        text = path.read_text(encoding="utf-8")
        key = yaml.safe_load(text)["key"]
        assert integrator.put(f"/scorecards/{key}", text).status_code == 201

    accounts = [account_item(row) for row in rows(folder / "accounts.csv")]
    assert integrator.post("/accounts", {"accounts": accounts}).status_code == 200
    contacts = [contact_item(row) for row in rows(folder / "contacts.csv")]
    assert integrator.post("/contacts", {"contacts": contacts}).status_code == 200

    signals = [signal_item(row) for row in rows(folder / "signals.csv")]
    for start in range(0, len(signals), 1000):
        batch = {"signals": signals[start : start + 1000]}
        response = integrator.post("/signals", batch)
        assert response.status_code == 200, response.json()


def score_offline(folder: Path, as_of: str) -> list[dict[str, Any]]:
    output = folder / "scores.json"
    cards = [arg for card in bundled_scorecards() for arg in ("--scorecard", card)]
    argv = [
        "score", *cards, "--signals", folder / "signals.csv",
        "--contacts", folder / "contacts.csv", "--accounts", folder / "accounts.csv",
        "--as-of", as_of, "--format", "json", "--output", output,
    ]  # fmt: skip

    assert main([str(arg) for arg in argv]) == 0
    return json.loads(output.read_text(encoding="utf-8"))


def assert_same_score(got: dict[str, Any], expected: dict[str, Any]) -> None:
    summary = ("account", "scorecard", "grade", "status")
    assert {k: got[k] for k in summary} == {k: expected[k] for k in summary}
    assert got["score"] == pytest.approx(expected["score"], abs=1e-9, rel=0)
    assert got["coverage"] == pytest.approx(expected["coverage"], abs=1e-9, rel=0)

    assert [c["path"] for c in got["criteria"]] == [
        c["path"] for c in expected["criteria"]
    ]
    for mine, theirs in zip(got["criteria"], expected["criteria"], strict=True):
        # Overrides are the service's: the offline command has none to show.
        assert mine.pop("overridden") is False
        assert set(mine) == set(theirs)
        for name, value in theirs.items():
            if name in NUMBERS and value is not None:
                assert mine[name] == pytest.approx(value, abs=1e-9, rel=0), name
            else:
                assert mine[name] == value, name


@pytest.mark.django_db
def test_the_api_scores_equal_the_offline_commands(integrator, tmp_path, now):
    write_book(tmp_path, accounts=24, seed=11, end=now)
    load_through_the_api(integrator, tmp_path)

    offline = score_offline(tmp_path, now.isoformat())

    assert len(offline) == 24
    assert {entry["status"] for entry in offline} >= {"scored"}
    for expected in offline:
        stored = integrator.get(f"/accounts/{expected['account']}").json()
        assert_same_score(stored, expected)
        fresh = integrator.get(f"/accounts/{expected['account']}/score").json()
        assert_same_score(fresh, expected)


@pytest.mark.django_db
def test_the_book_lists_the_same_scores(integrator, tmp_path, now):
    write_book(tmp_path, accounts=12, seed=5, end=now)
    load_through_the_api(integrator, tmp_path)

    offline = {e["account"]: e for e in score_offline(tmp_path, now.isoformat())}
    listed = integrator.get("/accounts", limit=100).json()["accounts"]

    assert sorted(a["account"] for a in listed) == sorted(offline)
    for account in listed:
        expected = offline[account["account"]]
        assert (account["grade"], account["status"]) == (
            expected["grade"],
            expected["status"],
        )
        assert account["score"] == pytest.approx(expected["score"], abs=1e-9, rel=0)
