"""SIGKILL in the middle of the work: the server during a large batch, the worker
during a long CSV import. After a restart and a retry the data are exactly the
input, once, and the scores are the engine's.

The server is killed while its batch's transaction is open: on PostgreSQL the
batch waits there on a row the test holds; on SQLite the test kills it as soon
as it sees the server holding the file's write lock.
"""

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from reliability_helpers import (
    ACCOUNTS,
    SETUP_AT,
    assert_scores_match_offline,
    on_postgres,
)

from scorecards.accounts.models import Account
from scorecards.api.tokens import create_token
from scorecards.imports.models import ImportRun
from scorecards.imports.runs import SILENCE, mark_interrupted
from scorecards.ingest.models import Signal
from scorecards.testing.database import database_url
from scorecards.testing.liveserver import (
    Answer,
    LiveServer,
    kill_group,
    start_server,
    start_worker,
    wait_for,
)

# The server writes from its own process: the test must see its commits.
pytestmark = [pytest.mark.usefixtures("book"), pytest.mark.django_db(transaction=True)]

START = datetime(2026, 10, 1, tzinfo=UTC)


def large_batch(size: int) -> list[dict[str, object]]:
    return [
        {"account": ACCOUNTS[n % len(ACCOUNTS)], "metric": "usage",
         "value": float(n % 1000), "id": f"big-{n}",
         "observed_at": (START + timedelta(seconds=n)).isoformat()}
        for n in range(size)
    ]  # fmt: skip


def new_server(data_dir: Path) -> LiveServer:
    server = start_server(database_url=database_url(), data_dir=data_dir, workers=1)
    server.token = token()
    return server


def token() -> str:
    name = f"crash-{time.monotonic_ns()}"
    return create_token(name=name, now=SETUP_AT)[1]


def waiting_on_a_lock(url: str) -> bool:
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    with psycopg.connect(url, autocommit=True) as probe:
        row = probe.execute(query).fetchone()
    return bool(row and row[0])


def test_a_server_killed_during_a_batch_stores_all_of_it_once_after_the_retry(
    data_dir: Path, request: pytest.FixtureRequest
) -> None:
    # On SQLite the batch must keep the lock long enough to be caught holding
    # it; on PostgreSQL it waits on the test's row lock whatever its size.
    batch = large_batch(2_000 if on_postgres(request) else 5_000)
    server = new_server(data_dir)
    # The token's first use is a write of its own, which must not be mistaken
    # for the batch's.
    assert server.call("GET", "/api/v1/accounts").status == 200
    answers: list[Answer | OSError] = []

    def post() -> None:
        try:
            answers.append(server.call("POST", "/api/v1/signals", {"signals": batch}))
        except OSError as error:  # the connection dies with the server
            answers.append(error)

    thread = threading.Thread(target=post)
    try:
        if on_postgres(request):
            killed_mid_transaction(server, thread)
        else:
            thread.start()
            wait_for(writing, seconds=30, what="the batch's transaction")
            server.kill()
        thread.join(timeout=30)
    finally:
        server.kill()

    [cut_off] = answers
    assert isinstance(cut_off, OSError), cut_off
    # Killed inside the batch's transaction: none of it was committed.
    assert Signal.objects.count() == 0

    restarted = new_server(data_dir)
    try:
        again = restarted.call("POST", "/api/v1/signals", {"signals": batch})
    finally:
        restarted.stop()

    assert again.status == 200, again.body
    stored = sorted(Signal.objects.values_list("external_id", flat=True))
    assert stored == sorted(item["id"] for item in batch)
    assert_scores_match_offline()


def writing() -> bool:
    """Whether another process holds the SQLite file's write lock now."""
    probe = sqlite3.connect(database_url().removeprefix("sqlite:///"), timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()
    return False


def killed_mid_transaction(server: LiveServer, thread: threading.Thread) -> None:
    """Hold the score row of the batch's first account: the batch stores its
    signals, then waits for the row, inside its transaction, and dies there."""
    url = database_url()
    first = Account.objects.get(key=ACCOUNTS[0])
    with psycopg.connect(url) as blocker:
        blocker.execute(
            "SELECT 1 FROM scoring_accountscore WHERE account_id = %s FOR UPDATE",
            (first.pk,),
        )
        thread.start()
        wait_for(lambda: waiting_on_a_lock(url), seconds=30, what="the batch waiting")
        server.kill()
        blocker.rollback()
    # The killed backend's transaction is rolled back once PostgreSQL notices.
    time.sleep(0.5)


ROWS = 12_000  # three of the import's batches of 5,000


def write_csv(path: Path) -> None:
    with path.open("w") as handle:
        handle.write("account,metric,value,observed_at\n")
        for n in range(ROWS):
            moment = (START + timedelta(seconds=n)).isoformat()
            handle.write(f"{ACCOUNTS[n % len(ACCOUNTS)]},usage,{n % 997},{moment}\n")


def test_a_worker_killed_during_an_import_leaves_every_row_once_after_sending_again(
    service: LiveServer, data_dir: Path
) -> None:
    path = data_dir / "usage.csv"
    write_csv(path)
    upload = path.read_bytes()
    headers = {"Content-Type": "text/csv", "X-File-Name": "usage.csv"}

    queued = service.call("POST", "/api/v1/signals/import", upload, headers=headers)
    assert queued.status == 202, queued.body
    worker = start_worker(database_url=database_url(), data_dir=service.log.parent)
    try:
        wait_for(
            lambda: Signal.objects.exists() or worker.poll() is not None,
            seconds=60,
            what="the import storing its first rows",
        )
    finally:
        kill_group(worker)
    killed_at = Signal.objects.count()
    assert 0 < killed_at < ROWS, "the import was not stopped halfway"
    # Once silent long enough, the scheduler marks the killed run failed.
    killed_run = queued.json()["id"]
    assert ImportRun.objects.get(pk=killed_run).status == "running"
    assert mark_interrupted(now=datetime.now(UTC) + SILENCE * 2) == 1
    assert ImportRun.objects.get(pk=killed_run).status == "failed"

    again = service.call("POST", "/api/v1/signals/import", upload, headers=headers)
    assert again.status == 202, again.body
    worker = start_worker(database_url=database_url(), data_dir=service.log.parent)
    run_id = again.json()["id"]
    try:
        wait_for(
            lambda: ImportRun.objects.get(pk=run_id).status == "done",
            seconds=120,
            what="the import sent again finishing",
        )
    finally:
        kill_group(worker)

    report = ImportRun.objects.get(pk=run_id).report
    assert (report["created"], report["duplicates"]) == (ROWS - killed_at, killed_at)
    assert Signal.objects.count() == ROWS
    rows = Signal.objects.order_by("observed_at").values_list("value", flat=True)
    assert list(rows) == [float(n % 997) for n in range(ROWS)]
    assert_scores_match_offline()
