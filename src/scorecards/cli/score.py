"""``scorecards score``: score a book of accounts from CSV files, no server needed."""

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from scorecards.cli.inputs import (
    Book,
    FileProblem,
    parse_time,
    read_accounts,
    read_contacts,
    read_signals,
)
from scorecards.cli.output import render_csv, render_json, render_table
from scorecards.engine import Scorecard, ScorecardError, load_scorecard, score_portfolio

logger = logging.getLogger(__name__)

RENDERERS = {"json": render_json, "csv": render_csv, "table": render_table}


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "score",
        help="score accounts from CSV files and scorecard files",
        description="Score every account in the signals (or accounts) file under the "
        "scorecard that applies to it, as of a moment, and print the result.",
    )
    parser.add_argument(
        "--scorecard", action="append", required=True, type=Path, metavar="FILE",
        help="a scorecard file (YAML, or JSON by its .json suffix); repeat for more",
    )  # fmt: skip
    parser.add_argument(
        "--signals", required=True, type=Path, metavar="FILE",
        help="CSV: account,metric,value,observed_at[,contact,source,id]",
    )  # fmt: skip
    parser.add_argument(
        "--contacts", type=Path, metavar="FILE",
        help="CSV: account,contact,role[,name,email]",
    )  # fmt: skip
    parser.add_argument(
        "--accounts", type=Path, metavar="FILE",
        help="CSV: account[,name,segment,csm,...]; other columns are attributes",
    )  # fmt: skip
    parser.add_argument(
        "--as-of", metavar="TIME",
        help="ISO 8601 time with a zone, e.g. 2026-11-30T23:59:59Z (default: now)",
    )  # fmt: skip
    add_output_arguments(parser)
    parser.set_defaults(handler=run)


def add_output_arguments(
    parser: argparse.ArgumentParser, default: str = "json"
) -> None:
    parser.add_argument("--format", choices=sorted(RENDERERS), default=default)
    parser.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write here, not to stdout"
    )


def read_book(
    args: argparse.Namespace, problems: list[FileProblem]
) -> tuple[Book, bool]:
    """The accounts, contacts and signals files the arguments name, read into
    a Book, and whether its accounts are known from an accounts file; each
    problem found is added to ``problems``."""
    book = Book()
    account_problems = []
    if args.accounts is not None:
        account_problems = read_accounts(args.accounts, book)
        problems += account_problems
    # With an unreadable accounts file or header, "unknown account" on every
    # other row would bury the one problem that matters.
    broken = any(problem.line in (None, 1) for problem in account_problems)
    known = args.accounts is not None and not broken
    if args.contacts is not None:
        problems += read_contacts(args.contacts, book, known_accounts=known)
    problems += read_signals(args.signals, book, known_accounts=known)
    return book, known


def run(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    problems: list[FileProblem] = []

    scorecards = read_scorecards(args.scorecard, problems)
    as_of = now
    if args.as_of is not None:
        try:
            as_of = parse_time(args.as_of)
        except ValueError as error:
            problems.append(FileProblem("--as-of", str(error)))

    book, known = read_book(args, problems)

    if problems:
        return report_problems(problems)

    if not known:
        book.accounts = {account: {} for account in book.signals.accounts()}
    if book.repeated:
        rows = "row repeats" if book.repeated == 1 else "rows repeat"
        print(
            f"{args.signals}: {book.repeated} {rows} an earlier one (the same "
            "source and id, or the same content) and counted once",
            file=sys.stderr,
        )
    return write_results(args, book, scorecards, as_of)


def write_results(
    args: argparse.Namespace, book: Book, scorecards: list[Scorecard], as_of: datetime
) -> int:
    results = score_portfolio(
        scorecards=scorecards,
        accounts=book.accounts,
        histories=book.signals.build(),
        roles=book.roles,
        as_of=as_of,
    )
    text = RENDERERS[args.format](results)

    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"{args.output}: cannot write: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def read_scorecards(paths: list[Path], problems: list[FileProblem]) -> list[Scorecard]:
    """Load each file; problems are collected, not raised, so all are shown."""
    cards: list[Scorecard] = []
    origin: dict[str, Path] = {}
    for path in paths:
        try:
            card = load_scorecard(path)
        except OSError as error:
            problems.append(
                FileProblem(str(path), f"cannot read the file: {error.strerror}")
            )
            continue
        except ScorecardError as error:
            problems.extend(FileProblem(str(path), str(p)) for p in error.problems)
            continue

        if card.key in origin:
            message = f"key {card.key!r} is already used by {origin[card.key]}"
            problems.append(FileProblem(str(path), message))
            continue
        origin[card.key] = path
        cards.append(card)
    return cards


def report_problems(problems: list[FileProblem]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    print(f"{count} {noun} found; nothing was scored.", file=sys.stderr)
    return 2
