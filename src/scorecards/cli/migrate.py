"""``scorecards migrate``: bring the database's tables up to this version."""

import argparse
import logging

from scorecards.cli.django_setup import setup_django

logger = logging.getLogger(__name__)


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "migrate",
        help="create or upgrade the database's tables",
        description="Apply every migration this version has and the database lacks. "
        "Run it once after installing or upgrading, before starting `serve` and "
        "`worker`; running it again does nothing.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    setup_django()

    from django.core.management import call_command
    from django.db import connection

    logger.info("migrating the %s database", connection.vendor)
    call_command("migrate", interactive=False, verbosity=1)
    return 0
