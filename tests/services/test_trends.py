"""Trends over the score history: deltas, slopes and direction, as SCORING.md says.

delta_N is the score now minus the score as of N days ago; slope_N is the
least-squares slope of the daily points of the last N days, per 30 days;
direction turns at 5 points of delta_30.
"""

from datetime import UTC, datetime, timedelta

import pytest

from scorecards.engine.trends import Point, trends
from scorecards.ingest.service import ingest_signals
from scorecards.scoring.history import account_trends, end_of_day, record_daily_points
from scorecards.scoring.models import AccountScore, AccountTrend
from scorecards.scoring.trends import refresh_trends

NOW = end_of_day(datetime(2026, 6, 15, tzinfo=UTC).date())


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def deltas(result) -> list[float | None]:
    return [result.window(days).delta for days in (30, 60, 90)]


def slopes(result) -> list[float | None]:
    return [result.window(days).slope for days in (30, 60, 90)]


def test_delta_is_now_against_the_last_score_at_or_before_n_days_ago():
    points = [Point(ago(100), 40.0), Point(ago(45), 60.0), Point(ago(20), 70.0)]

    result = trends(points=points, daily=[], now=NOW, current=80.0)

    # 30 days ago the score was still the one set 45 days ago; 60 and 90 days
    # ago, the one set 100 days ago.
    assert deltas(result) == [20.0, 40.0, 40.0]
    assert result.direction == "improving"


def test_a_point_exactly_n_days_ago_is_the_score_then():
    points = [Point(ago(31), 50.0), Point(ago(30), 90.0)]

    result = trends(points=points, daily=[], now=NOW, current=70.0)

    assert result.window(30).delta == -20.0
    assert result.direction == "declining"


def test_a_delta_is_missing_when_either_side_is():
    points = [Point(ago(75), 55.0), Point(ago(40), None), Point(ago(10), 60.0)]

    result = trends(points=points, daily=[], now=NOW, current=65.0)

    # Nothing before 75 days ago; no score 30 days ago (insufficient data then).
    assert deltas(result) == [None, 10.0, None]
    assert result.direction is None


def test_without_a_score_now_there_is_no_delta_and_no_direction():
    points = [Point(ago(100), 55.0)]

    result = trends(points=points, daily=points, now=NOW, current=None)

    assert deltas(result) == [None, None, None]
    assert result.direction is None


@pytest.mark.parametrize(
    ("current", "direction"),
    [
        (75.0, "improving"),
        (74.9, "stable"),
        (70.0, "stable"),
        (65.1, "stable"),
        (65.0, "declining"),
    ],
)
def test_direction_turns_at_five_points_either_way(current, direction):
    points = [Point(ago(40), 70.0)]

    result = trends(points=points, daily=[], now=NOW, current=current)

    assert result.direction == direction


def test_the_five_points_are_a_setting():
    points = [Point(ago(40), 70.0)]

    result = trends(points=points, daily=[], now=NOW, current=73.0, threshold=2.5)

    assert result.direction == "improving"


def test_slope_is_least_squares_over_the_daily_points_per_30_days():
    daily = [
        Point(ago(40), 100.0),
        Point(ago(2), 10.0),
        Point(ago(1), 40.0),
        Point(ago(0), 40.0),
    ]

    result = trends(points=daily, daily=daily, now=NOW, current=40.0)

    # Last 30 days: x = -2, -1, 0 and y = 10, 40, 40; mean x -1, mean y 30;
    # sum dx·dy = 20 + 0 + 10 = 30, sum dx² = 2: 15 points a day.
    # Last 60 days adds (-40, 100): mean x -10.75, mean y 47.5;
    # sum dx·dy = -2017.5, sum dx² = 1142.75.
    assert result.window(30).slope == pytest.approx(450.0)
    assert result.window(60).slope == pytest.approx(-2017.5 / 1142.75 * 30)
    assert result.window(90).slope == result.window(60).slope


def test_a_slope_needs_two_scored_daily_points():
    daily = [Point(ago(50), 30.0), Point(ago(3), None), Point(ago(1), 60.0)]

    result = trends(points=daily, daily=daily, now=NOW, current=60.0)

    # Within 30 days only one point has a score; within 60, 30 points in 49 days.
    assert slopes(result) == [None, pytest.approx(900 / 49), pytest.approx(900 / 49)]


@pytest.mark.django_db
def test_an_accounts_trends_read_its_recorded_history(cast, signal, clock):
    """globex's usage grew by one user a day for 35 days and nothing else was
    reported, so its score is the usage: 10 on day 0, 44 on day 34."""
    first_day = datetime(2026, 6, 1, 12, tzinfo=UTC)
    reports = [
        signal("globex", "weekly_active_users", 10 + day, at=first_day + timedelta(day))
        for day in range(35)
    ]
    clock.move_to(first_day + timedelta(days=34))
    ingest_signals(reports, now=clock.now)
    for day in range(35):
        record_daily_points((first_day + timedelta(days=day)).date())

    now = end_of_day(clock.now.date())
    current = AccountScore.objects.get(account=cast.globex).total
    result = account_trends(cast.globex, now=now, current=current)

    # 30 days before the end of day 34 is the end of day 4, when it was 14.
    assert current == 44.0
    assert result.window(30).delta == 30.0
    assert result.window(30).slope == pytest.approx(30.0)
    assert result.window(60).delta is None
    assert result.window(60).slope == pytest.approx(30.0)
    assert result.direction == "improving"


@pytest.mark.django_db
def test_stored_trends_match_the_history_and_follow_each_score_change(
    cast, signal, clock
):
    """As above; then stored for the portfolio, and moved by a new score."""
    first_day = datetime(2026, 6, 1, 12, tzinfo=UTC)
    reports = [
        signal("globex", "weekly_active_users", 10 + day, at=first_day + timedelta(day))
        for day in range(35)
    ]
    clock.move_to(first_day + timedelta(days=34))
    ingest_signals(reports, now=clock.now)
    for day in range(35):
        record_daily_points((first_day + timedelta(days=day)).date())
    now = end_of_day(clock.now.date())

    assert refresh_trends(now=now) == 3

    stored = AccountTrend.objects.get(account=cast.globex)
    exact = account_trends(cast.globex, now=now, current=44.0)
    assert (stored.delta_30, stored.anchor_30) == (exact.window(30).delta, 14.0)
    assert stored.slope_30 == pytest.approx(exact.window(30).slope)
    assert stored.direction == "improving"
    assert AccountTrend.objects.get(account=cast.initech).direction == ""
    # The sparkline: the daily totals, oldest first, 10 on day 0 to 44 on day 34.
    assert stored.spark == [10.0 + day for day in range(35)]

    # A collapse in usage: the delta and the direction follow at once.
    ingest_signals([signal("globex", "weekly_active_users", 5)], now=clock.now)

    stored.refresh_from_db()
    assert stored.delta_30 == pytest.approx(5.0 - 14.0)
    assert stored.direction == "declining"
    assert stored.slope_30 == pytest.approx(exact.window(30).slope)  # daily only
