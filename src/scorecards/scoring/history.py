"""Scores through time: as of any moment, the daily point, trends and explanations."""

import logging
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.engine.trends import Point, Trends, trends
from scorecards.lib.chunks import in_chunks
from scorecards.scoring.models import PointKind, ScorePoint
from scorecards.scoring.rescore import Scored, load_histories, score_stored
from scorecards.scoring.scorecards import parsed, versions_at

logger = logging.getLogger(__name__)


def end_of_day(day: date) -> datetime:
    """The last moment of a UTC day: a daily point is the score as of then."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def score_as_of(account: Account, moment: datetime) -> Scored:
    """The account's score as of ``moment``, under the scorecards then in force."""
    [scored] = score_stored([account], versions=versions_at(moment), as_of=moment)
    return scored


def record_daily_points(day: date) -> int:
    """Store every account's score as of the end of ``day``; returns the count.

    Running it again for the same day replaces that day's points, so a re-run
    after a late import or a fix is safe.
    """
    moment = end_of_day(day)
    versions = versions_at(moment)
    count = 0
    for chunk in in_chunks(Account.objects.all()):
        points = [
            ScorePoint(
                account=item.account,
                at=moment,
                kind=PointKind.DAILY,
                version=item.version,
                status=str(item.result.status),
                total=item.result.total,
                grade=item.result.grade.name if item.result.grade else "",
                coverage=item.result.coverage,
            )
            for item in score_stored(chunk, versions=versions, as_of=moment)
        ]
        with transaction.atomic():
            ScorePoint.objects.filter(
                account__in=chunk, at=moment, kind=PointKind.DAILY
            ).delete()
            ScorePoint.objects.bulk_create(points)
        count += len(points)

    logger.info("daily points for %s: %d accounts", day.isoformat(), count)
    return count


def account_trends(
    account: Account, *, now: datetime, current: float | None, threshold: float = 5.0
) -> Trends:
    since = now - timedelta(days=91)
    rows = ScorePoint.objects.filter(account=account, at__lte=now).order_by("at", "pk")
    points = [Point(p.at, p.total) for p in rows.only("at", "total")]
    daily = [
        Point(p.at, p.total)
        for p in rows.filter(kind=PointKind.DAILY, at__gt=since).only("at", "total")
    ]
    return trends(
        points=points, daily=daily, now=now, current=current, threshold=threshold
    )


def explain(account: Account, *, start: datetime, end: datetime) -> engine.Explanation:
    """Why the score moved between ``start`` and ``end`` (SCORING.md's split)."""
    before = score_as_of(account, start)
    after = score_as_of(account, end)
    card_before = parsed(before.version) if before.version else None
    card_after = parsed(after.version) if after.version else None
    if card_before is None or card_after is None:
        return engine.explain_scores(before.result, after.result, None)

    metrics = card_before.metrics() | card_after.metrics()
    history = load_histories([account.pk], metrics, end).get(account.pk)
    roles = {str(pk): role for pk, role in account.contacts.values_list("pk", "role")}
    return engine.explain_change(
        history=history or engine.History(),
        earlier=card_before,
        later=card_after,
        t0=start,
        t1=end,
        roles=roles,
    )
