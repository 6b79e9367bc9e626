"""The ``scorecards`` command: one entry point for every job the product runs."""

import argparse
import logging
import sys
from collections.abc import Sequence

from scorecards.cli import demo, score


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorecards",
        description="Live, weighted customer health scores.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    score.add_parser(commands)
    demo.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # A reader such as `head` went away; there is nobody left to tell.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
