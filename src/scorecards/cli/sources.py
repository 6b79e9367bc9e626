"""``scorecards source``: where data comes from, made, configured, listed, revoked."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from scorecards.cli.django_setup import CommandFailed
from scorecards.cli.tokens import moment, prepare, print_table

KINDS = ("delighted", "salesforce", "segment", "typeform")

WHERE = {
    "delighted": "Point Delighted's webhook at {base}/hooks/delighted/{key}",
    "typeform": "Point the form's webhook at {base}/hooks/typeform/{key}",
    "segment": "Use it as the write key of a Segment library whose host is {base}",
    "salesforce": "Run it with: scorecards sync salesforce {name}",
}


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "source",
        help="add, configure, list and revoke data sources (Segment, webhooks...)",
        description="A source is a system that sends data: a Segment library, a "
        "survey tool's webhook, a CRM. Its name becomes the source of every "
        "signal it brings; its key, shown once, is how it proves who it is.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a source and print its key once")
    add.add_argument("kind", choices=KINDS)
    add.add_argument("name", help="e.g. product-events, delighted-nps")
    _settings_arguments(add)
    add.set_defaults(handler=run_add)

    configure = actions.add_parser("configure", help="replace a source's settings")
    configure.add_argument("name")
    _settings_arguments(configure)
    configure.set_defaults(handler=run_configure)

    listing = actions.add_parser("list", help="list sources (never their keys)")
    listing.set_defaults(handler=run_list)

    revoke = actions.add_parser("revoke", help="revoke a source: its calls fail")
    revoke.add_argument("name")
    revoke.set_defaults(handler=run_revoke)


def _settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--settings", type=Path, metavar="FILE",
        help="the source's settings, YAML or JSON (see docs/importing.md)",
    )  # fmt: skip
    parser.add_argument(
        "--signing-secret-file", type=Path, metavar="FILE",
        help="a file holding the secret the source signs its calls with "
        "(Typeform's webhook secret); - reads it from standard input",
    )  # fmt: skip


def _read_settings(args: argparse.Namespace) -> Any:
    if args.settings is None:
        return None
    try:
        return yaml.safe_load(args.settings.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandFailed(f"{args.settings}: {error.strerror}", status=2) from None
    except yaml.YAMLError as error:
        raise CommandFailed(f"{args.settings}: not YAML: {error}", status=2) from None


def _read_secret(args: argparse.Namespace) -> str | None:
    path = args.signing_secret_file
    if path is None:
        return None
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as error:
        raise CommandFailed(f"{path}: {error.strerror}", status=2) from None
    return text.strip()


def run_add(args: argparse.Namespace) -> int:
    settings, secret = _read_settings(args), _read_secret(args)
    prepare()
    from scorecards.sources.config import SettingsError
    from scorecards.sources.registry import SourceError, create_source

    try:
        source, key = create_source(
            kind=args.kind,
            name=args.name,
            settings=settings,
            signing_secret=secret or "",
            now=datetime.now(UTC),
        )
    except SettingsError as error:
        raise CommandFailed(_settings_problems(args, error), status=2) from None
    except SourceError as error:
        raise CommandFailed(str(error)) from None

    print(f"Added the {source.kind} source {source.name!r}. Its key:", file=sys.stderr)
    print(key)
    hint = WHERE[source.kind].format(
        base="https://SCORECARDS", key=key, name=source.name
    )
    print(f"{hint}\nCopy the key now: it will not be shown again.", file=sys.stderr)
    return 0


def run_configure(args: argparse.Namespace) -> int:
    settings, secret = _read_settings(args), _read_secret(args)
    prepare()
    from scorecards.sources.config import SettingsError
    from scorecards.sources.registry import SourceError, configure_source

    try:
        source = configure_source(
            name=args.name, settings=settings, signing_secret=secret
        )
    except SettingsError as error:
        raise CommandFailed(_settings_problems(args, error), status=2) from None
    except SourceError as error:
        raise CommandFailed(str(error)) from None
    print(f"Configured the {source.kind} source {source.name!r}.")
    return 0


def _settings_problems(args: argparse.Namespace, error: Any) -> str:
    place = args.settings or "settings"
    return "\n".join(f"{place}: {problem}" for problem in error.problems)


def run_list(args: argparse.Namespace) -> int:
    prepare()
    from scorecards.sources.registry import list_sources

    sources = list_sources()
    if not sources:
        print("No sources. Add one with: scorecards source add KIND NAME")
        return 0
    rows = [("NAME", "KIND", "KEY STARTS WITH", "SIGNED", "CREATED", "REVOKED")]
    rows += [
        (
            source.name,
            source.kind,
            f"{source.key_prefix}...",
            "yes" if source.signing_secret else "no",
            moment(source.created_at),
            moment(source.revoked_at),
        )
        for source in sources
    ]
    print_table(rows)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    prepare()
    from scorecards.sources.registry import SourceError, revoke_source

    try:
        source = revoke_source(name=args.name, now=datetime.now(UTC))
    except SourceError as error:
        raise CommandFailed(str(error)) from None
    print(f"Revoked the source {source.name!r} ({moment(source.revoked_at)}).")
    return 0
