"""Trends over an account's score history: deltas, slopes and a direction."""

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOWS = (30, 60, 90)
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    total: float | None


@dataclass(frozen=True, slots=True)
class Trend:
    days: int
    delta: float | None
    slope: float | None
    """Least-squares slope of the daily points, in points per 30 days."""


@dataclass(frozen=True, slots=True)
class Trends:
    windows: tuple[Trend, ...]
    direction: str | None

    def window(self, days: int) -> Trend:
        return next(trend for trend in self.windows if trend.days == days)


def score_at(points: Sequence[Point], moment: datetime) -> float | None:
    """The score as of ``moment``: the last point at or before it (points sorted)."""
    index = bisect_right([p.at for p in points], moment)
    return points[index - 1].total if index else None


def slope_per_30_days(points: Sequence[Point]) -> float | None:
    """Least-squares slope through the scored points; None with fewer than two."""
    scored = [(p.at.timestamp() / SECONDS_PER_DAY, p.total) for p in points]
    xy = [(x, y) for x, y in scored if y is not None]
    if len(xy) < 2:
        return None

    mean_x = sum(x for x, _ in xy) / len(xy)
    mean_y = sum(y for _, y in xy) / len(xy)
    spread = sum((x - mean_x) ** 2 for x, _ in xy)
    if spread == 0:
        return None
    per_day = sum((x - mean_x) * (y - mean_y) for x, y in xy) / spread
    return per_day * 30


def trends(
    *,
    points: Sequence[Point],
    daily: Sequence[Point],
    now: datetime,
    current: float | None,
    threshold: float = 5.0,
) -> Trends:
    """Deltas against the history ``points`` and slopes of the ``daily`` points.

    ``current`` is the score now; direction compares ``delta_30`` with
    ``threshold`` (improving at +threshold or more, declining at -threshold or
    less, else stable) and is None when ``delta_30`` is.
    """
    windows = []
    for days in WINDOWS:
        start = now - timedelta(days=days)
        before = score_at(points, start)
        delta = current - before if current is not None and before is not None else None
        recent = [p for p in daily if start < p.at <= now]
        windows.append(Trend(days, delta, slope_per_30_days(recent)))

    delta_30 = windows[0].delta
    direction = None
    if delta_30 is not None:
        direction = "stable"
        if delta_30 >= threshold:
            direction = "improving"
        elif delta_30 <= -threshold:
            direction = "declining"
    return Trends(tuple(windows), direction)
