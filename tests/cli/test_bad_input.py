"""`scorecards score` refuses bad files whole: exit 2, every problem by its place."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml


def assert_refused(run, *problems):
    """Exit status 2, nothing on stdout, and each problem at the start of a line."""
    assert run.status == 2
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    for problem in problems:
        assert any(line.startswith(problem) for line in lines), run.stderr
    assert lines[-1].endswith("found; nothing was scored.")


# -- scorecard files -----------------------------------------------------------


def test_it_refuses_an_unknown_aggregate(book, scorecards):
    book.edit(book.strategic, "latest\n    window: 120d", "newest\n    window: 120d")

    run = scorecards(*book.score_args())

    assert_refused(
        run, f"{book.strategic}: criteria[0].aggregate: unknown aggregate 'newest'"
    )


def test_it_refuses_points_that_do_not_increase(book, scorecards):
    book.edit(
        book.strategic, "[[0, 0], [5, 40], [20, 80]", "[[0, 0], [20, 80], [5, 40]"
    )

    run = scorecards(*book.score_args())

    assert_refused(
        run,
        f"{book.strategic}: criteria[3].criteria[0].normalize.points[2]: "
        "x must be greater than the previous point's (20)",
    )


@pytest.mark.parametrize(
    ("old", "new", "place"),
    [
        ("weight: 20", "weight: 0", "criteria[1].weight"),
        (
            "weight: 25\n    criteria:",
            "weight: -25\n    criteria:",
            "criteria[3].weight",
        ),
    ],
)
def test_it_refuses_a_weight_that_is_not_positive(book, scorecards, old, new, place):
    book.edit(book.strategic, old, new)

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.strategic}: {place}: must be greater than 0")


def test_it_refuses_a_criterion_key_used_twice(book, scorecards):
    book.edit(book.strategic, "key: escalations", "key: usage")

    run = scorecards(*book.score_args())

    assert_refused(
        run,
        f"{book.strategic}: criteria[3].criteria[1].key: duplicate key 'usage', "
        "first used at criteria[3].criteria[0].key",
    )


def test_it_refuses_a_field_given_twice_in_a_yaml_scorecard(book, scorecards):
    book.edit(book.strategic, "    weight: 30\n", "    weight: 30\n    weight: 35\n")

    run = scorecards(*book.score_args())

    assert_refused(
        run,
        f"{book.strategic}: criteria[0].weight: is given more than once "
        "(again on line 14)",
    )


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("window: 120d", "window: 4 months", "criteria[0].window: '4 months'"),
        (
            "stale_after: 14d",
            "stale_after: 0d",
            "criteria[3].criteria[1].stale_after: '0d' must be longer than zero",
        ),
        (
            "half_life: 14d",
            "half_life: 14",
            "criteria[3].criteria[0].aggregate.decayed_mean.half_life: 14 is not",
        ),
    ],
)
def test_it_refuses_a_bad_duration(book, scorecards, old, new, problem):
    book.edit(book.strategic, old, new)

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.strategic}: {problem}")


def test_it_refuses_two_scorecards_with_the_same_key(book, scorecards):
    copy = book.folder / "strategic-copy.yaml"
    shutil.copy(book.strategic, copy)

    run = scorecards(*book.score_args("--scorecard", copy))

    assert_refused(run, f"{copy}: key 'strategic' is already used by {book.strategic}")


def test_it_refuses_a_json_scorecard_that_breaks_the_format(book, scorecards):
    card = yaml.safe_load(book.strategic.read_text())
    card["criteria"][1]["normalize"] = {"linear": [5, 5]}
    as_json = book.folder / "strategic.json"
    as_json.write_text(json.dumps(card, indent=2))

    run = scorecards(*book.score_args("--scorecard", as_json))

    assert_refused(
        run, f"{as_json}: criteria[1].normalize.linear: needs two different numbers"
    )


def test_it_names_the_line_of_a_field_given_twice_in_a_json_scorecard(book, scorecards):
    text = json.dumps(yaml.safe_load(book.strategic.read_text()), indent=2)
    text = text.replace('"weight": 30,', '"weight": 30,\n      "weight": 35,')
    line = text.splitlines().index('      "weight": 35,') + 1
    as_json = book.write("strategic.json", text)
    book.strategic.unlink()
    book.strategic = as_json

    run = scorecards(*book.score_args())

    assert_refused(run, f"{as_json}: ")
    [problem] = run.stderr.splitlines()[:-1]
    assert f"line {line}" in problem or "criteria[0]" in problem, problem


def test_a_field_given_twice_does_not_hide_the_other_problems(book, scorecards):
    book.edit(book.strategic, "    weight: 30\n", "    weight: 30\n    weight: 35\n")
    book.edit(book.strategic, "window: 90d", "window: 3 months")

    run = scorecards(*book.score_args())

    assert_refused(
        run,
        f"{book.strategic}: criteria[0].weight: is given more than once "
        "(again on line 14)",
        f"{book.strategic}: criteria[3].criteria[0].window: '3 months'",
    )


# -- CSV files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header", "column"),
    [
        ("signals", "account,metric,value,when,contact,source,id", "observed_at"),
        ("signals", "account,metric,amount,observed_at,contact,source,id", "value"),
        ("contacts", "account,contact,title,email", "role"),
    ],
)
def test_it_refuses_a_file_without_a_column(book, scorecards, name, header, column):
    path = getattr(book, name)
    old_header = path.read_text(encoding="utf-8").splitlines()[0]
    book.edit(path, old_header, header)

    run = scorecards(*book.score_args())

    assert_refused(run, f"{path}:1: missing column '{column}'")


@pytest.mark.parametrize("value", ["lots", "", "nan", "1e999"])
def test_it_refuses_a_value_that_is_not_a_number(book, scorecards, value):
    book.edit(book.signals, "acme,qbr_score,4,", f"acme,qbr_score,{value},")

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.signals}:3: column 'value': '{value}' is not a")


@pytest.mark.parametrize("moment", ["yesterday", "2026-11-31T10:00:00Z", "11/02/2026"])
def test_it_refuses_a_time_it_cannot_read(book, scorecards, moment):
    book.edit(book.signals, "2026-11-02T10:00:00Z", moment)

    run = scorecards(*book.score_args())

    assert_refused(
        run,
        f"{book.signals}:3: column 'observed_at': '{moment}' is not an ISO 8601 time",
    )


@pytest.mark.parametrize("moment", ["2026-11-02T10:00:00", "2026-11-02"])
def test_it_refuses_a_time_without_a_zone(book, scorecards, moment):
    book.edit(book.signals, "2026-11-02T10:00:00Z", moment)

    run = scorecards(*book.score_args())

    assert_refused(
        run, f"{book.signals}:3: column 'observed_at': '{moment}' has no time zone"
    )


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (",qbr_score,4,2026-11-02T10:00:00Z", "account"),
        ("acme, ,4,2026-11-02T10:00:00Z", "metric"),
    ],
)
def test_it_refuses_a_signal_without_an_account_or_a_metric(
    book, scorecards, row, column
):
    book.edit(book.signals, "acme,qbr_score,4,2026-11-02T10:00:00Z", row)

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.signals}:3: column '{column}': is empty")


def test_it_refuses_a_row_with_too_few_fields(book, scorecards):
    book.edit(book.signals, ",,qbr,acme-q2", ",qbr")

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.signals}:3: expected 7 fields, found 5")


def test_it_refuses_a_signal_for_an_account_the_accounts_file_lacks(book, scorecards):
    with book.signals.open("a", encoding="utf-8") as signals:
        signals.write("hooli,nps,9,2026-11-01T00:00:00Z,,survey,hooli-n1\n")

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.signals}:21: column 'account': unknown account 'hooli'")


def test_it_refuses_a_contact_for_an_account_the_accounts_file_lacks(book, scorecards):
    with book.contacts.open("a", encoding="utf-8") as contacts:
        contacts.write("hooli,h1,champion,\n")

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.contacts}:8: column 'account': unknown account 'hooli'")


def test_it_refuses_an_account_listed_twice(book, scorecards):
    with book.accounts.open("a", encoding="utf-8") as accounts:
        accounts.write("acme,Acme Again,smb,csm-2\n")

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.accounts}:5: ")
    assert "account 'acme' is listed twice (first on line 3)" in run.stderr


def test_a_broken_accounts_file_is_not_blamed_on_every_signal(book, scorecards):
    book.edit(book.accounts, "account,name", "acct,name")

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.accounts}:1: missing column 'account'")
    assert "unknown account" not in run.stderr


def test_it_names_the_line_of_a_byte_that_is_not_utf8(book, scorecards):
    raw = book.signals.read_bytes().replace(b"acme,nps,6,", b"acme,nps,\xff6,")
    book.signals.write_bytes(raw)

    run = scorecards(*book.score_args())

    assert_refused(run, f"{book.signals}:8: ")


# -- files that cannot be read, and the as-of time -----------------------------


@pytest.mark.parametrize("option", ["--scorecard", "--signals", "--contacts"])
def test_it_refuses_a_file_that_is_not_there(book, scorecards, option):
    nowhere = book.folder / "nowhere.csv"
    argv = book.score_args()
    argv[argv.index(option) + 1] = str(nowhere)

    run = scorecards(*argv)

    assert_refused(run, f"{nowhere}: cannot read the file: No such file or directory")


@pytest.mark.parametrize("option", ["--scorecard", "--accounts"])
def test_it_refuses_a_file_it_cannot_read(book, scorecards, option):
    argv = book.score_args()
    argv[argv.index(option) + 1] = str(book.folder)

    run = scorecards(*argv)

    assert_refused(run, f"{book.folder}: cannot read the file: Is a directory")


@pytest.mark.parametrize(
    ("moment", "problem"),
    [
        ("tomorrow", "'tomorrow' is not an ISO 8601 time"),
        ("2026-12-01T00:00:00", "'2026-12-01T00:00:00' has no time zone"),
    ],
)
def test_it_refuses_a_bad_as_of_time(book, scorecards, moment, problem):
    run = scorecards(*book.score_args(as_of=moment))

    assert_refused(run, f"--as-of: {problem}")


# -- all at once ---------------------------------------------------------------


def test_it_reports_every_problem_in_every_file_at_once(book, scorecards):
    book.edit(book.strategic, "weight: 20", "weight: 0")
    book.edit(book.strategic, "window: 120d", "window: 4 months")
    book.edit(book.default, "window: 60d", "window: 60")
    with book.accounts.open("a", encoding="utf-8") as accounts:
        accounts.write("acme,Acme Again,smb,csm-2\n")
    with book.contacts.open("a", encoding="utf-8") as contacts:
        contacts.write("hooli,h1,champion,\n")
    book.edit(book.signals, "acme,qbr_score,4,", "acme,qbr_score,four,")
    book.edit(book.signals, "2026-10-20T00:00:00Z", "2026-10-20T00:00:00")

    run = scorecards(*book.score_args(as_of="soon"))

    problems = [
        f"{book.strategic}: criteria[0].window: '4 months'",
        f"{book.strategic}: criteria[1].weight: must be greater than 0",
        f"{book.default}: criteria[1].window: 60 is not a duration",
        "--as-of: 'soon' is not an ISO 8601 time",
        f"{book.accounts}:5: ",
        f"{book.contacts}:8: column 'account': unknown account 'hooli'",
        f"{book.signals}:3: column 'value': 'four' is not a number",
        f"{book.signals}:9: column 'observed_at': '2026-10-20T00:00:00' has no time",
    ]
    assert_refused(run, *problems)
    assert run.stderr.splitlines()[-1] == "8 problems found; nothing was scored."


def test_it_writes_no_output_file_when_it_refuses(book, scorecards):
    book.edit(book.signals, "acme,qbr_score,4,", "acme,qbr_score,four,")
    output = book.folder / "scores.json"

    run = scorecards(*book.score_args("--output", output))

    assert_refused(run, f"{book.signals}:3: column 'value'")
    assert not output.exists()


def test_the_installed_command_exits_with_status_2(book):
    book.edit(book.signals, "2026-11-02T10:00:00Z", "2026-11-02T10:00:00")
    command = Path(sys.executable).with_name("scorecards")

    done = subprocess.run(
        [command, *book.score_args()],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(
        f"{book.signals}:3: column 'observed_at': '2026-11-02T10:00:00' has no time"
    )


def test_it_refuses_numbers_and_times_no_metric_could_mean(book, scorecards):
    book.edit(book.signals, "acme,qbr_score,4,", "acme,qbr_score,1e300,")
    book.edit(book.signals, "2026-10-20T00:00:00Z", "0001-01-01T00:00:00+01:00")

    run = scorecards(*book.score_args())

    assert_refused(
        run,
        f"{book.signals}:3: column 'value': 1e+300 is out of range",
        f"{book.signals}:9: column 'observed_at': '0001-01-01T00:00:00+01:00' is out",
    )
