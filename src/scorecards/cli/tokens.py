"""``scorecards token``: the API's bearer tokens, made, listed and revoked."""

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "token",
        help="create, list and revoke API tokens",
        description="API calls carry `Authorization: Bearer <token>`. A token is "
        "shown once, when it is created; only its hash is stored.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument(
        "--name", required=True,
        help="what the token is for, e.g. the integration using it",
    )  # fmt: skip
    create.set_defaults(handler=run_create)

    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    listing.set_defaults(handler=run_list)

    revoke = actions.add_parser("revoke", help="revoke a token: calls with it fail")
    revoke.add_argument("name")
    revoke.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    prepare()
    from scorecards.api.tokens import TokenError, create_token

    try:
        token, secret = create_token(name=args.name, now=datetime.now(UTC))
    except TokenError as error:
        raise CommandFailed(str(error)) from None

    # The secret alone goes to standard output, so a script can capture it with
    # $(scorecards token create ...) while a person still reads the note.
    print(f"Created the API token {token.name!r}:", file=sys.stderr)
    print(secret)
    print(
        "Copy it now: it will not be shown again. Only its hash is stored.",
        file=sys.stderr,
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    prepare()
    from scorecards.api.tokens import list_tokens

    tokens = list_tokens()
    if not tokens:
        print("No API tokens. Create one with: scorecards token create --name NAME")
        return 0

    rows = [("NAME", "STARTS WITH", "CREATED", "LAST USED", "REVOKED")]
    rows += [
        (
            token.name,
            f"{token.prefix}...",
            moment(token.created_at),
            moment(token.last_used_at),
            moment(token.revoked_at),
        )
        for token in tokens
    ]
    print_table(rows)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    prepare()
    from scorecards.api.tokens import TokenError, revoke_token

    try:
        token = revoke_token(name=args.name, now=datetime.now(UTC))
    except TokenError as error:
        raise CommandFailed(str(error)) from None

    print(f"Revoked the API token {token.name!r} ({moment(token.revoked_at)}).")
    return 0


def print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def prepare() -> None:
    # The token functions import models, which need Django set up first.
    setup_django()
    require_migrated()


def moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
