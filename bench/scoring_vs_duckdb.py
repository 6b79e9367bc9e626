"""Benchmark: our bulk scoring against a hand-written DuckDB query of the same rules.

Fills a throwaway PostgreSQL cluster with a generated portfolio under the two
bundled scorecards (as bench/daily_points.py does), copies the same rows into
an in-memory DuckDB database, and times two jobs side by side:

- a full re-score as of now: ours is `score_stored` over every account in
  chunks of 1,000, read from the database (what the daily point and `rescore`
  run, without their writes); DuckDB runs bench/duckdb_scoring.sql once;
- a history backfill of 90 days: ours is `backfill` as the product runs it
  (it stores the points); DuckDB runs the same query once per day.

Before anything is timed the two must agree: every sampled account's total,
status and grade, within 1e-6, now and at several past days. After the timed
runs every account's score of the re-score, and the stored backfill points of
a sample, are compared again. Ours runs in a child process each, so its peak
memory is its own.

    .venv/bin/python bench/scoring_vs_duckdb.py                # 10,000 accounts
    BENCH_SCALE=full .venv/bin/python bench/scoring_vs_duckdb.py   # 100,000
    .venv/bin/python bench/scoring_vs_duckdb.py --accounts 2000 --skip-backfill
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUERY = Path(__file__).with_name("duckdb_scoring.sql")
DAYS = 90
SAMPLE = 1000
TOLERANCE = 1e-6


class Mismatch(AssertionError):
    pass


# --- DuckDB -------------------------------------------------------------------


def export_rows(url: str, folder: Path) -> dict[str, Path]:
    """COPY the accounts, contacts and signals out of PostgreSQL as CSV files."""
    import psycopg

    queries = {
        "accounts": "SELECT id, key, segment FROM accounts_account",
        "contacts": "SELECT id, account_id, role FROM accounts_contact",
        "signals": "SELECT id, account_id, metric,"
        " EXTRACT(EPOCH FROM observed_at)::float8, value, contact_id"
        " FROM ingest_signal",
    }
    files = {}
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        for table, query in queries.items():
            path = files[table] = folder / f"{table}.csv"
            with (
                path.open("wb") as out,
                cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy,
            ):
                for block in copy:
                    out.write(block)
    return files


def load_duckdb(files: dict[str, Path]) -> Any:
    import duckdb

    columns = {
        "accounts": "{'id': 'INTEGER', 'key': 'VARCHAR', 'segment': 'VARCHAR'}",
        "contacts": "{'id': 'INTEGER', 'account_id': 'INTEGER', 'role': 'VARCHAR'}",
        "signals": "{'id': 'BIGINT', 'account_id': 'INTEGER', 'metric': 'VARCHAR',"
        " 'ts': 'DOUBLE', 'value': 'DOUBLE', 'contact_id': 'INTEGER'}",
    }
    con = duckdb.connect()
    for table, path in files.items():
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv("
            f"'{path}', header = false, columns = {columns[table]})"
        )
    for statement in QUERY.read_text().split("\n;;\n"):
        con.execute(statement)
    return con


def duck_scores(con: Any, as_of: datetime) -> dict[str, Any]:
    """Every account's score as of ``as_of``, as numpy columns."""
    return con.execute(
        "SELECT id, total, grade, status FROM scores_as_of(?) ORDER BY id",
        [as_of.timestamp()],
    ).fetchnumpy()


# --- Ours, in this process (for the checks) ----------------------------------


def our_scores(ids: list[int], as_of: datetime) -> dict[int, tuple[Any, ...]]:
    from scorecards.accounts.models import Account
    from scorecards.scoring.rescore import score_stored
    from scorecards.scoring.scorecards import versions_at

    accounts = list(Account.objects.filter(pk__in=ids).order_by("pk"))
    found = {}
    for item in score_stored(accounts, versions=versions_at(as_of), as_of=as_of):
        result = item.result
        grade = result.grade.name if result.grade else ""
        found[item.account.pk] = (result.total, grade, str(result.status))
    return found


def compare(ours: dict[int, tuple[Any, ...]], duck: dict[str, Any], what: str) -> int:
    """Raise Mismatch unless every account of ``ours`` scores alike in ``duck``."""
    index = {int(pk): i for i, pk in enumerate(duck["id"])}
    problems = []
    for pk, (total, grade, status) in ours.items():
        i = index[pk]
        other = duck["total"][i]
        other = None if other is None or other != other else float(other)
        if (total is None) != (other is None):
            problems.append(f"account {pk}: ours {total}, DuckDB {other}")
        elif total is not None and abs(total - other) > TOLERANCE:
            problems.append(f"account {pk}: ours {total!r}, DuckDB {other!r}")
        elif (grade, status) != (duck["grade"][i], duck["status"][i]):
            problems.append(
                f"account {pk}: ours {grade}/{status}, DuckDB "
                f"{duck['grade'][i]}/{duck['status'][i]} (total {total})"
            )
    if problems:
        raise Mismatch(
            f"{what}: {len(problems)} of {len(ours)} accounts differ:\n  "
            + "\n  ".join(problems[:20])
        )
    return len(ours)


def as_dict(duck: Any) -> dict[str, Any]:
    """numpy's masked arrays (NULLs) as plain object arrays with None."""
    out = {}
    for name, column in duck.items():
        if hasattr(column, "mask"):
            column = column.astype(object).filled(None)
        out[name] = column
    return out


# --- Ours, in a child process (timed) -----------------------------------------


class Clock:
    """Adds up the time spent inside the functions it wraps, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name)
        self.seconds.setdefault(label, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started

        setattr(module, name, timed)


def child_rescore(as_of: datetime, out: Path) -> dict[str, Any]:
    """Score every account from the database in chunks of 1,000, as the daily
    point does, without storing; then the real daily point, which stores."""
    import numpy as np

    from scorecards import engine
    from scorecards.accounts.models import Account
    from scorecards.lib.chunks import in_chunks
    from scorecards.scoring import rescore
    from scorecards.scoring.history import record_daily_points
    from scorecards.scoring.scorecards import current_versions

    clock = Clock()
    clock.wrap(rescore, "load_histories", "load signals")
    clock.wrap(rescore, "roles_of", "roles and overrides")
    clock.wrap(rescore, "overrides_at", "roles and overrides")
    clock.wrap(engine, "score_account", "engine")

    started = time.perf_counter()
    versions = current_versions()
    ids, totals = [], []
    for chunk in in_chunks(Account.objects.all()):
        for item in rescore.score_stored(chunk, versions=versions, as_of=as_of):
            ids.append(item.account.pk)
            totals.append(item.result.total)
    seconds = time.perf_counter() - started
    np.save(out, np.array([ids, [np.nan if t is None else t for t in totals]]))
    parts = dict(clock.seconds)

    started = time.perf_counter()
    record_daily_points((as_of - timedelta(days=1)).date())
    daily = time.perf_counter() - started
    return {"seconds": seconds, "parts": parts, "daily_point": daily}


def child_backfill(start: date, end: date) -> dict[str, Any]:
    from scorecards import engine
    from scorecards.scoring import backfill

    clock = Clock()
    clock.wrap(backfill, "load_histories", "load signals")
    clock.wrap(backfill, "roles_of", "roles and overrides")
    clock.wrap(backfill, "overrides_at", "roles and overrides")
    clock.wrap(engine, "score_account", "engine")
    clock.wrap(backfill, "_store", "store points")

    started = time.perf_counter()
    done = backfill.backfill(start=start, end=end)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "parts": clock.seconds, "points": done.points}


def run_child(job: str, *args: str) -> dict[str, Any]:
    """Run one of our jobs in a fresh process; its result and its peak memory."""
    command = [sys.executable, __file__, "--child", job, *args]
    load = os.getloadavg()[0]
    run = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["load"] = (load, os.getloadavg()[0])
    return result


def peak_mib() -> float:
    """This process's peak resident memory since it started its program.

    Not getrusage's ru_maxrss: Linux keeps that across exec, so a child would
    report the peak of the parent it was forked from (which holds DuckDB).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(job: str, args: list[str]) -> None:
    import django

    django.setup()
    if job == "rescore":
        result = child_rescore(datetime.fromisoformat(args[0]), Path(args[1]))
    else:
        result = child_backfill(
            date.fromisoformat(args[0]), date.fromisoformat(args[1])
        )
    result["peak_mib"] = peak_mib()
    print(json.dumps(result))


# --- The run ------------------------------------------------------------------


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


@contextmanager
def say(what: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"{what} ...", file=sys.stderr, flush=True)
    yield
    elapsed = time.perf_counter() - started
    print(f"{what}: {elapsed:.1f} s", file=sys.stderr, flush=True)


def check_now(con: Any, ids: list[int], now: datetime) -> int:
    sample = random.Random(5).sample(ids, min(SAMPLE, len(ids)))
    duck = as_dict(duck_scores(con, now))
    return compare(our_scores(sample, now), duck, f"as of {now:%Y-%m-%d %H:%M}")


def check_days(con: Any, ids: list[int], days: list[date]) -> int:
    from scorecards.scoring.history import end_of_day

    sample = random.Random(6).sample(ids, min(SAMPLE // 5, len(ids)))
    checked = 0
    for day in days:
        moment = end_of_day(day)
        duck = as_dict(duck_scores(con, moment))
        checked += compare(our_scores(sample, moment), duck, f"end of {day}")
    return checked


def check_stored_points(con: Any, ids: list[int], days: list[date]) -> int:
    """The daily points our backfill stored, for a sample, against DuckDB's."""
    from scorecards.scoring.history import end_of_day
    from scorecards.scoring.models import PointKind, ScorePoint

    sample = random.Random(7).sample(ids, min(SAMPLE, len(ids)))
    checked = 0
    for day in days:
        moment = end_of_day(day)
        rows = ScorePoint.objects.filter(
            account_id__in=sample, at=moment, kind=PointKind.DAILY
        ).values_list("account_id", "total", "grade", "status")
        ours = {pk: (total, grade, status) for pk, total, grade, status in rows}
        if len(ours) != len(sample):
            raise Mismatch(
                f"end of {day}: {len(ours)} stored points, not {len(sample)}"
            )
        duck = as_dict(duck_scores(con, moment))
        checked += compare(ours, duck, f"stored point of {day}")
    return checked


def check_all(con: Any, saved: Path, now: datetime) -> int:
    import numpy as np

    ids, totals = np.load(saved)
    duck = as_dict(duck_scores(con, now))
    index = {int(pk): i for i, pk in enumerate(duck["id"])}
    bad = 0
    for pk, total in zip(ids, totals, strict=True):
        other = duck["total"][index[int(pk)]]
        if np.isnan(total):
            bad += other is not None
        else:
            bad += other is None or abs(total - other) > TOLERANCE
    if bad:
        raise Mismatch(f"as of now: {bad} of {len(ids)} accounts differ")
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument(
        "--no-append", action="store_true", help="print, leave performance.md be"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], args.child[1:])
        return

    full = os.environ.get("BENCH_SCALE") == "full"
    accounts = args.accounts or (100_000 if full else 10_000)
    sys.path.insert(0, str(ROOT / "bench"))
    from daily_points import NOW, filled_portfolio
    from offline_score import append_section

    end = (NOW - timedelta(days=1)).date()
    start = end - timedelta(days=DAYS - 1)
    days = [start + timedelta(days=n) for n in range(DAYS)]
    rows: list[str] = []
    notes: list[str] = []
    load_before = os.getloadavg()

    with (
        filled_portfolio(accounts) as (url, signals),
        tempfile.TemporaryDirectory(prefix="scorecards-duck-") as scratch,
    ):
        from scorecards.accounts.models import Account

        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        with say("copy into DuckDB"):
            copy_seconds, con = timed(
                lambda: load_duckdb(export_rows(url, Path(scratch)))
            )

        with say("check the two agree"):
            checked = check_now(con, ids, NOW)
            checked_days = check_days(con, ids, days[:: DAYS // 5])
        notes.append(
            f"Checked before timing: {checked:,} accounts as of now and "
            f"{checked_days:,} account-days at {len(days[:: DAYS // 5])} past days "
            f"agree with DuckDB (total within {TOLERANCE:g}, grade, status)."
        )

        with say("DuckDB re-score"):
            duck_now = min(
                timed(lambda: duck_scores(con, NOW))[0] for _ in range(args.runs)
            )
        with say("our re-score"):
            saved = Path(scratch) / "ours.npy"
            ours = run_child("rescore", NOW.isoformat(), str(saved))
        everyone = check_all(con, saved, NOW)
        notes.append(
            f"After timing: all {everyone:,} accounts of our re-score agree "
            "with DuckDB."
        )
        rows += rescore_rows(accounts, signals, ours, duck_now, args.runs)

        if not args.skip_backfill:
            from scorecards.scoring.history import end_of_day

            with say("DuckDB backfill"):
                duck_days, _ = timed(
                    lambda: [duck_scores(con, end_of_day(day)) for day in days]
                )
            with say("our backfill"):
                filled = run_child("backfill", start.isoformat(), end.isoformat())
            stored = check_stored_points(con, ids, days[::10])
            notes.append(
                f"After timing: {stored:,} stored backfill points (a sample of "
                f"accounts, every tenth day) agree with DuckDB."
            )
            rows += backfill_rows(accounts, filled, duck_days)

        version = con.execute("SELECT version()").fetchone()[0]
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        notes.append(
            f"DuckDB {version}, in memory, {threads} threads; copying the rows "
            "out of PostgreSQL into it took "
            f"{copy_seconds:.1f} s (not counted)."
        )

    load_after = os.getloadavg()
    notes.append(
        f"Load average (1/5/15 min) at the start {fmt_load(load_before)}, "
        f"at the end {fmt_load(load_after)}."
    )
    table = "\n".join(
        [
            "| job | size | ours | DuckDB | ratio | target | peak memory (ours) |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    text = table + "\n\n" + "\n".join(f"- {note}" for note in notes)
    print(text)
    if not args.no_append:
        append_section("bench/scoring_vs_duckdb.py", text)


def fmt_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


def breakdown(parts: dict[str, float], total: float) -> str:
    named = sum(parts.values())
    shown = [f"{label} {seconds:.1f} s" for label, seconds in parts.items()]
    return "; ".join([*shown, f"other {total - named:.1f} s"])


def rescore_rows(
    accounts: int, signals: int, ours: dict[str, Any], duck: float, runs: int
) -> list[str]:
    seconds = ours["seconds"]
    size = f"{accounts:,} accounts, {signals:,} signals"
    return [
        f"| full re-score as of now (`score_stored`, chunks of 1,000, no writes) | "
        f"{size} | {seconds:.2f} s | {duck:.2f} s (best of {runs}) | "
        f"{seconds / duck:.1f}× | ≤ 3× | {ours['peak_mib']:.0f} MiB |",
        f"| … of which | {breakdown(ours['parts'], seconds)} | | | | | |",
        f"| … engine alone | | {ours['parts']['engine']:.2f} s | {duck:.2f} s | "
        f"{ours['parts']['engine'] / duck:.1f}× | | |",
        f"| daily point (`record_daily_points`, stores) | {size} | "
        f"{ours['daily_point']:.2f} s | | | | |",
    ]


def backfill_rows(accounts: int, ours: dict[str, Any], duck: float) -> list[str]:
    seconds = ours["seconds"]
    return [
        f"| history backfill (`backfill`, stores) | {accounts:,} accounts × {DAYS}"
        f" days, {ours['points']:,} points | {seconds:.1f} s | {duck:.1f} s "
        f"(once per day) | {seconds / duck:.1f}× | < 1× and ≤ 1 GiB | "
        f"{ours['peak_mib']:.0f} MiB |",
        f"| … of which | {breakdown(ours['parts'], seconds)} | | | | | |",
    ]


if __name__ == "__main__":
    main()
