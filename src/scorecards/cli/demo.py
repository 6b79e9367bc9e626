"""``scorecards demo``: fill an empty database with a made-up portfolio, or score
one offline with ``--offline``."""

import argparse
import contextlib
import logging
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from scorecards.cli import score
from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django
from scorecards.demo.bundled import bundled_scorecards
from scorecards.demo.generate import write_book

__all__ = ["add_parser", "bundled_scorecards", "run"]

DEFAULT_ACCOUNTS = {"database": 300, "offline": 40}
DEFAULT_DAYS = {"database": 730, "offline": 365}
DAILY_POINTS = 90

# Loading creates hundreds of accounts at once: a log line per account's first
# grade and per daily point would bury the few lines that say what was done.
CHATTY_LOGGERS = (
    "scorecards.accounts",
    "scorecards.scoring",
    "scorecards.ingest",
    "scorecards.alerts",
)


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "demo",
        help="load a made-up portfolio into the database, to see the product at work",
        description="Fill an empty database with a believable portfolio: accounts "
        "in four segments, their contacts, two years of signals, the two bundled "
        "scorecards and 90 days of daily points. With --offline, write a book to "
        "files instead, score it with the bundled scorecards and print the result.",
    )
    parser.add_argument(
        "--accounts", type=int, metavar="N",
        help="how many accounts (default: 300; 40 with --offline)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--days", type=int, metavar="N",
        help="days of signals up to now (default: 730; 365 with --offline)",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true",
        help="load even if the database already has accounts",
    )  # fmt: skip
    parser.add_argument(
        "--feeds", type=Path, metavar="DIR",
        help="write sample feeds for the demo accounts to DIR instead (a "
        "Salesforce export, a Segment batch, a Delighted answer); see the README",
    )  # fmt: skip
    offline = parser.add_argument_group("offline mode")
    offline.add_argument(
        "--offline", action="store_true",
        help="use no database: score a generated book and print the result",
    )  # fmt: skip
    offline.add_argument(
        "--write", type=Path, metavar="DIR",
        help="keep the generated CSV and scorecard files in DIR to try `score` on",
    )  # fmt: skip
    offline.add_argument("--format", choices=sorted(score.RENDERERS), default="table")
    offline.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write here, not to stdout"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    mode = "offline" if args.offline else "database"
    accounts = args.accounts if args.accounts is not None else DEFAULT_ACCOUNTS[mode]
    days = args.days if args.days is not None else DEFAULT_DAYS[mode]
    problem = _check(args, accounts=accounts, days=days)
    if problem:
        print(problem, file=sys.stderr)
        return 2

    now = datetime.now(UTC)
    if args.feeds is not None:
        return _write_feeds(args, accounts=accounts, now=now)
    if args.offline:
        return _run_offline(args, accounts=accounts, days=days, now=now)
    return _run_database(args, accounts=accounts, days=days, now=now)


def _check(args: argparse.Namespace, *, accounts: int, days: int) -> str | None:
    if accounts < 1:
        return "--accounts: must be at least 1"
    if days < 1:
        return "--days: must be at least 1"
    offline_only = [
        flag
        for flag, given in [
            ("--write", args.write is not None),
            ("--output", args.output is not None),
            ("--format", args.format != "table"),
        ]
        if given
    ]
    if offline_only and not args.offline:
        return f"{', '.join(offline_only)}: only with --offline"
    if args.force and args.offline:
        return "--force: only without --offline"
    return None


def _write_feeds(args: argparse.Namespace, *, accounts: int, now: datetime) -> int:
    from scorecards.demo.feeds import SALESFORCE_MAP, write_feeds

    for path in write_feeds(args.feeds, accounts=accounts, seed=args.seed, now=now):
        print(f"wrote {path}")
    folder = args.feeds
    print(
        "\nTry them against the running demo:\n"
        f"  scorecards import accounts {folder}/salesforce/Account.csv "
        f"{SALESFORCE_MAP}\n"
        f"  KEY=$(scorecards source add segment product --settings "
        f"{folder}/segment/rules.yaml)\n"
        f'  curl -u "$KEY:" -H "Content-Type: application/json" '
        f"--data @{folder}/segment/batch.json http://127.0.0.1:8000/v1/batch\n"
        "  HOOK=$(scorecards source add delighted delighted-nps)\n"
        '  curl -H "Content-Type: application/json" '
        f"--data @{folder}/delighted/response.json "
        "http://127.0.0.1:8000/hooks/delighted/$HOOK"
    )
    return 0


def _run_offline(
    args: argparse.Namespace, *, accounts: int, days: int, now: datetime
) -> int:
    if args.write is not None:
        return _score_book(args, args.write, accounts=accounts, days=days, now=now)
    with tempfile.TemporaryDirectory(prefix="scorecards-demo-") as folder:
        return _score_book(args, Path(folder), accounts=accounts, days=days, now=now)


def _score_book(
    args: argparse.Namespace,
    folder: Path,
    *,
    accounts: int,
    days: int,
    now: datetime,
) -> int:
    write_book(folder, accounts=accounts, seed=args.seed, end=now, days=days)
    cards = bundled_scorecards()
    if args.write is not None:
        for card in cards:
            (folder / card.name).write_text(card.read_text(encoding="utf-8"))
        cards = [folder / card.name for card in cards]
        print(f"wrote the demo book to {folder}/", file=sys.stderr)

    score_args = argparse.Namespace(
        scorecard=cards,
        signals=folder / "signals.csv",
        contacts=folder / "contacts.csv",
        accounts=folder / "accounts.csv",
        as_of=now.isoformat(),
        format=args.format,
        output=args.output,
    )
    return score.run(score_args)


def _run_database(
    args: argparse.Namespace, *, accounts: int, days: int, now: datetime
) -> int:
    try:
        setup_django()
        require_migrated()
    except CommandFailed as error:
        print(f"scorecards demo: {error}", file=sys.stderr)
        return error.status

    # Imported only now: models need Django set up, and --offline needs neither.
    from scorecards.demo import load

    if load.database_has_accounts() and not args.force:
        print(
            "The database already has accounts, so the demo was not loaded.\n"
            "To load it anyway, run `scorecards demo --force`: demo accounts with "
            "the same keys are updated, and signals already stored are skipped."
        )
        return 0

    print(f"loading {accounts:,} demo accounts with {days} days of signals...")
    with _quiet(CHATTY_LOGGERS):
        loaded = load.load_portfolio(
            accounts=accounts,
            seed=args.seed,
            now=now,
            days=days,
            daily_points=DAILY_POINTS,
            report=lambda line: print(f"  {line}"),
        )
    print(f"demo loaded in {loaded.seconds:.1f} s")
    return 0


@contextlib.contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    """Raise these loggers to WARNING for the duration, then put them back."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for each, level in zip(loggers, levels, strict=True):
            each.setLevel(level)
