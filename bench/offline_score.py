"""Benchmark: the offline `scorecards score` command on a generated book.

Generates (once, cached under bench/out/) a book of ACCOUNTS accounts with a
little over a year of signals, runs the real command in a subprocess, and
reports wall time and the child's peak resident memory. The result is printed
and appended to docs/performance.md with a description of the machine.

    .venv/bin/python bench/offline_score.py [--accounts 10000] [--days 400]
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from scorecards.cli.demo import bundled_scorecards
from scorecards.demo.generate import write_book

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AS_OF = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def ensure_book(accounts: int, days: int) -> tuple[Path, int]:
    folder = OUT / f"book-{accounts}-{days}d"
    marker = folder / "signals.count"
    if marker.exists():
        return folder, int(marker.read_text())

    started = time.perf_counter()
    count = write_book(folder, accounts=accounts, seed=11, end=AS_OF, days=days)
    marker.write_text(str(count))
    elapsed = time.perf_counter() - started
    print(f"generated {count:,} signals in {elapsed:.1f} s", file=sys.stderr)
    return folder, count


def run_score(folder: Path, fmt: str) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB, and the number of accounts scored."""
    command = [
        str(Path(sys.executable).parent / "scorecards"),
        "score",
        *(arg for card in bundled_scorecards() for arg in ("--scorecard", str(card))),
        "--signals", str(folder / "signals.csv"),
        "--contacts", str(folder / "contacts.csv"),
        "--accounts", str(folder / "accounts.csv"),
        "--as-of", AS_OF.isoformat(),
        "--format", fmt,
        "--output", str(folder / f"scores.{fmt}"),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib <= before:
        # ru_maxrss is the largest child so far; an earlier, larger run hides this one.
        peak_kib = before

    scored = 0
    if fmt == "json":
        scored = len(json.loads((folder / "scores.json").read_text()))
    return elapsed, peak_kib / 1024, scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    folder, signals = ensure_book(args.accounts, args.days)
    timings = []
    for _ in range(args.runs):
        elapsed, peak, scored = run_score(folder, "json")
        timings.append((elapsed, peak, scored))
    best = min(t[0] for t in timings)
    peak = max(t[1] for t in timings)
    scored = timings[-1][2]

    row = (
        f"| offline `scorecards score`, JSON | {args.accounts:,} accounts, "
        f"{signals:,} signals | {best:.2f} s (best of {args.runs}) | {peak:.0f} MiB |"
    )
    print(row)
    print(f"{scored:,} accounts in the output", file=sys.stderr)
    header = "| job | size | wall time | peak memory |\n|---|---|---|---|\n"
    append_section("bench/offline_score.py", header + row)


def append_section(script: str, table: str) -> None:
    """Append a dated section with the machine's description to performance.md."""
    report = ROOT / "docs" / "performance.md"
    if not report.exists():
        report.write_text(
            "# Performance\n\nMeasured by the scripts in `bench/`; newest last.\n"
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with report.open("a", encoding="utf-8") as out:
        out.write(f"\n## {stamp} — {script}\n\n{machine()}\n\n{table}\n")


if __name__ == "__main__":
    main()
