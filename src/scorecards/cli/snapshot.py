"""``scorecards snapshot``: record every account's daily point for one day."""

import argparse
import logging
from datetime import UTC, date, datetime

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django

logger = logging.getLogger(__name__)


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "snapshot",
        help="record every account's daily point for a day",
        description="Score every account as of the end of a UTC day and store that "
        "as the day's point, replacing any point already stored for the day. The "
        "workers do this every night; run it by hand for a day they missed.",
    )
    parser.add_argument(
        "--date", metavar="YYYY-MM-DD",
        help="the UTC day (default: yesterday, the last complete day)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    setup_django()
    now = datetime.now(UTC)
    day = read_day(args.date, now=now)
    require_migrated()

    from scorecards.scoring.history import record_daily_points
    from scorecards.scoring.trends import refresh_trends

    count = record_daily_points(day)
    # Trends and sparklines read the daily points: they follow at once.
    refresh_trends(now=now)
    noun = "account" if count == 1 else "accounts"
    print(f"Recorded the daily point for {day.isoformat()}: {count} {noun}.")
    return 0


def read_day(text: str | None, *, now: datetime) -> date:
    from scorecards.scoring.tasks import last_complete_day

    if text is None:
        return last_complete_day(now)

    try:
        day = date.fromisoformat(text)
    except ValueError:
        message = f"--date: {text!r} is not a YYYY-MM-DD date"
        raise CommandFailed(message, status=2) from None
    if day >= now.date():
        raise CommandFailed(
            f"--date: {day.isoformat()} has not ended yet (UTC); "
            "only a complete day has a daily point",
            status=2,
        )
    return day
