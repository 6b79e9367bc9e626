"""Every account's trends, kept current for the portfolio to filter and sort on.

1. Once a day (and after a demo load), ``refresh_trends`` reads each account's
   history and stores its anchors (the score as of 30, 60 and 90 days ago),
   slopes, deltas and direction, as SCORING.md defines them.
2. Whenever scores change, ``follow_scores`` moves the deltas and the direction
   with the new totals, in one statement, against the stored anchors.

So a delta is exact at every score change, and its anchor is at most a day
old: the account's own history endpoint, which computes trends on the spot,
is the exact reading.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from scorecards.accounts.models import Account
from scorecards.engine.trends import WINDOWS, Point, trends
from scorecards.lib.chunks import in_chunks
from scorecards.scoring.models import AccountScore, AccountTrend, PointKind, ScorePoint

logger = logging.getLogger(__name__)

LOOK_BACK = timedelta(days=max(WINDOWS) + 1)
SPARK_DAYS = 90


def threshold() -> float:
    return float(getattr(settings, "TREND_THRESHOLD", 5.0))


def refresh_trends(*, now: datetime) -> int:
    """Compute every account's trends from its history; returns how many."""
    count = 0
    for chunk in in_chunks(Account.objects.all()):
        rows = _trend_rows(chunk, now)
        AccountTrend.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["account"],
            update_fields=[
                f.name for f in AccountTrend._meta.fields if f.name != "account"
            ],
        )
        count += len(rows)
    logger.info("trends refreshed for %d accounts", count)
    return count


def _trend_rows(chunk: Sequence[Account], now: datetime) -> list[AccountTrend]:
    ids = [account.pk for account in chunk]
    totals = dict(
        AccountScore.objects.filter(account_id__in=ids).values_list(
            "account_id", "total"
        )
    )
    points: dict[int, list[Point]] = defaultdict(list)
    daily: dict[int, list[Point]] = defaultdict(list)
    # The last point before the window carries the score into it.
    since = now - LOOK_BACK
    rows = (
        ScorePoint.objects.filter(account_id__in=ids, at__gt=since, at__lte=now)
        .order_by("account_id", "at", "pk")
        .values_list("account_id", "at", "total", "kind")
    )
    for account_id, at, total, kind in rows:
        points[account_id].append(Point(at, total))
        if kind == PointKind.DAILY:
            daily[account_id].append(Point(at, total))
    for account_id, at, total in _last_before(ids, since):
        points[account_id].insert(0, Point(at, total))

    made = []
    for account_id in ids:
        current = totals.get(account_id)
        found = trends(
            points=points[account_id],
            daily=daily[account_id],
            now=now,
            current=current,
            threshold=threshold(),
        )
        row = AccountTrend(account_id=account_id, computed_at=now)
        for trend in found.windows:
            setattr(row, f"slope_{trend.days}", trend.slope)
            setattr(row, f"delta_{trend.days}", trend.delta)
            anchor = None
            if trend.delta is not None and current is not None:
                anchor = current - trend.delta
            setattr(row, f"anchor_{trend.days}", anchor)
        row.direction = found.direction or ""
        row.spark = [
            round(point.total, 1)
            for point in daily[account_id][-SPARK_DAYS:]
            if point.total is not None
        ]
        made.append(row)
    return made


def _last_before(ids: list[int], moment: datetime) -> list[tuple[int, datetime, float]]:
    """Each account's last point at or before ``moment``."""
    latest: dict[int, tuple[int, datetime, float]] = {}
    rows = (
        ScorePoint.objects.filter(
            account_id__in=ids, at__lte=moment, at__gt=moment - timedelta(days=2)
        )
        .order_by("account_id", "at", "pk")
        .values_list("account_id", "at", "total")
    )
    for row in rows:
        latest[row[0]] = row
    return list(latest.values())


def follow_scores(account_ids: Sequence[int]) -> None:
    """Move the deltas and directions of these accounts with their new totals."""
    if not account_ids:
        return
    limit = threshold()
    trend, score = AccountTrend._meta.db_table, AccountScore._meta.db_table
    deltas = ", ".join(
        f"delta_{days} = {score}.total - {trend}.anchor_{days}" for days in WINDOWS
    )
    delta_30 = f"({score}.total - {trend}.anchor_30)"
    placeholders = ", ".join(["%s"] * len(account_ids))
    sql = (
        f"UPDATE {trend} SET {deltas}, direction = CASE"
        f" WHEN {delta_30} IS NULL THEN ''"
        f" WHEN {delta_30} >= %s THEN 'improving'"
        f" WHEN {delta_30} <= %s THEN 'declining'"
        " ELSE 'stable' END"
        f" FROM {score} WHERE {score}.account_id = {trend}.account_id"
        f" AND {trend}.account_id IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit, -limit, *account_ids])
