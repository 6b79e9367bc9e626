"""``scorecards demo-login``: a local demo's login, made once and shown every run."""

import argparse
import logging
import os
import secrets
import string
from pathlib import Path

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django

logger = logging.getLogger(__name__)

USERNAME = "demo"
PASSWORD_FILE = "demo-password"
# Letters and digits only: easy to copy from a terminal and to type.
ALPHABET = string.ascii_letters + string.digits


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "demo-login",
        help="create the local demo login if missing, and print it (for make run)",
        description=f"In a development setup (SCORECARDS_DEBUG=true), create the "
        f"user {USERNAME!r} with a random password unless it exists, keep the "
        f"password in the data directory ({PASSWORD_FILE}) and print the login.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    setup_django()

    from django.conf import settings

    if not settings.DEBUG:
        raise CommandFailed(
            "demo-login is for a local development setup (SCORECARDS_DEBUG=true); "
            "create real logins with `scorecards createuser`",
            status=2,
        )
    require_migrated()

    kept = Path(settings.DATA_DIR) / PASSWORD_FILE
    password = known_password(kept)
    if password is None:
        print(
            f"The demo login {USERNAME!r} exists, but its password is not the one "
            f"kept in {kept}. Set one with: scorecards manage changepassword "
            f"{USERNAME}"
        )
        return 0

    print(f"Log in as {USERNAME} with the password {password}")
    return 0


def known_password(kept: Path) -> str | None:
    """The demo user's password, creating both when missing; None if unknown."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user = user_model.objects.filter(username=USERNAME).first()
    if user is None:
        password = "".join(secrets.choice(ALPHABET) for _ in range(12))
        user_model.objects.create_superuser(USERNAME, "", password)
        keep(kept, password)
        logger.info("demo login %s created", USERNAME)
        return password

    if not kept.exists():
        return None
    password = kept.read_text(encoding="utf-8").strip()
    return password if user.check_password(password) else None


def keep(path: Path, password: str) -> None:
    # Readable by this user only: it is a working password, if only a local one.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(password + "\n")
