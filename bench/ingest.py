"""Benchmark: signals per second through POST /api/v1/signals into PostgreSQL.

Runs the real server (`scorecards serve`, gunicorn) against a throwaway
PostgreSQL cluster, loads a generated book through the API, then posts its
signals in batches of 1,000 from two client threads, live re-scoring included.
In the same run it COPYs the same rows into a bare copy of the signal table,
one transaction per 1,000 rows, as the floor to compare with. Last, it checks
freshness: small POSTs, each followed at once by a read of the account, whose
score must already reflect the new signal.

    .venv/bin/python bench/ingest.py            # 2,000 accounts, ~200k signals
    BENCH_SCALE=full .venv/bin/python bench/ingest.py   # 10,000 accounts, ~1M

Two orders of arrival are measured, because re-scoring cost follows the number
of accounts a batch touches: "by account" (an export or backfill: a batch
touches ~10 accounts) and "live feed" (signals in time order: a batch touches
up to 1,000 accounts).
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from scorecards.demo.bundled import bundled_scorecards
from scorecards.demo.generate import make_accounts, signals
from scorecards.testing.cluster import free_port, start_cluster

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOW = datetime.now(UTC).replace(microsecond=0)
BATCH = 1000
CLIENTS = 2
# Other clients' signals per second while freshness is measured.
BACKGROUND_RATE = 2000


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }
        self.local = threading.local()

    def call(self, method: str, path: str, body: bytes | None = None) -> Any:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.local.connection = connection
        connection.request(method, f"/api/v1{path}", body=body, headers=self.headers)
        response = connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:500]!r}")
        return json.loads(data) if data else None


def scorecards(*args: str, env: dict[str, str]) -> str:
    run = subprocess.run(
        [str(BIN / "scorecards"), *args], env=env, capture_output=True, text=True
    )
    if run.returncode != 0:
        raise RuntimeError(f"scorecards {' '.join(args)}: {run.stderr}")
    return run.stdout.strip()


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def book_rows(accounts: int) -> tuple[list[Any], list[dict[str, Any]]]:
    book = make_accounts(accounts, seed=5, end=NOW)
    rows = [
        signal._asdict()
        for account in book
        for signal in signals(account, days=365, end=NOW, seed=5)
    ]
    for row in rows:
        row["observed_at"] = row["observed_at"].isoformat()
    return book, rows


def load_book(api: Api, book: list[Any]) -> None:
    for path in bundled_scorecards():
        body = path.read_bytes()
        api.headers["Content-Type"] = "application/yaml"
        api.call("PUT", f"/scorecards/{path.stem}", body)
    api.headers["Content-Type"] = "application/json"

    for start in range(0, len(book), 1000):
        chunk = book[start : start + 1000]
        accounts = [
            {"key": a.key, "name": a.name, "segment": a.segment, "csm": a.csm}
            for a in chunk
        ]
        api.call("POST", "/accounts", json.dumps({"accounts": accounts}).encode())
        contacts = [
            {"account": a.key, "key": c.key, "role": c.role}
            for a in chunk
            for c in a.contacts
        ]
        api.call("POST", "/contacts", json.dumps({"contacts": contacts}).encode())


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """CPU time (user and system) used so far by process ``root`` and every
    live process below it, from /proc."""
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


@dataclass
class Run:
    """A phase of posting: how many signals, how long, and the CPU seconds the
    server's processes and the database's used meanwhile."""

    label: str
    signals: int
    seconds: float
    server_cpu: float
    database_cpu: float


def measured(label: str, signals: int, post: Any, server: int, database: int) -> Run:
    before = cpu_seconds(server), cpu_seconds(database)
    seconds = post()
    after = cpu_seconds(server), cpu_seconds(database)
    return Run(label, signals, seconds, after[0] - before[0], after[1] - before[1])


def post_all(api: Api, rows: list[dict[str, Any]]) -> float:
    """Seconds to post every row in batches, from CLIENTS threads."""
    bodies = [
        json.dumps({"signals": rows[i : i + BATCH]}).encode()
        for i in range(0, len(rows), BATCH)
    ]
    queue = list(reversed(bodies))
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            api.call("POST", "/signals", body)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def copy_baseline(url: str, rows: list[dict[str, Any]]) -> float:
    """Seconds to COPY the same rows into a bare copy of the signal table."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS copy_baseline")
        connection.execute(
            "CREATE TABLE copy_baseline (LIKE ingest_signal INCLUDING ALL)"
        )
        ids = dict(
            connection.execute("SELECT key, id FROM accounts_account").fetchall()
        )
        columns = (
            "account_id, metric, value, observed_at, received_at, source, external_id"
        )
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with connection.transaction(), connection.cursor() as cursor:
                copy_sql = f"COPY copy_baseline ({columns}) FROM STDIN"
                with cursor.copy(copy_sql) as copy:
                    for row in rows[i : i + BATCH]:
                        copy.write_row(
                            (ids[row["account"]], row["metric"], row["value"],
                             row["observed_at"], NOW, row["source"], row["id"])
                        )  # fmt: skip
        return time.perf_counter() - started


class BackgroundLoad(threading.Thread):
    """Posts ``rows`` again, under another source, at BACKGROUND_RATE signals
    a second in batches of BATCH, until stopped: the other clients of a busy
    service while freshness is measured."""

    def __init__(self, api: Api, rows: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.bodies = [
            json.dumps(
                {"signals": [{**row, "source": "background"}
                             for row in rows[i : i + BATCH]]}
            ).encode()
            for i in range(0, len(rows), BATCH)
        ]  # fmt: skip
        self.halt = threading.Event()
        self.sent = 0
        self.seconds = 0.0

    def run(self) -> None:
        started = time.perf_counter()
        for n, body in enumerate(self.bodies):
            if self.halt.is_set():
                break
            self.api.call("POST", "/signals", body)
            self.sent += BATCH
            pause = started + (n + 1) * BATCH / BACKGROUND_RATE - time.perf_counter()
            if pause > 0:
                self.halt.wait(pause)
        self.seconds = time.perf_counter() - started

    def stop(self) -> float:
        """Stop; returns the rate it kept up."""
        self.halt.set()
        self.join()
        return self.sent / self.seconds if self.seconds else 0.0


def freshness(api: Api, book: list[Any], count: int = 100) -> tuple[list[float], int]:
    """POST latencies of small batches, and how many reads right after were stale."""
    latencies, stale = [], 0
    for n in range(count):
        account = book[(n * 7919) % len(book)]
        escalation = {
            "account": account.key,
            "metric": "open_escalations",
            "value": n % 4,
            "observed_at": NOW.isoformat(),
            "id": f"fresh-{n}",
            "source": "bench",
        }
        usage = [
            {
                **escalation,
                "metric": "weekly_active_users",
                "value": k,
                "id": f"u{n}-{k}",
            }
            for k in range(99)
        ]
        body = json.dumps({"signals": [*usage, escalation]}).encode()
        started = time.perf_counter()
        api.call("POST", "/signals", body)
        latencies.append(time.perf_counter() - started)
        shown = api.call("GET", f"/accounts/{account.key}")
        escalations = [c for c in shown["criteria"] if c["key"] == "escalations"]
        if escalations and escalations[0]["raw"] != n % 4:
            stale += 1
    return latencies, stale


def main() -> None:
    full = os.environ.get("BENCH_SCALE") == "full"
    accounts = 10_000 if full else 2_000
    cluster = start_cluster()
    server = None
    try:
        base = cluster.url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE scorecards")
        url = f"{base}/scorecards"
        data_dir = tempfile.mkdtemp(prefix="scorecards-bench-")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SCORECARDS_DATA_DIR": data_dir,
            "SCORECARDS_SECRET_KEY": "bench-" + "x" * 40,
            "SCORECARDS_SECURE_SSL_REDIRECT": "false",
            "SCORECARDS_ALLOWED_HOSTS": "127.0.0.1",
            "SCORECARDS_LOG_LEVEL": "WARNING",
        }
        scorecards("migrate", env=env)
        token = scorecards("token", "create", "--name", "bench", env=env)
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "scorecards"), "serve", "--port", str(port), "--workers", "3",
             "--no-with-worker"], env=env,
        )  # fmt: skip
        wait_for(port)
        api = Api(port, token)

        book, rows = book_rows(accounts)
        load_book(api, book)
        half = len(rows) // 2
        by_account = rows[:half]
        live = sorted(rows[half:], key=lambda row: row["observed_at"])

        postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        results = []
        for label, part in (("by account", by_account), ("live feed", live)):
            results.append(
                measured(
                    label,
                    len(part),
                    lambda part=part: post_all(api, part),
                    server.pid,
                    postmaster,
                )
            )
        copy_seconds = copy_baseline(url, rows)
        load = BackgroundLoad(api, live)
        load.start()
        latencies, stale = freshness(api, book)
        background = load.stop()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        cluster.stop()

    report(accounts, len(rows), results, copy_seconds, latencies, stale, background)


def report(
    accounts: int,
    total: int,
    results: list[Run],
    copy_seconds: float,
    latencies: list[float],
    stale: int,
    background: float,
) -> None:
    lines = [
        "| job | size | throughput | target |",
        "|---|---|---|---|",
    ]
    for run in results:
        batches = run.signals / BATCH
        lines.append(
            f"| POST /api/v1/signals, {run.label}, {CLIENTS} clients | "
            f"{run.signals:,} signals, {accounts:,} accounts | "
            f"{run.signals / run.seconds:,.0f} signals/s (CPU per batch: server "
            f"{run.server_cpu * 1000 / batches:.1f} ms, database "
            f"{run.database_cpu * 1000 / batches:.1f} ms; "
            f"{(run.server_cpu + run.database_cpu) / run.seconds:.2f} of "
            f"{os.cpu_count()} cores busy) | >= 50,000 |"
        )
    lines.append(
        f"| PostgreSQL COPY, 1 transaction per {BATCH:,} | {total:,} signals | "
        f"{total / copy_seconds:,.0f} signals/s | (floor) |"
    )
    quantiles = statistics.quantiles(latencies, n=100)
    lines.append(
        f"| POST of 100 signals, then GET the account, under {background:,.0f} "
        f"signals/s of other load | {len(latencies)} times | "
        f"p50 {quantiles[49] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms; "
        f"stale reads: {stale} | p99 <= 100 ms; 0 stale |"
    )
    table = "\n".join(lines)
    print(table)

    sys.path.insert(0, str(ROOT / "bench"))
    from offline_score import append_section

    append_section("bench/ingest.py", table)


if __name__ == "__main__":
    main()
