"""``scorecards check``: warn about an unsafe production configuration."""

import argparse

from scorecards.cli.django_setup import CommandFailed, setup_django


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "check",
        help="warn about an unsafe production configuration",
        description="Read the configuration as `scorecards serve` would and say "
        "what is unsafe (debug mode, a weak or default secret key, no HTTPS, any "
        "host allowed, a readable data folder...) or could be better. Exits 1 when "
        "there is a warning, 2 when the configuration cannot be read at all; run "
        "it in a deployment pipeline before starting the service.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        setup_django()
    except CommandFailed as error:
        print(f"error: {error}")
        return 2

    from django.conf import settings

    from scorecards.config.safety import Level, findings

    found = findings(settings)
    for finding in found:
        print(finding)
    warnings = sum(finding.level == Level.WARNING for finding in found)
    if not found:
        print("No problems found.")
    elif not warnings:
        print(f"No warnings; {len(found)} pieces of advice.")
    else:
        noun = "warning" if warnings == 1 else "warnings"
        print(f"{warnings} {noun} to fix before serving real data.")
    return 1 if warnings else 0
