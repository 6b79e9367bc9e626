"""Explaining a change of score between two moments: the data, then the recipe.

globex reports a QBR rating of 3 (50) and 40 weekly active users (40) on day 0,
45 under `default`; on day 5 a QBR rating of 5 (100) lifts it to 70.
"""

from datetime import timedelta

import pytest

from scorecards.ingest.service import ingest_signals
from scorecards.scoring.history import explain
from scorecards.scoring.models import PointKind, ScorePoint
from scorecards.scoring.publish import publish

pytestmark = pytest.mark.django_db

VIP = """\
key: vip
name: Small accounts we watch closely
applies_to: {segment: [smb]}
priority: 20
criteria:
  - key: qbr
    metric: qbr_score
    weight: 1
    aggregate: latest
    normalize: {linear: [1, 5]}
"""


@pytest.fixture
def day_0(cast, signal, clock):
    ingest_signals(
        [signal("globex", "qbr_score", 3), signal("globex", "weekly_active_users", 40)],
        now=clock.now,
    )
    return clock.now


def lines(explanation) -> dict[str, float]:
    return {line.path: line.delta for line in explanation.lines}


def test_under_one_scorecard_the_lines_add_up_to_the_change(cast, day_0, signal, clock):
    clock.days_later(5)
    ingest_signals([signal("globex", "qbr_score", 5)], now=clock.now)

    explanation = explain(cast.globex, start=day_0, end=clock.now)

    assert (explanation.before.total, explanation.after.total) == (45.0, 70.0)
    assert explanation.delta == 25.0
    assert explanation.scorecard_changed is None
    assert lines(explanation) == {"qbr": 25.0, "usage": 0.0}


def test_a_new_version_is_told_apart_from_the_data(
    cast, day_0, signal, clock, republish
):
    clock.days_later(3)
    republish("default", qbr_weight=3)
    clock.days_later(2)
    ingest_signals([signal("globex", "qbr_score", 5)], now=clock.now)

    explanation = explain(cast.globex, start=day_0, end=clock.now)

    # Day 0's data under the new weights is (3·50 + 40) / 4 = 47.5: the recipe
    # moved the score 2.5; the new rating moved qbr's part from 37.5 to 75.
    assert (explanation.before.total, explanation.after.total) == (45.0, 85.0)
    assert explanation.scorecard_changed == pytest.approx(2.5)
    assert lines(explanation) == pytest.approx({"qbr": 37.5, "usage": 0.0})
    assert explanation.scorecard_changed + sum(lines(explanation).values()) == (
        pytest.approx(explanation.delta)
    )


def test_a_new_scorecard_taking_the_account_over_is_a_recipe_change(cast, day_0, clock):
    clock.days_later(3)
    publish(source=VIP, format="yaml", author="an operator", now=clock.now)
    clock.days_later(2)

    explanation = explain(cast.globex, start=day_0, end=clock.now)

    # Nothing new was reported: the history shows 45 under `default`, then 50
    # under `vip`, and the whole move is the recipe's.
    history = ScorePoint.objects.filter(account=cast.globex, kind=PointKind.CHANGE)
    assert list(history.values_list("total", flat=True))[-2:] == [45.0, 50.0]
    assert (explanation.before.total, explanation.after.total) == (45.0, 50.0)
    assert explanation.scorecard_changed == pytest.approx(5.0)
    assert sum(lines(explanation).values()) == pytest.approx(0.0)


def test_without_a_score_at_both_ends_nothing_is_split(cast, day_0, clock):
    explanation = explain(
        cast.globex, start=day_0 - timedelta(days=1), end=day_0 + timedelta(hours=1)
    )

    assert explanation.before.total is None
    assert explanation.after.total == 45.0
    assert (explanation.delta, explanation.lines) == (None, ())
