"""Creating, listing, revoking and checking API tokens.

A token is 256 random bits, shown once when it is made; only its SHA-256 hash
is kept. A fast hash is enough here, unlike for a password: with that much
randomness there is nothing to guess, so nothing to slow down.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from scorecards.api.models import ApiToken

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "sc_"
SHOWN_CHARACTERS = 8

# Writing last_used_at on every call would add a write to every read; a
# minute's precision is all anyone looking at the list needs.
USE_RECORDED_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """A token operation that cannot be done, with a message for the operator."""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Make a token called ``name``; returns it with its secret, shown only now."""
    name = name.strip()
    if not name or len(name) > ApiToken._meta.get_field("name").max_length:
        raise TokenError("a token needs a name of 1 to 100 characters")

    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS],
        secret_hash=secret_hash(secret),
        created_at=now,
    )
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError:
        raise TokenError(f"a token named {name!r} already exists") from None

    logger.info("api token %s created (%s...)", name, token.prefix)
    return token, secret


def list_tokens() -> list[ApiToken]:
    return list(ApiToken.objects.order_by("created_at", "name"))


def revoke_token(*, name: str, now: datetime) -> ApiToken:
    """Revoke the token called ``name``; revoking it again changes nothing."""
    token = ApiToken.objects.filter(name=name).first()
    if token is None:
        raise TokenError(f"no token named {name!r}")
    if token.revoked_at is not None:
        return token

    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    logger.info("api token %s revoked", name)
    return token


def active_token(secret: str, *, now: datetime) -> ApiToken | None:
    """The unrevoked token whose secret this is, or None.

    The lookup is by the secret's hash, so the database never compares secrets
    and a timing difference can tell an attacker nothing about one.
    """
    found = ApiToken.objects.filter(secret_hash=secret_hash(secret), revoked_at=None)
    token = found.first()
    if token is None:
        return None

    if token.last_used_at is None or now - token.last_used_at >= USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
