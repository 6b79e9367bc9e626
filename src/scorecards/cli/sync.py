"""``scorecards sync salesforce``: run a connector now, and say what it did."""

import argparse
from datetime import UTC, datetime

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "sync",
        help="sync a connector now (the workers also run it on its schedule)",
        description="Read accounts, contacts and metrics from a connected system "
        "now. When it answers with an error, nothing is changed.",
    )
    parser.add_argument("system", choices=["salesforce"])
    parser.add_argument(
        "name", nargs="?",
        help="the source to sync (needed when there is more than one)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    setup_django()
    require_migrated()
    from scorecards.sources.models import Source
    from scorecards.sources.salesforce import SyncFailed, sync

    sources = Source.objects.filter(kind=args.system, revoked_at=None)
    if args.name:
        sources = sources.filter(name=args.name)
    found = list(sources)
    if not found:
        what = f"named {args.name!r}" if args.name else "at all"
        raise CommandFailed(
            f"no {args.system} source {what}: add one with "
            f"scorecards source add {args.system} NAME --settings FILE"
        )
    if len(found) > 1:
        names = ", ".join(source.name for source in found)
        raise CommandFailed(f"which source? {names}", status=2)

    source = found[0]
    try:
        report = sync(source, now=datetime.now(UTC))
    except SyncFailed as failure:
        raise CommandFailed(f"{source.name}: nothing changed: {failure}") from None
    counts = ", ".join(f"{count} {name}" for name, count in report.counts.items())
    print(f"Synced {source.name} in {report.seconds:.1f} s: {counts}.")
    return 0
