"""``scorecards backfill``: daily points for a range of days, from stored signals."""

import argparse
import csv
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django

LONGEST = 3660


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "backfill",
        help="rebuild the daily points of a range of days from the stored signals",
        description="Score every account as of the end of each UTC day from --from "
        "to --to and store those daily points, replacing any stored for those "
        "days (after importing old history, say). With --scorecard, score under "
        "those files instead and print the points as CSV, storing nothing: how "
        "history would have looked under another scorecard.",
    )
    parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
    parser.add_argument(
        "--scorecard",
        action="append",
        type=Path,
        metavar="FILE",
        help="score under this scorecard file instead (repeat for more); "
        "prints CSV, stores nothing",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="with --scorecard: write the CSV here, not to stdout",
    )
    parser.set_defaults(handler=run)


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"{flag}: {text!r} is not a YYYY-MM-DD date"
        raise CommandFailed(message, status=2) from None


def run(args: argparse.Namespace) -> int:
    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    today = datetime.now(UTC).date()
    if end < start:
        raise CommandFailed("--to: must not be before --from", status=2)
    if end >= today:
        raise CommandFailed(
            f"--to: {end.isoformat()} has not ended yet (UTC); the last complete "
            "day is yesterday",
            status=2,
        )
    if (end - start).days >= LONGEST:
        raise CommandFailed(f"--from: at most {LONGEST} days at a time", status=2)
    if args.output is not None and not args.scorecard:
        raise CommandFailed("--output: only with --scorecard", status=2)

    cards = None
    if args.scorecard:
        from scorecards.cli.score import read_scorecards, report_problems
        from scorecards.lib.csvtable import FileProblem

        problems: list[FileProblem] = []
        cards = read_scorecards(args.scorecard, problems)
        if problems:
            return report_problems(problems)

    setup_django()
    require_migrated()
    from scorecards.scoring.backfill import backfill

    if cards is None:
        from scorecards.scoring.trends import refresh_trends

        done = backfill(start=start, end=end)
        # Trends and sparklines read the daily points: they follow at once.
        refresh_trends(now=datetime.now(UTC))
        print(
            f"Stored {done.points:,} daily points: {done.accounts:,} accounts × "
            f"{done.days} days ({start.isoformat()} to {end.isoformat()})."
        )
        return 0

    out = args.output.open("w", newline="") if args.output else sys.stdout
    try:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["account", "day", "score", "grade", "status"])
        backfill(
            start=start,
            end=end,
            cards=cards,
            write_row=lambda row: writer.writerow(
                [
                    row[0],
                    row[1].isoformat(),
                    "" if row[2] is None else row[2],
                    row[3],
                    row[4],
                ]
            ),
        )
    finally:
        if args.output:
            out.close()
    return 0
