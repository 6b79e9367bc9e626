"""`scorecards snapshot`: every account's daily point for a day, by hand."""

from collections.abc import Callable
from datetime import date

import pytest
from service_helpers import AFTERNOON, DAY, Run, answer

from scorecards.scoring.history import end_of_day
from scorecards.scoring.models import PointKind, ScorePoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cast")]

Scorecards = Callable[..., Run]


def daily_points(day: date) -> dict[str, tuple[float | None, str]]:
    points = ScorePoint.objects.filter(kind=PointKind.DAILY, at=end_of_day(day))
    rows = points.values_list("account__key", "total", "status")
    found: dict[str, tuple[float | None, str]] = {}
    for key, total, status in rows:
        assert key not in found, f"two daily points for {key}"
        found[key] = (total, status)
    return found


def test_it_records_one_point_per_account_as_of_the_end_of_the_day(
    scorecards: Scorecards,
) -> None:
    run = scorecards("snapshot", "--date", "2026-11-29")

    assert run.status == 0, run.stderr
    assert run.stdout == "Recorded the daily point for 2026-11-29: 3 accounts.\n"
    points = daily_points(DAY)
    assert points["acme"] == (pytest.approx(90.0), "scored")
    assert points["globex"] == (pytest.approx(30.0), "scored")
    assert points["initech"][0] is None


def test_the_day_before_the_answers_has_no_score_yet(scorecards: Scorecards) -> None:
    run = scorecards("snapshot", "--date", "2026-11-28")

    assert run.status == 0, run.stderr
    assert {total for total, _ in daily_points(date(2026, 11, 28)).values()} == {None}


def test_running_it_again_replaces_the_days_points(scorecards: Scorecards) -> None:
    scorecards("snapshot", "--date", "2026-11-29")
    # A late answer, stamped that evening, arrives after the first run.
    answer("globex", 7, at=AFTERNOON.replace(hour=21))

    run = scorecards("snapshot", "--date", "2026-11-29")

    assert run.status == 0, run.stderr
    points = daily_points(DAY)
    assert len(points) == 3
    assert points["globex"] == (pytest.approx(70.0), "scored")
    assert ScorePoint.objects.filter(kind=PointKind.DAILY).count() == 3


def test_by_default_it_records_yesterday_the_last_complete_day(
    scorecards: Scorecards,
) -> None:
    run = scorecards("snapshot")

    assert run.status == 0, run.stderr
    assert "for 2026-11-30: 3 accounts" in run.stdout
    assert daily_points(date(2026, 11, 30))["acme"] == (pytest.approx(90.0), "scored")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("2026-12-01", "2026-12-01 has not ended yet (UTC)"),
        ("2027-01-01", "2027-01-01 has not ended yet (UTC)"),
        ("29/11/2026", "'29/11/2026' is not a YYYY-MM-DD date"),
    ],
)
def test_it_refuses_a_day_that_is_not_over_or_not_a_date(
    scorecards: Scorecards, given: str, message: str
) -> None:
    run = scorecards("snapshot", "--date", given)

    assert run.status == 2
    assert message in run.stderr
    assert not ScorePoint.objects.filter(kind=PointKind.DAILY).exists()
