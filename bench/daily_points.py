"""Benchmark: the daily point for a whole portfolio on PostgreSQL.

Fills a throwaway PostgreSQL cluster with a generated portfolio (rows COPYed
straight into the tables, to spend the time on what is measured), then times
`record_daily_points` for the day that just ended and the re-scoring of every
current score, with the process's peak memory.

    .venv/bin/python bench/daily_points.py               # 10,000 accounts
    BENCH_SCALE=full .venv/bin/python bench/daily_points.py   # 100,000 accounts
"""

import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from scorecards.testing.cluster import start_cluster

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC).replace(microsecond=0)
PREVIEWS = 4  # each preview timed this many times


def fill(url: str, accounts: int) -> int:
    """COPY a generated portfolio in; returns the number of signals."""
    from scorecards.demo.generate import make_accounts, signals

    book = make_accounts(accounts, seed=9, end=NOW)
    count = 0
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(
            "COPY accounts_account (key, name, segment, tier, csm, attributes,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for a in book:
                copy.write_row(
                    (a.key, a.name, a.segment, a.tier, a.csm, "{}", NOW, NOW)
                )
        ids = dict(cursor.execute("SELECT key, id FROM accounts_account").fetchall())

        with cursor.copy(
            "COPY accounts_contact (account_id, key, role, name, email,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for a in book:
                for c in a.contacts:
                    copy.write_row((ids[a.key], c.key, c.role, "", "", NOW, NOW))
        contacts = {
            (account_id, key): pk
            for pk, account_id, key in cursor.execute(
                "SELECT id, account_id, key FROM accounts_contact"
            ).fetchall()
        }

        with cursor.copy(
            "COPY ingest_signal (account_id, contact_id, metric, value, observed_at,"
            " received_at, source, external_id) FROM STDIN"
        ) as copy:
            for a in book:
                account_id = ids[a.key]
                for s in signals(a, days=365, end=NOW, seed=9):
                    contact = (
                        contacts.get((account_id, s.contact)) if s.contact else None
                    )
                    copy.write_row(
                        (account_id, contact, s.metric, s.value, s.observed_at,
                         NOW, s.source, s.id)
                    )  # fmt: skip
                    count += 1
    # As autovacuum leaves a table once its inserts settle: statistics, and
    # the visibility map that lets index-only reads skip the rows.
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return count


@contextmanager
def filled_portfolio(accounts: int) -> Iterator[tuple[str, int]]:
    """A throwaway cluster with Django set up on it, the bundled scorecards
    published and a generated portfolio of ``accounts`` COPYed in; yields its
    URL and the number of signals, and removes the cluster after."""
    cluster = start_cluster()
    try:
        base = cluster.url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE scorecards")
        url = f"{base}/scorecards"
        os.environ.update(
            DATABASE_URL=url,
            SCORECARDS_DATA_DIR=tempfile.mkdtemp(prefix="scorecards-bench-"),
            SCORECARDS_SECRET_KEY="bench-" + "x" * 40,
            SCORECARDS_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="scorecards.config.settings",
        )
        import django

        django.setup()
        from django.core.management import call_command

        from scorecards.demo.bundled import bundled_scorecards
        from scorecards.scoring.scorecards import publish_scorecard

        call_command("migrate", verbosity=0)
        for path in bundled_scorecards():
            publish_scorecard(
                source=path.read_text(), format="yaml", author="bench", now=NOW
            )
        started = time.perf_counter()
        count = fill(url, accounts)
        print(f"filled {accounts:,} accounts, {count:,} signals in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)  # fmt: skip
        yield url, count
    finally:
        cluster.stop()


def main() -> None:
    full = os.environ.get("BENCH_SCALE") == "full"
    accounts = 100_000 if full else 10_000
    with filled_portfolio(accounts) as (_, count):
        from scorecards.accounts.models import Account
        from scorecards.scoring.history import record_daily_points
        from scorecards.scoring.rescore import rescore

        started = time.perf_counter()
        points = record_daily_points((NOW - timedelta(days=1)).date())
        daily = time.perf_counter() - started

        started = time.perf_counter()
        rescore(Account.objects.all(), now=NOW)
        current = time.perf_counter() - started

        # Scorecard previews, as the editor asks for them: a regrade (every
        # stored evaluation kept) and a changed window (one metric read).
        from scorecards.demo.bundled import bundled_scorecards
        from scorecards.scoring.preview import preview

        draft = next(p for p in bundled_scorecards() if p.stem == "default")
        source = draft.read_text()
        previews = []
        for what, edited in (
            ("grades moved", source.replace("min: 70", "min: 65")),
            ("a window changed", source.replace("window: 60d", "window: 30d")),
        ):
            assert edited != source, what
            # The first preview of an edit, then the same again, as an editor
            # previews a draft while working on it.
            seconds = []
            for _ in range(PREVIEWS):
                started = time.perf_counter()
                previewed = preview(edited, format="yaml", now=NOW)
                seconds.append(time.perf_counter() - started)
            previews.append((what, previewed, seconds))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    table = "\n".join(
        [
            "| job | size | wall time | peak memory |",
            "|---|---|---|---|",
            f"| daily point (`record_daily_points`) | {points:,} accounts, "
            f"{count:,} signals | {daily:.1f} s | {peak:.0f} MiB (whole process) |",
            f"| re-score every current score | {accounts:,} accounts | "
            f"{current:.1f} s | |",
            *(
                f"| scorecard preview (`scoring.preview`), {what} | "
                f"{accounts:,} accounts, {previewed.regraded:,} would change grade "
                f"| {seconds[0]:.2f} s the first time; again: median "
                f"{statistics.median(seconds[1:]):.2f} s of {PREVIEWS - 1} | |"
                for what, previewed, seconds in previews
            ),
        ]
    )
    print(table)
    sys.path.insert(0, str(ROOT / "bench"))
    from offline_score import append_section

    append_section("bench/daily_points.py", table)


if __name__ == "__main__":
    main()
