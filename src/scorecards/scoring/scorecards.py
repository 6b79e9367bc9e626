"""Publishing scorecards as immutable versions, and finding the ones in force."""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Max

from scorecards import engine
from scorecards.audit.log import record
from scorecards.engine.parsing import Format
from scorecards.lib.sql import fetch
from scorecards.scoring.models import Scorecard, ScorecardVersion

logger = logging.getLogger(__name__)

# Versions never change once published, so a parsed version can be kept for the
# life of the process. The source is part of the key because SQLite hands a
# rolled-back version's id to the next one.
_parsed: dict[tuple[int, str], engine.Scorecard] = {}


def parsed(version: ScorecardVersion) -> engine.Scorecard:
    """The engine's scorecard for a stored version, parsed once per process."""
    if version.pk is None:  # a draft, being previewed: never kept
        return engine.build_scorecard(version.definition, version=version.number)
    cache_key = (version.pk, version.source)
    card = _parsed.get(cache_key)
    if card is None:
        card = engine.build_scorecard(version.definition, version=version.number)
        _parsed[cache_key] = card
    return card


def publish_scorecard(
    *, source: str, format: Format, author: str, now: datetime
) -> ScorecardVersion:
    """Store ``source`` as the next version of its scorecard and make it current.

    Raises engine.ScorecardError, listing every problem, before anything is
    saved. Call it inside a transaction with ``rescore`` of every account, as
    ``scoring.publish.publish`` does, so no reader sees the old scores under the
    new version.
    """
    data = engine.decode_scorecard(source, format=format)
    card = engine.build_scorecard(data)

    with transaction.atomic():
        scorecard, _ = Scorecard.objects.select_for_update().get_or_create(
            key=card.key, defaults={"created_at": now}
        )
        latest = scorecard.versions.aggregate(n=Max("number"))["n"] or 0
        version = ScorecardVersion.objects.create(
            scorecard=scorecard,
            number=latest + 1,
            name=card.name,
            source=source,
            format=format,
            definition=data,
            published_at=now,
            published_by=author,
        )
        scorecard.current = version
        scorecard.save(update_fields=["current"])
        record(
            "scorecard.published",
            target=f"scorecard:{card.key}",
            before={"version": latest} if latest else None,
            after={"version": version.number, "name": card.name, "source": source},
            at=now,
        )

    logger.info("scorecard %s: published version %d", card.key, version.number)
    return version


# The current versions as loaded, by (id, source) as in _parsed: every batch
# of signals asks which versions are current, and most of that answer (the
# definition's JSON, the scorecard row) never changes.
_loaded: dict[tuple[int, str], ScorecardVersion] = {}


def current_versions() -> list[ScorecardVersion]:
    """The version each scorecard is under now. Treat them as read-only: they
    are shared by every caller in the process."""
    keys = fetch(
        f"SELECT v.id, v.source FROM {ScorecardVersion._meta.db_table} v"
        f" JOIN {Scorecard._meta.db_table} s ON s.current_id = v.id ORDER BY v.id",
        [],
    )
    missing = [pk for pk, source in keys if (pk, source) not in _loaded]
    if missing:
        versions = ScorecardVersion.objects.filter(pk__in=missing)
        for version in versions.select_related("scorecard"):
            _loaded[(version.pk, version.source)] = version
    return [_loaded[key] for key in keys]


def versions_at(moment: datetime) -> list[ScorecardVersion]:
    """The version of each scorecard in force at ``moment``.

    Before the very first publication nothing was in force; the first version
    of every scorecard is taken back in time then, so history from before the
    product was set up (an import of last year's data) can still be scored.
    """
    versions = list(
        ScorecardVersion.objects.select_related("scorecard").order_by(
            "scorecard_id", "number"
        )
    )
    before_all = all(version.published_at > moment for version in versions)

    in_force: dict[int, ScorecardVersion] = {}
    for version in versions:
        if before_all:
            in_force.setdefault(version.scorecard_id, version)
        elif version.published_at <= moment:
            in_force[version.scorecard_id] = version
    return list(in_force.values())
