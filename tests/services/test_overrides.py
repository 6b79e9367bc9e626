"""Scores set by hand: over the data while they hold, gone by themselves after.

Under `default`, globex's total is the mean of its QBR criterion (a rating of 3
scores 50) and its usage (weekly active users, 0 to 100).
"""

from datetime import timedelta

import pytest

from scorecards.ingest.service import ingest_signals
from scorecards.scoring.history import score_as_of
from scorecards.scoring.models import AccountScore, Override
from scorecards.scoring.overrides import (
    OverrideError,
    end_expired,
    end_override,
    set_override,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex(cast, signal, clock):
    ingest_signals(
        [signal("globex", "qbr_score", 3), signal("globex", "weekly_active_users", 30)],
        now=clock.now,
    )
    return cast.globex


def stored():
    return AccountScore.objects.get(account__key="globex")


def test_the_total_set_by_hand_stands_over_the_data_until_it_expires(
    globex, signal, clock
):
    assert stored().total == 40.0

    override = set_override(
        account=globex,
        target="*",
        value=72,
        reason="Renewal signed yesterday",
        by="a manager",
        now=clock.now,
        expires_at=clock.now + timedelta(days=5),
    )

    score = stored()
    assert (score.total, score.grade, score.overridden) == (72.0, "healthy", True)
    assert override.replaced == 40.0
    ingest_signals([signal("globex", "weekly_active_users", 10)], now=clock.now)
    assert stored().total == 72.0  # new data does not move it

    clock.days_later(5)
    assert end_expired(now=clock.now) == 1

    score = stored()
    assert (score.total, score.overridden) == (30.0, False)
    assert Override.objects.get().ended_reason == "expired"


def test_a_criterion_set_by_hand_weighs_in_the_total(globex, clock):
    set_override(
        account=globex,
        target="usage",
        value=100,
        reason="Usage export is broken this week",
        by="a manager",
        now=clock.now,
    )

    score = stored()
    usage = next(c for c in score.criteria if c["path"] == "usage")
    assert (usage["score"], usage["overridden"], usage["raw"]) == (100.0, True, 30)
    assert (score.total, score.overridden) == (75.0, False)


def test_an_override_by_default_lasts_30_days(globex, clock):
    override = set_override(
        account=globex,
        target="*",
        value=10,
        reason="Churn notice received",
        by="a manager",
        now=clock.now,
    )

    assert override.expires_at == clock.now + timedelta(days=30)


def test_a_new_override_replaces_the_one_before(globex, clock):
    first = set_override(
        account=globex,
        target="*",
        value=10,
        reason="one",
        by="a manager",
        now=clock.now,
    )
    clock.days_later(1)
    set_override(
        account=globex,
        target="*",
        value=20,
        reason="two",
        by="a manager",
        now=clock.now,
    )

    first.refresh_from_db()
    assert (first.ended_reason, first.ended_by) == ("replaced", "a manager")
    assert stored().total == 20.0


def test_an_override_ended_by_hand_gives_the_data_back(globex, clock):
    override = set_override(
        account=globex, target="*", value=90, reason="x", by="a manager", now=clock.now
    )

    end_override(override=override, by="another manager", now=clock.now)

    assert stored().total == 40.0
    override.refresh_from_db()
    assert (override.ended_reason, override.ended_by) == ("ended", "another manager")


def test_the_past_is_scored_as_it_was(globex, clock):
    before = clock.now
    clock.days_later(1)
    set_override(
        account=globex, target="*", value=90, reason="x", by="a manager", now=clock.now
    )

    assert score_as_of(globex, before).result.total == 40.0
    assert score_as_of(globex, clock.now).result.total == 90.0


@pytest.mark.parametrize(
    ("target", "value", "reason", "field"),
    [
        ("nps", 50, "x", "criterion"),
        ("*", 101, "x", "score"),
        ("*", 50, "  ", "reason"),
    ],
)
def test_a_bad_override_is_refused_naming_what(
    globex, clock, target, value, reason, field
):
    with pytest.raises(OverrideError) as refused:
        set_override(
            account=globex,
            target=target,
            value=value,
            reason=reason,
            by="a manager",
            now=clock.now,
        )

    assert refused.value.field == field
    assert not Override.objects.exists()
