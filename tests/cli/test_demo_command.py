"""`scorecards demo --offline`: a made-up book scored with the bundled scorecards."""

import time_machine
import yaml

from scorecards.cli.demo import bundled_scorecards

NOW = "2026-12-01T12:00:00Z"


def bundled_grades():
    """Each bundled scorecard's grade bands, highest first, by scorecard key."""
    cards = [yaml.safe_load(path.read_text()) for path in bundled_scorecards()]
    return {
        card["key"]: [(grade["min"], grade["name"]) for grade in card["grades"]]
        for card in cards
    }


def table_rows(text):
    """The table's rows as lists of cells, without the header and the summary."""
    lines = text.splitlines()
    rows = lines[1 : lines.index("")]
    return [line.split()[:5] for line in rows]


@time_machine.travel(NOW, tick=False)
def test_it_prints_a_table_graded_by_the_bundled_scorecards(scorecards):
    run = scorecards("demo", "--offline", "--accounts", "12")

    assert run.status == 0
    assert run.stdout.splitlines()[0].split()[:5] == [
        "ACCOUNT",
        "SCORE",
        "GRADE",
        "COVERAGE",
        "SCORECARD",
    ]
    assert run.stdout.splitlines()[-1].startswith("12 accounts: ")
    rows = table_rows(run.stdout)
    assert len(rows) == 12
    grades = bundled_grades()
    for account, score, grade, _, scorecard in rows:
        bands = grades[scorecard]
        expected = next(name for low, name in bands if float(score) >= low)
        assert grade == expected, account
    scores = [float(score) for _, score, *_ in rows]
    assert scores == sorted(scores)


@time_machine.travel(NOW, tick=False)
def test_the_same_seed_makes_the_same_book(scorecards):
    first = scorecards("demo", "--offline", "--accounts", "5", "--seed", "3")
    again = scorecards("demo", "--offline", "--accounts", "5", "--seed", "3")
    other = scorecards("demo", "--offline", "--accounts", "5", "--seed", "4")

    assert first.stdout == again.stdout
    assert first.stdout != other.stdout


@time_machine.travel(NOW, tick=False)
def test_the_written_book_scores_the_same_with_the_score_command(scorecards, tmp_path):
    folder = tmp_path / "book"

    demo = scorecards(
        "demo", "--offline", "--accounts", "8", "--write", folder, "--format", "json"
    )
    score = scorecards(
        "score",
        "--scorecard",
        folder / "default.yaml",
        "--scorecard",
        folder / "strategic.yaml",
        "--signals",
        folder / "signals.csv",
        "--contacts",
        folder / "contacts.csv",
        "--accounts",
        folder / "accounts.csv",
        "--as-of",
        NOW,
    )

    assert demo.status == 0
    assert f"wrote the demo book to {folder}/" in demo.stderr
    assert score.status == 0
    assert len(score.json()) == 8
    assert score.stdout == demo.stdout


def test_it_refuses_a_book_of_no_accounts(scorecards):
    run = scorecards("demo", "--offline", "--accounts", "0")

    assert run.status == 2
    assert run.stdout == ""
    assert "--accounts: must be at least 1" in run.stderr
