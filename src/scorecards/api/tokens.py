"""Creating, listing, revoking and checking API tokens.

A token is shown once when it is made; only its hash is kept (see lib/keys.py).
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from scorecards.api.models import ApiToken
from scorecards.audit.log import record
from scorecards.lib.keys import digest, new_key

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "sc_"

# Writing last_used_at on every call would add a write to every read; a
# minute's precision is all anyone looking at the list needs.
USE_RECORDED_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """A token operation that cannot be done, with a message for the operator."""


secret_hash = digest


def create_token(*, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Make a token called ``name``; returns it with its secret, shown only now."""
    name = name.strip()
    if not name or len(name) > ApiToken._meta.get_field("name").max_length:
        raise TokenError("a token needs a name of 1 to 100 characters")

    key = new_key(TOKEN_PREFIX)
    token = ApiToken(
        name=name, prefix=key.shown, secret_hash=key.digest, created_at=now
    )
    try:
        with transaction.atomic():
            token.save()
            record(
                "token.created",
                target=f"token:{name}",
                after={"name": name, "prefix": token.prefix},
                at=now,
            )
    except IntegrityError:
        raise TokenError(f"a token named {name!r} already exists") from None

    logger.info("api token %s created (%s...)", name, token.prefix)
    return token, key.secret


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
    with transaction.atomic():
        token.save(update_fields=["revoked_at"])
        record(
            "token.revoked",
            target=f"token:{name}",
            before={"name": name, "prefix": token.prefix},
            at=now,
        )
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
