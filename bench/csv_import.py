"""Benchmark: `scorecards import` of a large signals file into PostgreSQL.

Generates (once, cached under bench/out/) a book whose signals.csv has about a
million rows, or ten million with BENCH_SCALE=full; imports its accounts and
contacts, then its signals, each through the real command in a process of its
own against a throwaway PostgreSQL cluster. Reports rows per second and the
importing process's peak resident memory (the target: flat, under 300 MB
whatever the size), and imports the same file again, which must add nothing.

    .venv/bin/python bench/csv_import.py
    BENCH_SCALE=full .venv/bin/python bench/csv_import.py
"""

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from scorecards.demo.generate import write_book
from scorecards.testing.cluster import start_cluster

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
END = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
ACCOUNTS = 10_000


def ensure_book(days: int) -> tuple[Path, int]:
    folder = OUT / f"import-{ACCOUNTS}-{days}d"
    marker = folder / "signals.count"
    if marker.exists():
        return folder, int(marker.read_text())
    started = time.perf_counter()
    count = write_book(folder, accounts=ACCOUNTS, seed=13, end=END, days=days)
    marker.write_text(str(count))
    print(f"generated {count:,} signals in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)  # fmt: skip
    return folder, count


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, the process's own peak RSS in MiB, and what it printed."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({status}): {output}")
    return elapsed, usage.ru_maxrss / 1024, output


def main() -> None:
    full = os.environ.get("BENCH_SCALE") == "full"
    folder, rows = ensure_book(days=2900 if full else 290)
    command = str(Path(sys.executable).parent / "scorecards")

    cluster = start_cluster()
    try:
        base = cluster.url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE scorecards")
        env = {
            **os.environ,
            "DATABASE_URL": f"{base}/scorecards",
            "SCORECARDS_DATA_DIR": tempfile.mkdtemp(prefix="scorecards-bench-"),
            "SCORECARDS_SECRET_KEY": "bench-" + "x" * 40,
            "SCORECARDS_LOG_LEVEL": "WARNING",
        }
        subprocess.run([command, "migrate"], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        publish = (
            "import django; django.setup()\n"
            "from datetime import UTC, datetime\n"
            "from scorecards.demo.bundled import bundled_scorecards\n"
            "from scorecards.scoring.publish import publish\n"
            "for path in bundled_scorecards():\n"
            "    publish(source=path.read_text(), format='yaml', author='bench',"
            " now=datetime.now(UTC))\n"
        )
        subprocess.run(
            [sys.executable, "-c", publish], check=True,
            env=env | {"DJANGO_SETTINGS_MODULE": "scorecards.config.settings"},
        )  # fmt: skip

        results = []
        for kind in ("accounts", "contacts", "signals"):
            path = folder / f"{kind}.csv"
            seconds, peak, _ = timed([command, "import", kind, str(path)], env)
            count = sum(1 for _ in path.open()) - 1
            results.append((kind, count, seconds, peak))
            print(f"{kind}: {count:,} rows in {seconds:.1f} s, peak {peak:.0f} MiB",
                  file=sys.stderr, flush=True)  # fmt: skip
        path = folder / "signals.csv"
        again, again_peak, output = timed([command, "import", "signals", str(path)],
                                          env)  # fmt: skip
        with psycopg.connect(f"{base}/scorecards") as connection:
            (stored,) = connection.execute(
                "SELECT count(*) FROM ingest_signal"
            ).fetchone() or (0,)
    finally:
        cluster.stop()

    lines = [
        "| job | size | wall time | rows/s | peak memory |",
        "|---|---|---|---|---|",
    ]
    for kind, count, seconds, peak in results:
        lines.append(
            f"| `scorecards import {kind}` | {count:,} rows | {seconds:.1f} s | "
            f"{count / seconds:,.0f} | {peak:.0f} MiB |"
        )
    lines.append(
        f"| the same signals file again (adds nothing) | {rows:,} rows | "
        f"{again:.1f} s | {rows / again:,.0f} | {again_peak:.0f} MiB |"
    )
    table = "\n".join(lines)
    print(table)
    print(output.strip(), file=sys.stderr)
    print(f"signals stored: {stored:,} (file: {rows:,})", file=sys.stderr)
    if stored != rows:
        raise SystemExit(f"stored {stored:,} signals, the file has {rows:,}")

    sys.path.insert(0, str(ROOT / "bench"))
    from offline_score import append_section

    append_section("bench/csv_import.py", table)


if __name__ == "__main__":
    main()
