"""``scorecards demo``: make a made-up book of accounts and score it."""

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from scorecards.cli import score
from scorecards.demo.generate import write_book


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "demo",
        help="score a made-up book of accounts, to see the product at work",
        description="Generate a realistic book of accounts with a year of signals "
        "up to now, score it with the bundled scorecards and print the result.",
    )
    parser.add_argument("--accounts", type=int, default=40, metavar="N")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--write", type=Path, metavar="DIR",
        help="keep the generated CSV and scorecard files in DIR to try `score` on",
    )  # fmt: skip
    score.add_output_arguments(parser, default="table")
    parser.set_defaults(handler=run)


def bundled_scorecards() -> list[Path]:
    folder = resources.files("scorecards.demo") / "scorecards"
    return sorted(
        Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def run(args: argparse.Namespace) -> int:
    if args.accounts < 1:
        print("--accounts: must be at least 1", file=sys.stderr)
        return 2

    now = datetime.now(UTC)
    if args.write is not None:
        return _score_book(args, args.write, now)
    with tempfile.TemporaryDirectory(prefix="scorecards-demo-") as folder:
        return _score_book(args, Path(folder), now)


def _score_book(args: argparse.Namespace, folder: Path, now: datetime) -> int:
    write_book(folder, accounts=args.accounts, seed=args.seed, end=now)
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
