"""`scorecards import`: what a user types, sees, and gets back after a crash."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts
from scorecards.imports.models import ImportRun, ImportStatus
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore
from scorecards.scoring.publish import publish
from scorecards.testing.database import database_url

pytestmark = pytest.mark.django_db

SIGNALS = """\
ACCOUNT,METRIC,VALUE,OBSERVED_AT
acme,nps,10,2026-11-30T10:00:00Z
globex,nps,7,2026-11-30T10:00:00Z
"""


def test_an_import_says_what_it_did_and_moves_the_scores(cast, scorecards, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_text(SIGNALS)

    run = scorecards("import", "signals", str(path))

    assert run.status == 0, run.stderr
    assert f"Imported 2 signals from {path}: 2 new, 0 already stored." in run.stdout
    assert "Re-scored 2 accounts." in run.stdout
    assert AccountScore.objects.get(account__key="acme").total == 100
    assert AccountScore.objects.get(account__key="globex").total == 70
    record = ImportRun.objects.get()
    assert (record.status, record.kind, record.requested_by) == (
        ImportStatus.DONE,
        "signals",
        "command line",
    )
    assert record.report["created"] == 2

    again = scorecards("import", "signals", str(path))
    assert "0 new, 2 already stored." in again.stdout


def test_bad_rows_are_listed_and_nothing_imported(cast, scorecards, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_text(SIGNALS + "hooli,nps,7,2026-11-30T10:00:00Z\nacme,nps,x,\n")
    before = Signal.objects.count()

    run = scorecards("import", "signals", str(path))

    assert run.status == 2
    assert "Nothing imported: 2 of 4 rows are bad" in run.stdout
    problems = [line for line in run.stderr.splitlines() if line.startswith(str(path))]
    assert problems == [
        f"{path}:4: column 'ACCOUNT': unknown account 'hooli'",
        f"{path}:5: column 'VALUE': 'x' is not a number",
        f"{path}:5: column 'OBSERVED_AT': is empty",
    ]
    assert Signal.objects.count() == before
    assert ImportRun.objects.get().status == ImportStatus.REFUSED


def test_skip_bad_reports_where_the_rejects_went(cast, scorecards, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_text(SIGNALS + "hooli,nps,7,2026-11-30T10:00:00Z\n")
    rejects = tmp_path / "out" / "bad.csv"
    rejects.parent.mkdir()

    run = scorecards(
        "import", "signals", str(path), "--skip-bad", "--rejects", str(rejects)
    )

    assert run.status == 0
    assert "1 bad rows skipped." in run.stdout
    assert f"Rejected rows: {rejects} (why: {rejects.with_suffix('.txt')})" in (
        run.stdout
    )
    assert rejects.read_text().splitlines()[1] == "hooli,nps,7,2026-11-30T10:00:00Z"
    assert Signal.objects.filter(observed_at__day=30).count() == 2


def test_a_dry_run_writes_nothing(cast, scorecards, tmp_path):
    path = tmp_path / "nps.csv"
    path.write_text(SIGNALS)

    run = scorecards("import", "signals", str(path), "--dry-run", "--json")

    assert run.status == 0
    report = json.loads(run.stdout)
    assert (report["dry_run"], report["created"], report["written"]) == (
        True,
        2,
        False,
    )
    assert Signal.objects.filter(metric="nps").count() == 2  # the cast's own


def test_a_mapped_crm_export_of_accounts_imports_as_it_is(cast, scorecards, tmp_path):
    path = tmp_path / "Account.csv"
    path.write_text(
        '"ID","NAME","TYPE","ANNUALREVENUE","OWNER_EMAIL"\n'
        '"0015g00000AbCdE","Acme Corp","strategic","250000","csm-1@example.com"\n'
    )

    run = scorecards(
        "import", "accounts", str(path),
        "--map", "account=ID", "--map", "segment=TYPE",
        "--map", "arr=ANNUALREVENUE", "--map", "csm=OWNER_EMAIL",
    )  # fmt: skip

    assert run.status == 0, run.stderr
    account = Account.objects.get(key="0015g00000AbCdE")
    assert (account.name, account.segment, account.csm, int(account.arr)) == (
        "Acme Corp",
        "strategic",
        "csm-1@example.com",
        250000,
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--map", "account"], "--map: 'account' is not COLUMN=HEADER"),
        (["--batch-size", "0"], "--batch-size: must be at least 1"),
        (["--source", " "], "--source: must be 1 to 100 characters"),
    ],
)
def test_bad_options_are_named(cast, scorecards, tmp_path, argv, message):
    path = tmp_path / "nps.csv"
    path.write_text(SIGNALS)

    run = scorecards("import", "signals", str(path), *argv)

    assert run.status == 2
    assert f"scorecards import: {message}" in run.stderr.splitlines()


def test_a_missing_file_is_named(cast, scorecards, tmp_path):
    run = scorecards("import", "signals", str(tmp_path / "nowhere.csv"))

    assert run.status == 2
    assert "nowhere.csv: no such file" in run.stderr


ROWS = 30_000
ACCOUNTS = 40


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_halfway_and_run_again_ends_with_every_row_once(tmp_path):
    """A real process, SIGKILLed between two batches' commits, then run again."""
    now = datetime.now(UTC)
    publish(
        source="key: default\ncriteria:\n  - {key: usage, metric: usage, weight: 1, "
        "aggregate: latest, normalize: {linear: [0, 100000]}}\n",
        format="yaml",
        author="setup",
        now=now,
    )
    upsert_accounts([{"key": f"a{n}"} for n in range(ACCOUNTS)], now=now)
    path = tmp_path / "usage.csv"
    start = now - timedelta(days=5)
    with path.open("w") as handle:
        handle.write("account,metric,value,observed_at\n")
        for n in range(ROWS):
            moment = (start + timedelta(seconds=n)).isoformat()
            handle.write(f"a{n % ACCOUNTS},usage,{n},{moment}\n")

    env = {
        "PATH": os.environ.get("PATH", ""),
        "SCORECARDS_DEBUG": "true",
        "SCORECARDS_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
    }
    argv = [sys.executable, "-m", "scorecards.cli.main", "import", "signals"]
    process = subprocess.Popen(
        [*argv, str(path), "--batch-size", "100"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(6000):  # up to a minute
            stored = Signal.objects.count()
            if stored > 0 or process.poll() is not None:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    killed_at = Signal.objects.count()
    assert 0 < killed_at < ROWS, "the import was not stopped halfway"

    again = subprocess.run(
        [*argv, str(path)], env=env, capture_output=True, text=True, timeout=300
    )

    assert again.returncode == 0, again.stderr
    assert f"{ROWS - killed_at:,} new, {killed_at:,} already stored" in again.stdout
    assert Signal.objects.count() == ROWS
    assert sorted(Signal.objects.values_list("value", flat=True)) == list(range(ROWS))
    # Every account scored from its latest row, including those whose rows were
    # all stored by the run that was killed.
    latest = {f"a{n % ACCOUNTS}": n for n in range(ROWS)}
    scores = dict(AccountScore.objects.values_list("account__key", "criteria"))
    assert {key: criteria[0]["raw"] for key, criteria in scores.items()} == latest


def test_the_progress_bar_shows_on_a_terminal_only(capsys):
    from scorecards.cli.importing import ProgressBar

    with ProgressBar(enabled=True) as bar:
        bar.update("checking", 500, 1000)
        bar.update("importing", 1000, 1000)
    shown = capsys.readouterr().err
    with ProgressBar(enabled=False) as quiet:
        quiet.update("importing", 1000, 1000)

    assert "checking" in shown
    assert "importing" in shown
    assert "100%" in shown
    assert capsys.readouterr().err == ""
