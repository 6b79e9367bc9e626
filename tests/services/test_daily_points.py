"""The daily point: every account's score as of the end of each UTC day."""

from datetime import UTC, datetime, timedelta

import pytest

from scorecards.ingest.service import ingest_signals
from scorecards.scoring.history import end_of_day, record_daily_points, score_as_of
from scorecards.scoring.models import PointKind, ScorePoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex_reports(cast, signal, clock):
    """globex at noon on day 0: a QBR rating of 4 (75) and 40 weekly users (40)."""
    ingest_signals(
        [signal("globex", "qbr_score", 4), signal("globex", "weekly_active_users", 40)],
        now=clock.now,
    )
    return clock.now.date()


def daily_point(account, day) -> ScorePoint:
    return ScorePoint.objects.get(account=account, kind=PointKind.DAILY, at__date=day)


def test_each_account_gets_one_point_at_the_end_of_the_utc_day(
    cast, globex_reports, clock
):
    day = globex_reports
    clock.move_to(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC))

    assert record_daily_points(day) == 3

    points = ScorePoint.objects.filter(kind=PointKind.DAILY)
    assert sorted(points.values_list("account__key", "status", "total")) == [
        ("acme", "insufficient_data", None),
        ("globex", "scored", 57.5),
        ("initech", "insufficient_data", None),
    ]
    assert set(points.values_list("at", flat=True)) == {
        datetime(2026, 6, 15, 23, 59, 59, 999999, tzinfo=UTC)
    }
    assert daily_point(cast.globex, day).version.scorecard.key == "default"


def test_a_criterion_drops_out_of_its_window_as_days_pass(cast, globex_reports):
    day = globex_reports

    record_daily_points(day + timedelta(days=9))
    record_daily_points(day + timedelta(days=10))

    # The QBR rating, observed at noon, is inside 10 days at the end of day 9
    # and outside at the end of day 10; usage alone is then half the weight.
    nine = daily_point(cast.globex, day + timedelta(days=9))
    ten = daily_point(cast.globex, day + timedelta(days=10))
    assert (nine.total, nine.coverage, nine.grade) == (57.5, 1.0, "watch")
    assert (ten.total, ten.coverage, ten.grade) == (40.0, 0.5, "watch")


def test_staleness_is_judged_at_the_end_of_the_day(cast, globex_reports):
    day = globex_reports

    def usage_stale(days_later: int) -> bool:
        moment = end_of_day(day + timedelta(days=days_later))
        return score_as_of(cast.globex, moment).result.criterion("usage").stale

    # stale_after is 3 days: 2.5 days old at the end of day 2, 3.5 at day 3.
    assert [usage_stale(n) for n in range(4)] == [False, False, False, True]


def test_signals_observed_after_the_day_do_not_count(
    cast, globex_reports, signal, clock
):
    day = globex_reports
    clock.days_later(1)
    ingest_signals([signal("globex", "weekly_active_users", 90)], now=clock.now)

    record_daily_points(day)
    record_daily_points(day + timedelta(days=1))

    assert daily_point(cast.globex, day).total == 57.5
    assert daily_point(cast.globex, day + timedelta(days=1)).total == 82.5


def test_recording_a_day_again_replaces_its_points(cast, globex_reports, signal, clock):
    day = globex_reports
    record_daily_points(day)

    clock.days_later(2)
    late = signal(
        "globex", "weekly_active_users", 80, at=end_of_day(day) - timedelta(hours=1)
    )
    ingest_signals([late], now=clock.now)
    assert record_daily_points(day) == 3

    assert ScorePoint.objects.filter(kind=PointKind.DAILY).count() == 3
    assert daily_point(cast.globex, day).total == 77.5


def test_a_past_day_is_scored_under_the_version_then_in_force(
    cast, globex_reports, republish, clock
):
    day = globex_reports
    clock.days_later(3)
    republish("default", qbr_weight=3)

    record_daily_points(day + timedelta(days=1))
    record_daily_points(day + timedelta(days=4))

    before = daily_point(cast.globex, day + timedelta(days=1))
    after = daily_point(cast.globex, day + timedelta(days=4))
    assert (before.version.number, before.total) == (1, 57.5)
    assert (after.version.number, after.total) == (2, 66.25)
