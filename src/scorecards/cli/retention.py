"""``scorecards retention``: remove what the retention settings no longer keep."""

import argparse
from datetime import UTC, datetime

from scorecards.cli.django_setup import require_migrated, setup_django

LABELS = {
    "signals": "signals",
    "product_events": "product events",
    "comments": "survey comments",
    "audit_entries": "audit entries",
}
SETTINGS = {
    "signals": "SIGNALS",
    "product_events": "SIGNALS",
    "comments": "COMMENTS",
    "audit_entries": "AUDIT",
}


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "retention",
        help="remove raw data older than the retention settings allow",
        description="Delete signals and audit entries, and blank survey comments, "
        "older than SCORECARDS_RETAIN_SIGNALS_DAYS, SCORECARDS_RETAIN_AUDIT_DAYS "
        "and SCORECARDS_RETAIN_COMMENTS_DAYS allow (0 keeps them for ever). Daily "
        "score points are kept. The workers do this once a day.",
    )
    parser.add_argument(
        "--dry-run", action="store_true",
        help="count what would go, and remove nothing",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    setup_django()
    require_migrated()
    from django.conf import settings

    from scorecards.privacy.retention import apply_retention

    done = apply_retention(now=datetime.now(UTC), dry_run=args.dry_run)
    for note in done.notes:
        print(f"Note: {note}.")
    if not done.cutoffs:
        print("Nothing to remove: every kind is kept for ever (see --help).")
        return 0

    verb = "Would remove" if args.dry_run else "Removed"
    for kind, cutoff in done.cutoffs.items():
        count = done.removed.get(kind, 0)
        before = cutoff.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        print(f"{verb} {count} {LABELS[kind]} from before {before}.")
    for kind, name in SETTINGS.items():
        if not getattr(settings, f"RETAIN_{name}_DAYS"):
            print(f"Kept all {LABELS[kind]}: SCORECARDS_RETAIN_{name}_DAYS is 0.")
    return 0
