"""Benchmark: the portfolio page's server time at 100,000 accounts.

Fills a database (a throwaway PostgreSQL cluster, and a SQLite file) with a
book of accounts, each with a current score, trends, 90 daily points and, for
some, a firing alert (rows written straight into the tables: what is measured
is the page, not the loading). Then renders the page through Django's test
client, signed in, for a mix of filters, sorts and pages, and reports the
server time per request: the view, its queries and its template, with no
network in between.

    .venv/bin/python bench/portfolio_page.py                 # 10,000 accounts
    BENCH_SCALE=full .venv/bin/python bench/portfolio_page.py  # 100,000 accounts
"""

import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from scorecards.testing.cluster import start_cluster

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC).replace(microsecond=0)
DAYS = 90
ROUNDS = 20  # requests per scenario, after one warm-up
SCENARIOS = {
    "first page, worst first": "/",
    "last page": "/?page=last",
    "segment + declining, by ARR": "/?segment=enterprise&direction=declining&sort=-arr",
    "at risk, by 30-day change": "/?grade=at_risk&sort=delta",
    "search by name": "/?q=energy",
    "renewing in 90 days with an alert": "/?renewal_within=90&alerting=on",
    "score 40-60, page 20": "/?score_min=40&score_max=60&page=20",
    "one CSM, by renewal": "/?csm=csm-07&sort=renewal",
    "best first": "/?sort=-score",
    "most improved": "/?sort=-delta",
    "by ARR, largest first, page 1000": "/?sort=-arr&page=1000",
    "by segment, page 700": "/?sort=segment&page=700",
    "open alerts first": "/?sort=alerts",
    "improving, by renewal, latest first": "/?direction=improving&sort=-renewal",
}
SEGMENTS = ["strategic", "enterprise", "mid_market", "smb"]
GRADES = [(70, "healthy"), (40, "watch"), (0, "at_risk")]


TABLES = {
    "account": ("accounts_account", "id, key, name, segment, tier, csm, arr,"
                " renewal_date, attributes, created_at, updated_at"),
    "score": ("scoring_accountscore", "account_id, version_id, status, total, grade,"
              " coverage, criteria, overridden, scored_at"),
    "trend": ("scoring_accounttrend", "account_id, anchor_30, delta_30, direction,"
              " spark, computed_at"),
    "point": ("scoring_scorepoint", "account_id, at, kind, version_id, status, total,"
              " grade, coverage"),
    "alert": ("alerts_alert", "rule_id, account_id, state, reason, opened_at,"
              " fired_at, acknowledged_by"),
}  # fmt: skip


def rows(accounts: int, version: int, rule: int) -> Iterator[tuple[str, tuple]]:
    """Every row to write, as (table, values), in an order foreign keys allow."""
    rng = random.Random(7)
    for n in range(1, accounts + 1):
        total = max(0.0, min(100.0, rng.gauss(62, 18)))
        then = max(0.0, min(100.0, total + rng.gauss(0, 8)))
        delta = total - then
        grade = next(name for low, name in GRADES if total >= low)
        direction = (
            "improving" if delta >= 5 else "declining" if delta <= -5 else "stable"
        )
        name = (
            f"{rng.choice(['Acme', 'Umber', 'Delta', 'Rivet'])} "
            f"{rng.choice(['Energy', 'Labs', 'Health', 'Retail'])} {n}"
        )
        renewal = (NOW + timedelta(days=rng.randrange(1, 400))).date()
        yield "account", (
            n, f"acc-{n:06d}", name, rng.choice(SEGMENTS),
            rng.choice(["gold", "silver", "bronze"]), f"csm-{rng.randrange(1, 41):02d}",
            rng.randrange(2_000, 400_000), renewal, "{}", NOW, NOW,
        )  # fmt: skip
        yield "score", (n, version, "scored", total, grade, 1.0, "[]", False, NOW)
        values = [then + (total - then) * day / (DAYS - 1) for day in range(DAYS)]
        spark = json.dumps([round(value, 1) for value in values])
        yield "trend", (n, then, delta, direction, spark, NOW)
        for day, value in enumerate(values):
            at = NOW - timedelta(days=DAYS - day)
            yield "point", (n, at, "daily", version, "scored", value, "", 1.0)
        if grade == "at_risk" and rng.random() < 0.5:
            yield "alert", (rule, n, "firing", "grade is at_risk", NOW, NOW, "")


def fill(connection, kind: str, accounts: int, version: int) -> None:
    """Write the book through a DB-API ``connection`` (psycopg or sqlite3):
    COPY into PostgreSQL, batched inserts into SQLite."""
    cursor = connection.cursor()
    mark = "%s" if kind == "postgres" else "?"
    cursor.execute(
        "INSERT INTO alerts_alertrule (name, kind, params, scope, dwell_seconds,"
        " cooldown_seconds, notify, enabled, created_at, updated_at) VALUES"
        f" ('at-risk', 'grade', '{{}}', '{{}}', 0, 0, '[]', {mark}, {mark}, {mark})",
        (True, _value(NOW, kind), _value(NOW, kind)),
    )
    rule = cursor.execute("SELECT id FROM alerts_alertrule").fetchone()[0]
    batches: dict[str, list[tuple]] = {name: [] for name in TABLES}

    def flush() -> None:
        for name, (table, columns) in TABLES.items():
            batch = batches[name]
            if not batch:
                continue
            if kind == "postgres":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in batch:
                        copy.write_row(values)
            else:
                marks = ", ".join("?" * len(batch[0]))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                    [tuple(_value(v, kind) for v in values) for values in batch],
                )
            batch.clear()

    for name, values in rows(accounts, version, rule):
        batches[name].append(values)
        if len(batches["point"]) >= 100_000:
            flush()
    flush()
    connection.commit()


def _value(value: object, kind: str) -> object:
    """SQLite takes times as Django writes them: naive UTC text."""
    if kind == "sqlite" and isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if kind == "sqlite" and isinstance(value, date):
        return value.isoformat()
    return value


@contextmanager
def database(kind: str) -> Iterator[str]:
    """An empty database of ``kind``; yields its URL."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="scorecards-bench-")
        yield f"sqlite:///{folder}/bench.sqlite3"
        return
    cluster = start_cluster()
    try:
        base = cluster.url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE scorecards")
        yield f"{base}/scorecards"
    finally:
        cluster.stop()


def measure(kind: str, url: str, accounts: int) -> list[tuple[str, float, float]]:
    os.environ.update(
        DATABASE_URL=url,
        SCORECARDS_DATA_DIR=tempfile.mkdtemp(prefix="scorecards-bench-"),
        SCORECARDS_SECRET_KEY="bench-" + "x" * 40,
        SCORECARDS_LOG_LEVEL="WARNING",
        SCORECARDS_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="scorecards.config.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from scorecards.demo.bundled import bundled_scorecards
    from scorecards.people.service import add_person
    from scorecards.scoring.models import ScorecardVersion
    from scorecards.scoring.scorecards import publish_scorecard

    connection.close()
    call_command("migrate", verbosity=0)
    for path in bundled_scorecards():
        publish_scorecard(
            source=path.read_text(), format="yaml", author="bench", now=NOW
        )
    version_id = ScorecardVersion.objects.order_by("pk").values_list("pk", flat=True)[0]
    started = time.perf_counter()
    if kind == "sqlite":
        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
        fill(raw, kind, accounts, version_id)
        raw.execute("ANALYZE")
        raw.close()
    else:
        with psycopg.connect(url) as raw:
            fill(raw, kind, accounts, version_id)
            raw.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"{kind}: filled {accounts:,} accounts in {seconds:.0f} s", file=sys.stderr)

    client = Client()
    client.force_login(add_person("bench-admin", role="admin"))
    pages = -(-accounts // 50)
    found = []
    for name, path in SCENARIOS.items():
        path = path.replace("page=last", f"page={pages}")
        warm = client.get(path, secure=True)
        assert warm.status_code == 200, (path, warm.status_code)
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            response = client.get(path, secure=True)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
        found.append((name, statistics.median(times), _p95(times)))
        if os.environ.get("BENCH_PROFILE"):
            _profile(client, path)
    connection.close()
    return found


def _profile(client, path: str) -> None:
    """Where one request's time goes: its queries, then its Python."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(path, secure=True)
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}",
              file=sys.stderr)  # fmt: skip
    profile = cProfile.Profile()
    profile.runcall(client.get, path, secure=True)
    pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(12)


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def main() -> None:
    full = os.environ.get("BENCH_SCALE") == "full"
    accounts = 100_000 if full else 10_000
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if not kind:
        # Django is set up once per process: each database gets its own run.
        import subprocess

        outputs = []
        for each in ("postgres", "sqlite"):
            done = subprocess.run(
                [sys.executable, __file__, each], check=True, capture_output=True,
                text=True,
            )  # fmt: skip
            sys.stderr.write(done.stderr)
            outputs.append(done.stdout)
        report(accounts, outputs)
        return
    with database(kind) as url:
        for name, p50, p95 in measure(kind, url, accounts):
            print(f"{kind}\t{name}\t{p50:.1f}\t{p95:.1f}")


def report(accounts: int, outputs: list[str]) -> None:
    lines = [
        "| database | filter, sort, page | p50 | p95 |",
        "|---|---|---|---|",
    ]
    worst = 0.0
    for output in outputs:
        for line in output.strip().splitlines():
            kind, name, p50, p95 = line.split("\t")
            worst = max(worst, float(p95))
            lines.append(f"| {kind} | {name} | {p50} ms | {p95} ms |")
    lines.append(
        f"\nPortfolio page at {accounts:,} accounts, server time through Django's "
        f"test client, {ROUNDS} requests each after a warm-up. Worst p95: "
        f"{worst:.1f} ms (target: p95 ≤ 50 ms)."
    )
    table = "\n".join(lines)
    print(table)
    sys.path.insert(0, str(ROOT / "bench"))
    from offline_score import append_section

    append_section("bench/portfolio_page.py", table)


if __name__ == "__main__":
    main()
