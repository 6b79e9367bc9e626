"""Secrets handed to a client once and kept only as a hash: API tokens, source keys.

256 random bits, so a fast hash is enough (unlike for a password: with that
much randomness there is nothing to guess, so nothing to slow down). A few of
the first characters are kept in the clear, to tell keys apart in a list.
"""

import hashlib
import secrets
from dataclasses import dataclass

SHOWN_CHARACTERS = 8


@dataclass(frozen=True, slots=True)
class NewKey:
    secret: str  # shown once, never stored
    shown: str  # the prefix kept to recognise it
    digest: str  # what is stored and looked up


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(prefix: str) -> NewKey:
    secret = prefix + secrets.token_urlsafe(32)
    return NewKey(secret, secret[: len(prefix) + SHOWN_CHARACTERS], digest(secret))
