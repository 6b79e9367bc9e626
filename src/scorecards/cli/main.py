"""The ``scorecards`` command: one entry point for every job the product runs."""

import argparse
import logging
import sys
from collections.abc import Sequence

from scorecards.audit.actors import COMMAND_LINE, SYSTEM, acting_as
from scorecards.cli import (
    backfill,
    backtest,
    check,
    createuser,
    demo,
    demo_login,
    importing,
    manage,
    migrate,
    retention,
    score,
    serve,
    snapshot,
    sources,
    sync,
    tokens,
    worker,
)
from scorecards.cli.django_setup import CommandFailed
from scorecards.config.logformat import StderrHandler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorecards",
        description="Live, weighted customer health scores.",
    )
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", dest="command", required=True
    )
    score.add_parser(commands)
    backtest.add_parser(commands)
    demo.add_parser(commands)
    serve.add_parser(commands)
    worker.add_parser(commands)
    migrate.add_parser(commands)
    snapshot.add_parser(commands)
    retention.add_parser(commands)
    backfill.add_parser(commands)
    importing.add_parser(commands)
    sources.add_parser(commands)
    sync.add_parser(commands)
    tokens.add_parser(commands)
    createuser.add_parser(commands)
    check.add_parser(commands)
    demo_login.add_parser(commands)
    manage.add_parser(commands)
    return parser


SERVICES = frozenset({"serve", "worker"})


def parse(argv: list[str]) -> argparse.Namespace:
    if argv[:1] == ["manage"]:
        # Everything after `manage`, --help included, is for Django to parse.
        return argparse.Namespace(
            command="manage", handler=manage.run, arguments=argv[1:]
        )
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[StderrHandler()],
    )
    args = parse(sys.argv[1:] if argv is None else list(argv))
    # The server and the worker act for the people and tokens they serve, or
    # as the system; every other command is the operator at the command line.
    actor = SYSTEM if args.command in SERVICES else COMMAND_LINE
    try:
        with acting_as(actor):
            return int(args.handler(args))
    except CommandFailed as error:
        print(f"scorecards {args.command}: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # A reader such as `head` went away; there is nobody left to tell.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
