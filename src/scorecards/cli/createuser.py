"""``scorecards createuser``: a login for the web app."""

import argparse
import getpass
import logging
import os
import sys
from typing import Any

from scorecards.cli.django_setup import CommandFailed, setup_django

logger = logging.getLogger(__name__)

PASSWORD_ENV = "SCORECARDS_PASSWORD"


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "createuser",
        help="create a login for the web app",
        description="Create a user who can log in to the web app. The password is "
        f"asked for twice, or read from {PASSWORD_ENV} when a script runs the "
        "command; it is never shown.",
    )
    parser.add_argument("--username", required=True)
    parser.add_argument("--email", default="")
    parser.add_argument(
        "--role",
        choices=["admin", "manager", "csm", "viewer"],
        default="viewer",
        help="admin: configuration, users, tokens; manager: everything in their "
        "teams; csm: their own accounts; viewer: reads only (default)",
    )
    parser.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="NAME",
        help="a team to join (created when missing); repeat for several",
    )
    parser.add_argument(
        "--manages",
        action="append",
        default=[],
        metavar="TEAM",
        help="a team this user manages (created when missing); repeat for several",
    )
    parser.add_argument(
        "--superuser", action="store_true", help="may do everything, in every team"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    setup_django()

    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    username = user_model.normalize_username(args.username)
    if user_model.objects.filter(username=username).exists():
        raise CommandFailed(f"user {username!r} already exists")

    user = user_model(
        username=username,
        email=user_model.objects.normalize_email(args.email),
        is_staff=args.superuser,
        is_superuser=args.superuser,
    )
    check(user, exclude=["password"])
    password = read_password()
    check_password(password, user)
    user.set_password(password)
    save_new(user, role=args.role, teams=args.team, manages=args.manages)

    kind = "superuser" if args.superuser else args.role
    logger.info("user %s created (%s)", username, kind)
    print(f"Created {kind} {username}.")
    return 0


def read_password() -> str:
    """The password from the environment, else typed twice at a terminal."""
    password = os.environ.get(PASSWORD_ENV, "")
    if password:
        return password

    if not sys.stdin.isatty():
        raise CommandFailed(
            f"no password: set {PASSWORD_ENV}, or run the command in a terminal",
            status=2,
        )

    password = getpass.getpass("Password: ")
    if not password:
        raise CommandFailed("the password is empty; nothing was created", status=2)
    if getpass.getpass("Password (again): ") != password:
        raise CommandFailed("the passwords differ; nothing was created", status=2)
    return password


def check(user: Any, *, exclude: list[str]) -> None:
    from django.core.exceptions import ValidationError

    try:
        user.full_clean(exclude=exclude)
    except ValidationError as error:
        raise CommandFailed(describe(error), status=2) from None


def check_password(password: str, user: Any) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as error:
        raise CommandFailed(f"password: {describe(error)}", status=2) from None


def save_new(user: Any, *, role: str, teams: list[str], manages: list[str]) -> None:
    from django.db import IntegrityError, transaction

    from scorecards.people.service import (
        join_teams,
        manage_teams,
        record_created,
        set_role,
    )

    # Another createuser for the same name can land between the check and here.
    try:
        with transaction.atomic():
            user.save()
            set_role(user, role)
            join_teams(user, teams)
            manage_teams(user, manages)
            record_created(user)
    except IntegrityError:
        raise CommandFailed(
            "that user was created meanwhile; nothing changed"
        ) from None


def describe(error: Any) -> str:
    """Every message of a ValidationError, on one line."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
