"""`scorecards import outcomes FILE.csv`: as the other imports, every bad row named
by line and column, nothing written unless all are good or --skip-bad is given,
and a file imported twice counts once."""

import pytest
from django_tasks_db.models import DBTaskResult

from scorecards.cli.main import main
from scorecards.imports.runs import run_queued_import
from scorecards.outcomes.models import Outcome

pytestmark = pytest.mark.django_db

GOOD = """\
Account,Outcome,Decided_At
acc-000,renewal,2026-04-30
acc-001,Churn,2026-04-30T10:00:00Z
acc-002,downgrade,2026-05-31
"""
BAD = """\
account,outcome,decided_at
acc-003,renewal,2026-04-30
acc-004,renewed,2026-04-30
nobody,churn,2026-04-30
acc-005,churn,30/04/2026
acc-003,churn,2026-04-30
"""


def run(capsys, *argv):
    capsys.readouterr()
    status = main(["import", "outcomes", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_an_import_of_outcomes_says_what_it_did(book, tmp_path, capsys):
    path = tmp_path / "outcomes.csv"
    path.write_text(GOOD)

    status, out, err = run(capsys, str(path))
    again = run(capsys, str(path))

    assert status == 0, err
    assert f"Imported 3 outcomes from {path}: 3 new, 0 updated, 0 already stored." in (
        out
    )
    assert "0 new, 0 updated, 3 already stored." in again[1]
    stored = dict(Outcome.objects.values_list("account__key", "kind"))
    assert stored == {"acc-000": "renewal", "acc-001": "churn", "acc-002": "downgrade"}
    assert set(Outcome.objects.values_list("source", flat=True)) == {"csv"}


def test_bad_rows_are_named_and_nothing_is_imported(book, tmp_path, capsys):
    path = tmp_path / "outcomes.csv"
    path.write_text(BAD)

    status, out, err = run(capsys, str(path))

    assert status == 2
    assert "Nothing imported: 4 of 5 rows are bad" in out
    assert [line for line in err.splitlines() if line.startswith(f"{path}:")] == [
        f"{path}:3: column 'outcome': 'renewed' is not one of renewal, churn, "
        "downgrade, expansion",
        f"{path}:4: column 'account': unknown account 'nobody'",
        f"{path}:5: column 'decided_at': '30/04/2026' is not a date (YYYY-MM-DD)",
        f"{path}:6: column 'decided_at': an outcome of account 'acc-003' at this "
        "time is listed twice (first on line 2)",
    ]
    assert not Outcome.objects.exists()


def test_skip_bad_imports_the_good_rows(book, tmp_path, capsys):
    path = tmp_path / "outcomes.csv"
    path.write_text(BAD)

    status, _, err = run(capsys, str(path), "--skip-bad", "--source", "crm")

    assert status == 0, err
    assert list(Outcome.objects.values_list("account__key", "kind", "source")) == [
        ("acc-003", "renewal", "crm")
    ]
    assert (tmp_path / "outcomes.rejects.csv").read_text().count("\n") == 5


def test_a_file_of_outcomes_can_be_uploaded_through_the_api(book, integrator):
    answer = integrator.client.post(
        "/api/v1/outcomes/import",
        GOOD.encode(),
        content_type="text/csv",
        headers=integrator.headers(),
    )

    assert answer.status_code == 202, answer.content
    queued = DBTaskResult.objects.get(task_path__endswith="run_queued_import")
    run_queued_import.call(*queued.args_kwargs["args"])
    assert Outcome.objects.count() == 3
    run = integrator.get(f"/imports/{answer.json()['id']}").json()
    assert (run["status"], run["report"]["created"]) == ("done", 3)
