"""Sources made, configured, revoked and found by their key."""

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from scorecards.audit.log import record
from scorecards.lib.keys import digest, new_key
from scorecards.sources.config import check_settings
from scorecards.sources.models import Source, SourceKind

logger = logging.getLogger(__name__)

KEY_PREFIX = "src_"


class SourceError(Exception):
    """A source operation that cannot be done, with a message for the operator."""


key_hash = digest


def create_source(
    *,
    kind: str,
    name: str,
    settings: Any = None,
    signing_secret: str = "",
    now: datetime,
) -> tuple[Source, str]:
    """Make a source; returns it with its key, shown only now."""
    if kind not in SourceKind.values:
        raise SourceError(f"no kind of source {kind!r}")
    name = name.strip()
    if not name or len(name) > 100:
        raise SourceError("a source needs a name of 1 to 100 characters")

    key = new_key(KEY_PREFIX)
    source = Source(
        name=name,
        kind=kind,
        key_prefix=key.shown,
        key_hash=key.digest,
        signing_secret=signing_secret,
        settings=check_settings(kind, settings),
        created_at=now,
    )
    try:
        with transaction.atomic():
            source.save()
            record(
                "source.created",
                target=f"source:{name}",
                after=_state(source),
                at=now,
            )
    except IntegrityError:
        raise SourceError(f"a source named {name!r} already exists") from None
    logger.info("source %s (%s) created (%s...)", name, kind, source.key_prefix)
    return source, key.secret


def configure_source(
    *, name: str, settings: Any, signing_secret: str | None = None
) -> Source:
    source = _named(name)
    before = _state(source)
    source.settings = check_settings(source.kind, settings)
    if signing_secret is not None:
        source.signing_secret = signing_secret
    with transaction.atomic():
        source.save(update_fields=["settings", "signing_secret"])
        record(
            "source.configured",
            target=f"source:{name}",
            before=before,
            after=_state(source),
        )
    logger.info("source %s reconfigured", name)
    return source


def revoke_source(*, name: str, now: datetime) -> Source:
    source = _named(name)
    if source.revoked_at is None:
        source.revoked_at = now
        with transaction.atomic():
            source.save(update_fields=["revoked_at"])
            record("source.revoked", target=f"source:{name}", at=now)
        logger.info("source %s revoked", name)
    return source


def list_sources() -> list[Source]:
    return list(Source.objects.all())


def source_for_key(kind: str, key: str) -> Source | None:
    """The live source of ``kind`` whose key this is; looked up by hash."""
    if not key:
        return None
    return Source.objects.filter(
        kind=kind, key_hash=key_hash(key), revoked_at=None
    ).first()


def _state(source: Source) -> dict[str, Any]:
    """What the audit log keeps of a source: its settings (which name secrets
    by where they are kept, never by value) and whether it signs; no key."""
    return {
        "kind": source.kind,
        "settings": source.settings,
        "signed": bool(source.signing_secret),
    }


def _named(name: str) -> Source:
    source = Source.objects.filter(name=name).first()
    if source is None:
        raise SourceError(f"no source named {name!r}")
    return source
