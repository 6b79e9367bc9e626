"""Backfilling daily points: the same points the nightly job records, for any
range of days at once; or, under other scorecards, points to compare."""

from datetime import timedelta

import pytest

from scorecards import engine
from scorecards.ingest.service import ingest_signals
from scorecards.scoring.backfill import backfill
from scorecards.scoring.history import end_of_day, record_daily_points
from scorecards.scoring.models import PointKind, ScorePoint
from scorecards.scoring.overrides import set_override

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(cast, signal, clock):
    """Three weeks of QBR ratings, usage and stakeholder answers, up to now."""
    batch = []
    for day in range(21):
        batch += [
            signal("globex", "weekly_active_users", 20 + 3 * day, days_ago=21 - day),
            signal("acme", "weekly_active_users", 80 - 2 * day, days_ago=21 - day),
        ]
        if day % 7 == 0:
            batch += [
                signal("globex", "qbr_score", 2 + day / 7, days_ago=21 - day),
                signal("acme", "qbr_score", 5 - day / 7, days_ago=21 - day),
                signal(
                    "acme", "stakeholder_rating", 4, days_ago=21 - day, contact="ceo"
                ),
            ]
    ingest_signals(batch, now=clock.now)
    return clock.now.date() - timedelta(days=20), clock.now.date() - timedelta(days=1)


def daily_points():
    return sorted(
        ScorePoint.objects.filter(kind=PointKind.DAILY).values_list(
            "account__key", "at", "total", "grade", "status", "version_id"
        )
    )


def test_a_backfill_stores_what_the_nightly_job_would_have(history, clock):
    start, end = history
    day = start
    while day <= end:
        record_daily_points(day)
        day += timedelta(days=1)
    nightly = daily_points()
    ScorePoint.objects.filter(kind=PointKind.DAILY).delete()

    done = backfill(start=start, end=end)

    assert (done.accounts, done.days, done.points) == (3, 20, 60)
    assert daily_points() == nightly
    assert len({row[2] for row in nightly if row[0] == "globex"}) > 10  # it moved


def test_running_it_again_replaces_the_range(history):
    start, end = history
    backfill(start=start, end=end)
    first = daily_points()

    backfill(start=start + timedelta(days=5), end=end)

    assert daily_points() == first


def test_an_override_counts_on_the_days_it_held(history, cast, clock):
    start, end = history
    set_override(
        account=cast.globex,
        target="*",
        value=99,
        reason="x",
        by="m",
        now=end_of_day(end - timedelta(days=2)) - timedelta(hours=1),
    )

    backfill(start=start, end=end)

    totals = dict(
        ScorePoint.objects.filter(
            account=cast.globex, kind=PointKind.DAILY
        ).values_list("at", "total")
    )
    assert totals[end_of_day(end)] == 99
    assert totals[end_of_day(end - timedelta(days=3))] != 99


def test_under_other_scorecards_it_writes_rows_and_stores_nothing(
    history, scorecard_file
):
    start, end = history
    heavier_qbr = engine.parse_scorecard(
        scorecard_file("default", qbr_weight=3), format="yaml"
    )
    rows = []

    backfill(start=start, end=end, cards=[heavier_qbr], write_row=rows.append)

    assert not ScorePoint.objects.filter(kind=PointKind.DAILY).exists()
    assert len(rows) == 60
    globex_last = next(r for r in rows if r[0] == "globex" and r[1] == end)
    # Yesterday: the QBR rating of a week ago, 4 (75), three times as heavy as
    # the usage of yesterday noon, 80.
    assert globex_last[2] == pytest.approx((3 * 75 + 80) / 4)
    assert globex_last[4] == "scored"
    acme_last = next(r for r in rows if r[0] == "acme" and r[1] == end)
    assert acme_last[2] is not None  # acme scored under the only card given
