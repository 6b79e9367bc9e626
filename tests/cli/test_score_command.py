"""`scorecards score`: a book of CSV files and scorecards in, explained scores out."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
import yaml

ACCOUNT_FIELDS = [
    "account",
    "scorecard",
    "score",
    "grade",
    "coverage",
    "status",
    "criteria",
]
# The example lists these, in this order; the command adds `filled`,
# which tells a criterion its `missing` rule stood in for from one that is absent.
CRITERION_FIELDS = [
    "key",
    "path",
    "raw",
    "score",
    "weight",
    "share",
    "contribution",
    "count",
    "latest_at",
    "stale",
    "missing",
    "filled",
]


def test_it_prints_one_json_object_per_account_sorted_by_account(book, scorecards):
    run = scorecards(*book.score_args())

    assert run.status == 0
    accounts = run.json()
    assert [a["account"] for a in accounts] == ["acme", "globex", "initech"]
    for account in accounts:
        assert list(account) == ACCOUNT_FIELDS
        for criterion in account["criteria"]:
            assert list(criterion) == CRITERION_FIELDS


def test_it_lists_criteria_in_scorecard_order_with_group_paths(book, scorecards):
    acme = scorecards(*book.score_args()).by_account()["acme"]

    assert [(c["key"], c["path"]) for c in acme["criteria"]] == [
        ("qbr", "qbr"),
        ("nps", "nps"),
        ("stakeholders", "stakeholders"),
        ("usage", "engagement/usage"),
        ("escalations", "engagement/escalations"),
    ]
    assert [c["weight"] for c in acme["criteria"]] == [30, 20, 25, 2, 1]


def test_it_scores_acme_as_the_scoring_contract_says(book, scorecards):
    # By hand, as of 2026-12-01T00:00:00Z under `strategic`:
    # - qbr: latest in 120d is 4 (Nov 2; the Dec 10 answer is later than as-of)
    #   -> linear [1, 5] -> 75.
    # - nps: each contact's latest: c1 9, c2 8 (not its older 4), c3 6, and an
    #   anonymous 10 -> 4 respondents, 2 promoters, 1 detractor -> 25 -> 62.5.
    # - stakeholders: sponsor 5 (weight 3), two users 2 (weight 1): 3/5 is capped
    #   at 0.4, users 0.3 each -> 0.4*5 + 0.6*2 = 3.2 -> 55.
    # - engagement/usage: 50 at 14 days (weight 0.5) and 20 at as-of exactly
    #   (weight 1); the Aug 1 value is outside 90d -> 45/1.5 = 30 -> between
    #   (20, 80) and (50, 100): 80 + 20 * 10/30 = 260/3.
    # - engagement/escalations: 1 (Nov 10) -> 60, and 21 days old: stale.
    # - engagement = (2 * 260/3 + 1 * 60) / 3 = 700/9.
    # - total = 0.3*75 + 0.2*62.5 + 0.25*55 + 0.25*700/9 = 2455/36 = 68.19...
    acme = scorecards(*book.score_args()).by_account()["acme"]

    assert acme["scorecard"] == "strategic"
    assert acme["status"] == "scored"
    assert acme["score"] == pytest.approx(2455 / 36, abs=1e-9)
    assert acme["grade"] == "watch"
    assert acme["coverage"] == pytest.approx(1.0, abs=1e-9)
    criteria = {c["path"]: c for c in acme["criteria"]}
    expected = {
        # path: (raw, score, share, contribution, count)
        "qbr": (4, 75, 0.3, 22.5, 2),
        "nps": (25, 62.5, 0.2, 12.5, 4),
        "stakeholders": (3.2, 55, 0.25, 13.75, 3),
        "engagement/usage": (30, 260 / 3, 1 / 6, 130 / 9, 2),
        "engagement/escalations": (1, 60, 1 / 12, 5, 1),
    }
    for path, (raw, score, share, contribution, count) in expected.items():
        criterion = criteria[path]
        assert criterion["raw"] == pytest.approx(raw, abs=1e-9), path
        assert criterion["score"] == pytest.approx(score, abs=1e-9), path
        assert criterion["share"] == pytest.approx(share, abs=1e-9), path
        assert criterion["contribution"] == pytest.approx(contribution, abs=1e-9)
        assert criterion["count"] == count, path


def test_it_prints_full_floats_not_rounded_ones(book, scorecards):
    run = scorecards(*book.score_args())

    assert '"score": 68.19444444444444' in run.stdout
    assert '"share": 0.16666666666666666' in run.stdout


def test_it_shows_when_each_criterion_last_heard_and_whether_that_is_stale(
    book, scorecards
):
    acme = scorecards(*book.score_args()).by_account()["acme"]

    criteria = {c["path"]: c for c in acme["criteria"]}
    assert criteria["qbr"]["latest_at"] == "2026-11-02T10:00:00Z"
    assert criteria["engagement/usage"]["latest_at"] == "2026-12-01T00:00:00Z"
    assert criteria["engagement/escalations"]["latest_at"] == "2026-11-10T00:00:00Z"
    assert criteria["engagement/escalations"]["stale"] is True
    assert criteria["qbr"]["stale"] is False


def test_an_account_with_too_little_data_has_no_score_and_no_grade(book, scorecards):
    initech = scorecards(*book.score_args()).by_account()["initech"]

    assert initech["status"] == "insufficient_data"
    assert initech["scorecard"] == "strategic"
    assert initech["score"] is None
    assert initech["grade"] is None
    # Only the filled-in escalations count: a third of engagement's 25%.
    assert initech["coverage"] == pytest.approx(1 / 12, abs=1e-9)
    escalations = initech["criteria"][-1]
    assert escalations["path"] == "engagement/escalations"
    assert (escalations["raw"], escalations["score"]) == (0, 100)
    assert (escalations["missing"], escalations["filled"]) == (True, True)
    qbr, nps = initech["criteria"][:2]
    assert (qbr["score"], qbr["latest_at"], qbr["missing"]) == (None, None, True)
    # One answer where `min_count: 3` asks for three respondents.
    assert (nps["score"], nps["count"], nps["missing"]) == (None, 1, True)
    assert nps["latest_at"] == "2026-11-01T00:00:00Z"


def test_an_account_no_scorecard_applies_to_is_unscored(book, scorecards):
    run = scorecards(
        "score",
        "--scorecard",
        book.strategic,
        "--signals",
        book.signals,
        "--accounts",
        book.accounts,
        "--as-of",
        "2026-12-01T00:00:00Z",
    )

    globex = run.by_account()["globex"]
    assert globex == {
        "account": "globex",
        "scorecard": None,
        "score": None,
        "grade": None,
        "coverage": 0.0,
        "status": "unscored",
        "criteria": [],
    }


def test_the_highest_priority_scorecard_that_applies_wins(book, scorecards):
    renewal = book.write("renewal.yaml", book.strategic.read_text())
    book.edit(renewal, "key: strategic", "key: renewal")
    book.edit(renewal, "priority: 10", "priority: 20")
    book.edit(renewal, "[strategic, enterprise]", "[strategic]")

    run = scorecards(*book.score_args("--scorecard", renewal))

    chosen = {a["account"]: a["scorecard"] for a in run.json()}
    assert chosen == {"acme": "renewal", "globex": "default", "initech": "strategic"}


def test_every_attribute_a_scorecard_lists_must_match(book, scorecards):
    book.edit(
        book.strategic,
        "applies_to: {segment: [strategic, enterprise]}",
        "applies_to: {segment: [strategic, enterprise], csm: [csm-2]}",
    )

    run = scorecards(*book.score_args())

    chosen = {a["account"]: a["scorecard"] for a in run.json()}
    assert chosen == {"acme": "default", "globex": "default", "initech": "default"}


def test_a_tie_in_priority_goes_to_the_lower_key(book, scorecards):
    beta = book.write("beta.yaml", book.default.read_text())
    book.edit(beta, "key: default", "key: beta\npriority: 5")
    alpha = book.write("alpha.yaml", book.default.read_text())
    book.edit(alpha, "key: default", "key: alpha\npriority: 5")

    run = scorecards(*book.score_args("--scorecard", beta, "--scorecard", alpha))

    chosen = {a["account"]: a["scorecard"] for a in run.json()}
    assert chosen == {"acme": "strategic", "globex": "alpha", "initech": "strategic"}


def test_without_an_accounts_file_the_accounts_are_those_in_the_signals(
    book, scorecards
):
    with book.signals.open("a", encoding="utf-8") as signals:
        signals.write("hooli,nps,9,2026-11-01T00:00:00Z,,survey,hooli-n1\n")

    run = scorecards(
        "score",
        "--scorecard",
        book.strategic,
        "--scorecard",
        book.default,
        "--signals",
        book.signals,
        "--as-of",
        "2026-12-01T00:00:00Z",
    )

    # Accounts from the signals have no attributes, so only `default` applies.
    assert run.status == 0
    chosen = {a["account"]: a["scorecard"] for a in run.json()}
    assert chosen == {
        "acme": "default",
        "globex": "default",
        "hooli": "default",
        "initech": "default",
    }


def test_an_account_without_signals_is_listed_when_the_accounts_file_names_it(
    book, scorecards
):
    with book.accounts.open("a", encoding="utf-8") as accounts:
        accounts.write("umbrella,Umbrella,smb,csm-2\n")

    umbrella = scorecards(*book.score_args()).by_account()["umbrella"]

    assert umbrella["scorecard"] == "default"
    assert umbrella["status"] == "insufficient_data"
    assert [c["count"] for c in umbrella["criteria"]] == [0, 0]


def test_it_ignores_signals_observed_after_the_as_of_time(book, scorecards):
    before = scorecards(*book.score_args(as_of="2026-12-10T09:59:59Z"))
    at = scorecards(*book.score_args(as_of="2026-12-10T10:00:00Z"))

    qbr_before = before.by_account()["acme"]["criteria"][0]
    qbr_at = at.by_account()["acme"]["criteria"][0]
    assert (qbr_before["raw"], qbr_before["latest_at"]) == (4, "2026-11-02T10:00:00Z")
    assert (qbr_at["raw"], qbr_at["latest_at"]) == (1, "2026-12-10T10:00:00Z")


def test_it_reads_the_as_of_time_in_any_zone(book, scorecards):
    in_utc = scorecards(*book.score_args(as_of="2026-12-01T00:00:00Z"))
    in_paris = scorecards(*book.score_args(as_of="2026-12-01T01:00:00+01:00"))

    assert in_paris.stdout == in_utc.stdout


def test_the_as_of_time_defaults_to_now(book, scorecards):
    with time_machine.travel("2026-11-01T00:00:00Z", tick=False):
        now = scorecards(*book.score_args(as_of=None))

    stated = scorecards(*book.score_args(as_of="2026-11-01T00:00:00Z"))
    assert now.stdout == stated.stdout
    qbr = now.by_account()["acme"]["criteria"][0]
    assert (qbr["raw"], qbr["latest_at"]) == (3, "2026-09-01T10:00:00Z")


def test_a_retried_signal_counts_once(book, scorecards):
    with book.signals.open("a", encoding="utf-8") as signals:
        signals.write(
            "globex,weekly_active_users,2,2026-11-20T00:00:00Z,,activity,globex-w1\n"
        )

    run = scorecards(*book.score_args())

    assert run.status == 0
    usage = run.by_account()["globex"]["criteria"][1]
    assert (usage["raw"], usage["count"]) == (2, 1)
    assert run.stderr.startswith(f"{book.signals}: 1 ")
    assert "1 row repeats an earlier one" in run.stderr


def test_the_same_id_from_another_source_is_another_signal(book, scorecards):
    with book.signals.open("a", encoding="utf-8") as signals:
        signals.write(
            "globex,weekly_active_users,8,2026-11-21T00:00:00Z,,crm,globex-w1\n"
        )

    run = scorecards(*book.score_args())

    usage = run.by_account()["globex"]["criteria"][1]
    assert (usage["raw"], usage["count"]) == (5, 2)
    assert "repeat" not in run.stderr


def test_it_accepts_headers_in_upper_case(book, scorecards):
    expected = scorecards(*book.score_args()).stdout
    for path in (book.accounts, book.contacts, book.signals):
        header, rest = path.read_text(encoding="utf-8").split("\n", 1)
        header = header.upper().replace(",", " , ")
        path.write_text(f" {header} \n{rest}", encoding="utf-8")

    run = scorecards(*book.score_args())

    assert run.status == 0
    assert run.stdout == expected


def test_applies_to_matches_an_attribute_column_as_it_is_written(book, scorecards):
    book.write("accounts.csv", "account,Tier\nacme,gold\nglobex,\ninitech,\n")
    book.edit(
        book.strategic,
        "applies_to: {segment: [strategic, enterprise]}",
        "applies_to: {Tier: [gold]}",
    )

    run = scorecards(
        "score",
        "--scorecard",
        book.strategic,
        "--signals",
        book.signals,
        "--accounts",
        book.accounts,
        "--as-of",
        "2026-12-01T00:00:00Z",
    )

    assert run.by_account()["acme"]["scorecard"] == "strategic"


def test_it_reads_a_scorecard_written_in_json(book, scorecards):
    expected = scorecards(*book.score_args()).stdout
    as_json = book.folder / "strategic.json"
    as_json.write_text(json.dumps(yaml.safe_load(book.strategic.read_text())))
    book.strategic.unlink()
    book.strategic = as_json

    run = scorecards(*book.score_args())

    assert run.status == 0
    assert run.stdout == expected


def test_it_writes_a_csv_row_per_account_with_each_criterion_by_path(book, scorecards):
    run = scorecards(*book.score_args("--format", "csv"))

    assert run.status == 0
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert list(rows[0])[:6] == [
        "account",
        "scorecard",
        "status",
        "score",
        "grade",
        "coverage",
    ]
    assert {"engagement/usage", "engagement/escalations"} <= set(rows[0])
    acme, globex, initech = rows
    assert (acme["account"], acme["scorecard"], acme["grade"]) == (
        "acme",
        "strategic",
        "watch",
    )
    assert float(acme["score"]) == pytest.approx(2455 / 36, abs=1e-9)
    assert float(acme["engagement/usage"]) == pytest.approx(260 / 3, abs=1e-9)
    assert globex["scorecard"] == "default"
    assert globex["engagement/usage"] == ""
    assert (initech["status"], initech["score"], initech["grade"]) == (
        "insufficient_data",
        "",
        "",
    )


def test_the_table_puts_the_worst_first_and_accounts_without_a_score_last(
    book, scorecards
):
    book.edit(
        book.default, "key: default", "key: default\napplies_to: {segment: [smb]}"
    )
    with book.accounts.open("a", encoding="utf-8") as accounts:
        accounts.write("aardvark,Aardvark,partner,csm-2\n")

    run = scorecards(*book.score_args("--format", "table"))

    assert run.status == 0
    lines = run.stdout.splitlines()
    assert lines[0].split() == [
        "ACCOUNT",
        "SCORE",
        "GRADE",
        "COVERAGE",
        "SCORECARD",
        "WEAKEST",
        "NOTES",
    ]
    # globex: 0.3 * 100 (two promoters) + 0.7 * 26.66... (2 users) = 48.66...
    assert [line.split()[:3] for line in lines[1:5]] == [
        ["globex", "48.7", "watch"],
        ["acme", "68.2", "watch"],
        ["initech", "-", "-"],
        ["aardvark", "-", "-"],
    ]
    assert "stale: engagement/escalations" in lines[2]
    assert lines[3].endswith("insufficient data")
    assert lines[4].endswith("no scorecard applies")


def test_it_writes_to_the_output_file_and_nothing_to_stdout(book, scorecards):
    printed = scorecards(*book.score_args()).stdout
    output = book.folder / "scores.json"

    run = scorecards(*book.score_args("--output", output))

    assert run.status == 0
    assert run.stdout == ""
    assert output.read_text(encoding="utf-8") == printed


def test_the_installed_command_scores_a_book(book):
    command = Path(sys.executable).with_name("scorecards")

    done = subprocess.run(
        [command, *book.score_args()],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    acme = json.loads(done.stdout)[0]
    assert acme["account"] == "acme"
    assert acme["score"] == pytest.approx(2455 / 36, abs=1e-9)


def test_the_same_row_without_an_id_twice_counts_once_as_in_the_service(
    book, scorecards
):
    with book.signals.open("a", encoding="utf-8") as signals:
        signals.write("acme,open_escalations,2,2026-11-20T00:00:00Z,,,\n")
        signals.write("acme,open_escalations,2,2026-11-20T00:00:00Z,,,\n")

    run = scorecards(*book.score_args())

    assert run.status == 0
    assert "1 row repeats an earlier one" in run.stderr
