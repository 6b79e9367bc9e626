"""Benchmark: `backfill` of daily points over 90 days, on PostgreSQL.

Fills a throwaway cluster with a generated portfolio (as bench/daily_points.py
does), then times the backfill of the last 90 days, with the process's peak
memory.

    .venv/bin/python bench/backfill.py                   # 2,000 accounts
    BENCH_SCALE=full .venv/bin/python bench/backfill.py  # 100,000 accounts
"""

import os
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAYS = 90


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from daily_points import NOW, filled_portfolio
    from offline_score import append_section

    full = os.environ.get("BENCH_SCALE") == "full"
    accounts = 100_000 if full else 2_000
    with filled_portfolio(accounts) as (_, signals):
        from scorecards.scoring.backfill import backfill

        end = (NOW - timedelta(days=1)).date()
        start = end - timedelta(days=DAYS - 1)
        started = time.perf_counter()
        done = backfill(start=start, end=end)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    table = "\n".join(
        [
            "| job | size | wall time | points/s | peak memory |",
            "|---|---|---|---|---|",
            f"| `backfill`, {DAYS} days | {done.accounts:,} accounts, {signals:,} "
            f"signals | {seconds:.1f} s | {done.points / seconds:,.0f} | "
            f"{peak:.0f} MiB (whole process) |",
        ]
    )
    print(table)
    append_section("bench/backfill.py", table)


if __name__ == "__main__":
    main()
