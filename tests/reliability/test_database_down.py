"""The database goes away under a running server: 503 with Retry-After, nothing
written by halves, and service again without a restart once it is back.

On PostgreSQL the server reaches the database through a TCP proxy the test
cuts, as a failover or a restart of the database does; the cut lands in the
middle of a batch's transaction. On SQLite the database stays locked by another
writer past the server's timeout.
"""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from reliability_helpers import SETUP_AT, on_postgres

from scorecards.accounts.models import Account
from scorecards.api.tokens import create_token
from scorecards.ingest.models import Signal
from scorecards.testing.database import database_url
from scorecards.testing.liveserver import (
    Answer,
    LiveServer,
    Proxy,
    start_server,
    wait_for,
)

# The server writes from its own process: the test must see its commits.
pytestmark = pytest.mark.django_db(transaction=True)

BATCH = [
    {"account": "acc-01", "metric": "usage", "value": float(n),
     "observed_at": f"2026-11-20T10:{n:02d}:00Z", "id": f"usage-{n}"}
    for n in range(40)
]  # fmt: skip
UNAVAILABLE = "the database is not available right now; try again shortly"


def through(proxy: Proxy, url: str) -> str:
    parts = urlsplit(url)
    login = parts.netloc.rpartition("@")[0]
    netloc = f"{login}@127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc, query="connect_timeout=2"))


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    parts = urlsplit(database_url())
    proxy = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    yield proxy
    proxy.close()


@pytest.fixture
def server(
    book: list[str], data_dir: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    if on_postgres(request):
        proxy = request.getfixturevalue("proxy")
        url = through(proxy, database_url())
    else:
        url = database_url() + "?timeout=1"
    server = start_server(database_url=url, data_dir=data_dir, workers=1)
    _, server.token = create_token(name="reliability", now=SETUP_AT)
    yield server
    server.stop()


def assert_unavailable(answer: Answer) -> None:
    assert answer.status == 503, answer.body
    assert answer.headers["Content-Type"] == "application/json"
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json() == {"errors": [{"message": UNAVAILABLE}]}


def post_in_background(server: LiveServer) -> tuple[threading.Thread, list[Answer]]:
    answers: list[Answer] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            server.call("POST", "/api/v1/signals", {"signals": BATCH})
        )
    )
    thread.start()
    return thread, answers


def waiting_on_a_lock(url: str) -> bool:
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE '%%scoring_accountscore%%'"
    )
    with psycopg.connect(url, autocommit=True) as probe:
        row = probe.execute(query).fetchone()
    return bool(row and row[0])


@pytest.mark.postgres_only
def test_a_batch_cut_off_halfway_stores_nothing_and_the_retry_stores_it_once(
    server: LiveServer, request: pytest.FixtureRequest
) -> None:
    proxy: Proxy = request.getfixturevalue("proxy")
    url = database_url()
    account = Account.objects.get(key="acc-01")

    # Hold the account's score row: the batch stores its signals, then waits
    # to write the new score, inside its transaction, until the cut.
    with psycopg.connect(url) as blocker:
        blocker.execute(
            "SELECT 1 FROM scoring_accountscore WHERE account_id = %s FOR UPDATE",
            (account.pk,),
        )
        thread, answers = post_in_background(server)
        wait_for(lambda: waiting_on_a_lock(url), seconds=20, what="the batch waiting")
        proxy.cut()
        thread.join(timeout=30)
        blocker.rollback()

    [answer] = answers
    assert_unavailable(answer)
    # The server's transaction never committed; its backend rolls it back.
    time.sleep(0.5)
    assert Signal.objects.count() == 0

    proxy.mend()
    retried = server.call("POST", "/api/v1/signals", {"signals": BATCH})

    assert retried.status == 200, retried.body
    assert retried.json() == {"accepted": 40, "duplicates": 0, "rescored": 1}
    assert Signal.objects.count() == 40


def test_while_the_database_is_away_calls_get_503_then_it_recovers_alone(
    server: LiveServer, request: pytest.FixtureRequest
) -> None:
    assert server.call("GET", "/api/v1/accounts/acc-01").status == 200

    with database_away(request):
        posted = server.call("POST", "/api/v1/signals", {"signals": BATCH})
        read = server.call("GET", "/api/v1/accounts/acc-01")
        stranger = server.call("GET", "/api/v1/accounts", token="sc_made-up")
        health = server.call("GET", "/healthz")
        page = server.call("GET", "/r/a-survey-link", headers={"Accept": "text/html"})

    assert_unavailable(posted)
    assert Signal.objects.count() == 0
    if on_postgres(request):
        assert_unavailable(read)
        # Checking a token needs the database too: 503, not a misleading 401.
        assert_unavailable(stranger)
        assert health.status == 503
        # A person following a survey link gets a page that says so.
        assert page.status == 503
        assert page.headers["Retry-After"] == "5"
        assert b"Try again in a few seconds" in page.body
    else:
        # SQLite in WAL mode lets readers carry on while another process
        # holds the write lock: only writes wait, and then give up.
        assert (read.status, stranger.status, health.status) == (200, 401, 200)
        assert page.status == 404

    # No restart: the next calls find the database again by themselves.
    wait_for(
        lambda: server.call("GET", "/api/v1/accounts/acc-01").status == 200,
        seconds=20,
        what="the API answering again",
    )
    again = server.call("POST", "/api/v1/signals", {"signals": BATCH})
    assert again.status == 200, again.body
    assert again.json()["accepted"] == 40
    log = server.log.read_text()
    assert "database unavailable" in log
    assert "Traceback" not in log


@contextmanager
def database_away(request: pytest.FixtureRequest) -> Iterator[None]:
    """Within the block the server cannot use its database."""
    if on_postgres(request):
        proxy: Proxy = request.getfixturevalue("proxy")
        proxy.cut()
        try:
            yield
        finally:
            proxy.mend()
        return

    # Another writer holds the file's write lock past the server's timeout.
    lock = sqlite3.connect(database_url().removeprefix("sqlite:///"))
    lock.isolation_level = None
    lock.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        lock.execute("ROLLBACK")
        lock.close()
