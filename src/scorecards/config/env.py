"""Strict readers for the environment variables the settings depend on.

Each helper names the variable in its error, so a typo in a deployment fails at
startup with a message an operator can act on instead of silently using a default.
An empty value counts as unset, because container tools often write `NAME=` for a
variable the operator meant to leave alone.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_str(name: str, *, default: str = "") -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, *, default: bool) -> bool:
    value = env_str(name).lower()
    if not value:
        return default

    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False

    raise ImproperlyConfigured(
        f"{name} must be a boolean (true/false, yes/no, on/off, 1/0), "
        f"got {os.environ[name]!r}"
    )


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    value = env_str(name)
    if not value:
        return default

    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, got {value!r}"
        ) from None

    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_choice(name: str, *, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default=default).upper()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(choices)}, got {os.environ[name]!r}"
        )
    return value


def env_list(name: str, *, default: tuple[str, ...] = ()) -> list[str]:
    value = env_str(name)
    if not value:
        return list(default)

    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, *, default: str) -> Path:
    """Read a directory path; a relative one is taken from the working directory."""
    return Path(env_str(name, default=default)).expanduser().resolve()


def read_file_or_env(name: str) -> str:
    """A secret from ``NAME``, or from the file that ``NAME_FILE`` names (as
    container platforms mount secrets); the file wins when both are set."""
    path = env_str(f"{name}_FILE")
    if not path:
        return env_str(name)
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE: cannot read {path}: {error.strerror}"
        ) from None
