"""Secrets named in settings, never written in them: an environment variable or
a file (as container platforms mount secrets) holds each one."""

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SecretRef(BaseModel):
    """Where a secret is: ``{"env": "NAME"}`` or ``{"file": "/path"}``."""

    model_config = ConfigDict(extra="forbid")

    env: str | None = Field(default=None, min_length=1, max_length=200)
    file: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_place(self) -> "SecretRef":
        if (self.env is None) == (self.file is None):
            raise ValueError("give either env or file")
        return self


class SecretUnavailable(Exception):
    """The secret named cannot be read; the message says which and why."""


def read_secret(reference: Mapping[str, str] | None, what: str) -> str:
    """The secret ``reference`` names; SecretUnavailable, naming ``what``, when
    it is not configured, its variable is empty or its file unreadable."""
    if not reference:
        raise SecretUnavailable(f"{what}: not configured")
    if reference.get("env"):
        value = os.environ.get(reference["env"], "")
        if not value:
            raise SecretUnavailable(
                f"{what}: the environment variable {reference['env']} is empty"
            )
        return value
    try:
        return Path(reference["file"]).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SecretUnavailable(
            f"{what}: cannot read {reference['file']}: {error.strerror}"
        ) from None
