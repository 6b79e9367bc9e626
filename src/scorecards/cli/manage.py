"""``scorecards manage``: Django's own management commands, for operators."""

import argparse

from scorecards.cli.django_setup import setup_django


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "manage",
        help="run a Django management command (e.g. `manage changepassword NAME`)",
        description="Pass everything after `manage` to Django's management "
        "commands, with this service's settings. `scorecards manage help` lists them.",
        # Every option, --help included, belongs to the Django command.
        add_help=False,
    )
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    setup_django()

    from django.core.management import ManagementUtility

    ManagementUtility(["scorecards manage", *args.arguments]).execute()
    return 0
