"""Rebuilding daily points over a range of days from the stored signals.

After an import of last year's history, the daily points for those days do not
exist yet; after a scorecard changed, someone may want to see how history would
have looked under it. A backfill reads each chunk of accounts' signals once,
for the whole range, and scores every day in memory:

- by default under the scorecard versions in force on each day, replacing the
  stored daily points of the range (running it again gives the same points);
- with ``cards``, under those scorecards instead, writing nothing: the points
  go to ``write_row`` (the command prints them as CSV), for comparison.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.lib.chunks import in_chunks
from scorecards.scoring.history import end_of_day
from scorecards.scoring.models import PointKind, ScorecardVersion, ScorePoint
from scorecards.scoring.rescore import (
    NO_HISTORY,
    load_histories,
    longest_lookback,
    overrides_at,
    roles_of,
)
from scorecards.scoring.scorecards import parsed, versions_at

logger = logging.getLogger(__name__)

CHUNK = 500

Row = tuple[str, date, float | None, str, str]  # account, day, score, grade, status


@dataclass(frozen=True)
class Backfilled:
    accounts: int
    days: int
    points: int


def backfill(
    *,
    start: date,
    end: date,
    cards: Sequence[engine.Scorecard] | None = None,
    write_row: Callable[[Row], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Backfilled:
    """Score every account at the end of each day from ``start`` to ``end``."""
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    schedule = [_in_force(day, cards) for day in days]
    all_cards = {card.key: card for _, day_cards in schedule for card in day_cards}
    metrics = set().union(*(card.metrics() for card in all_cards.values()))
    reach = longest_lookback(list(all_cards.values()))
    lookback = reach + (end_of_day(end) - end_of_day(start)) if reach else None

    accounts = points = 0
    for chunk in in_chunks(Account.objects.all(), CHUNK):
        ids = [account.pk for account in chunk]
        histories = load_histories(ids, metrics, end_of_day(end), lookback=lookback)
        roles = roles_of(ids)
        rows = []
        for day, (versions, day_cards) in zip(days, schedule, strict=True):
            moment = end_of_day(day)
            overrides = overrides_at(ids, moment) if cards is None else {}
            for account in chunk:
                card = engine.choose_scorecard(day_cards, account.scoring_attributes())
                if card is None:
                    result = engine.unscored(moment)
                else:
                    result = engine.score_account(
                        card,
                        histories.get(account.pk, NO_HISTORY),
                        as_of=moment,
                        roles=roles.get(account.pk, {}),
                        overrides=overrides.get(account.pk),
                    )
                rows.append(
                    (account, moment, versions.get(card.key) if card else None, result)
                )
        if cards is None:
            _store(chunk, rows, start, end)
        elif write_row is not None:
            for account, moment, _, result in rows:
                grade = result.grade.name if result.grade else ""
                write_row(
                    (
                        account.key,
                        moment.date(),
                        result.total,
                        grade,
                        str(result.status),
                    )
                )
        accounts += len(chunk)
        points += len(rows)
        if progress is not None:
            progress(accounts)

    logger.info(
        "backfill %s to %s: %d accounts, %d points%s",
        start,
        end,
        accounts,
        points,
        "" if cards is None else " (not stored)",
    )
    return Backfilled(accounts, len(days), points)


def _in_force(
    day: date, cards: Sequence[engine.Scorecard] | None
) -> tuple[dict[str, ScorecardVersion], list[engine.Scorecard]]:
    if cards is not None:
        return {}, list(cards)
    versions = versions_at(end_of_day(day))
    return (
        {parsed(version).key: version for version in versions},
        [parsed(version) for version in versions],
    )


def _store(chunk: list[Account], rows: list, start: date, end: date) -> None:
    points = [
        ScorePoint(
            account=account,
            at=moment,
            kind=PointKind.DAILY,
            version=version,
            status=str(result.status),
            total=result.total,
            grade=result.grade.name if result.grade else "",
            coverage=result.coverage,
        )
        for account, moment, version, result in rows
    ]
    with transaction.atomic():
        ScorePoint.objects.filter(
            account__in=chunk,
            kind=PointKind.DAILY,
            at__gte=end_of_day(start),
            at__lte=end_of_day(end),
        ).delete()
        ScorePoint.objects.bulk_create(points, batch_size=2000)
