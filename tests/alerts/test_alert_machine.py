"""The alert state machine and the rules' verdicts, without a database."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scorecards.alerts.conditions import Facts, Verdict, check
from scorecards.alerts.machine import (
    NEW,
    REMINDER,
    AlertState,
    AlertView,
    Step,
    Timing,
    step,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
THRESHOLD = {"trigger": 50, "clear": 60}


def facts(total, **more):
    return Facts(total=total, grade=more.pop("grade", ""), status="scored", **more)


def verdict(total):
    return check("threshold", THRESHOLD, facts(total), NOW).verdict


def test_a_threshold_fires_below_its_trigger_and_clears_only_above_its_clear_level():
    assert verdict(49.9) == Verdict.FIRE
    assert verdict(50) == Verdict.HOLD
    assert verdict(60) == Verdict.HOLD
    assert verdict(60.1) == Verdict.CLEAR
    assert check("threshold", THRESHOLD, facts(None), NOW).verdict == Verdict.HOLD


@given(st.lists(st.floats(min_value=40, max_value=59.9), min_size=1, max_size=40))
def test_a_score_wobbling_under_the_clear_level_fires_once_and_never_clears(totals):
    alert, steps = None, []
    for n, total in enumerate([45.0, *totals]):
        now = NOW + timedelta(hours=n)
        change = step(alert, verdict(total), now=now, timing=Timing())
        if change is not None:
            steps.append(change)
            alert = AlertView(AlertState(change.new), opened_at=now)

    assert steps == [Step(NEW, AlertState.FIRING, notify=True)]


def test_a_dwell_keeps_the_alert_pending_until_the_condition_has_held_long_enough():
    timing = Timing(dwell=timedelta(hours=6))
    opened = step(None, Verdict.FIRE, now=NOW, timing=timing)
    pending = AlertView(AlertState.PENDING, opened_at=NOW)

    assert opened == Step(NEW, AlertState.PENDING, notify=False)
    assert (
        step(pending, Verdict.FIRE, now=NOW + timedelta(hours=5), timing=timing) is None
    )
    assert step(pending, Verdict.FIRE, now=NOW + timedelta(hours=6), timing=timing) == (
        Step(AlertState.PENDING, AlertState.FIRING, notify=True)
    )
    assert step(pending, Verdict.HOLD, now=NOW + timedelta(hours=1), timing=timing) == (
        Step(AlertState.PENDING, AlertState.DISMISSED, notify=False)
    )


def test_no_new_alert_within_the_cooldown_after_one_cleared():
    timing = Timing(cooldown=timedelta(days=3))
    cleared = NOW - timedelta(days=2)

    assert step(None, Verdict.FIRE, now=NOW, timing=timing,
                last_cleared_at=cleared) is None  # fmt: skip
    assert step(None, Verdict.FIRE, now=NOW + timedelta(days=1), timing=timing,
                last_cleared_at=cleared) is not None  # fmt: skip


def test_reminders_come_each_period_unless_acknowledged_or_snoozed():
    timing = Timing(repeat=timedelta(days=2))
    firing = AlertView(AlertState.FIRING, opened_at=NOW, last_notified_at=NOW)
    later = NOW + timedelta(days=2)

    assert (
        step(firing, Verdict.FIRE, now=NOW + timedelta(days=1), timing=timing) is None
    )
    assert step(firing, Verdict.HOLD, now=later, timing=timing) == Step(
        AlertState.FIRING, REMINDER, notify=True
    )
    acknowledged = AlertView(AlertState.FIRING, NOW, NOW, acknowledged=True)
    assert step(acknowledged, Verdict.FIRE, now=later, timing=timing) is None
    snoozed = AlertView(AlertState.FIRING, NOW, NOW, snoozed_until=later + timedelta(1))
    assert step(snoozed, Verdict.FIRE, now=later, timing=timing) is None
    assert step(snoozed, Verdict.FIRE, now=later + timedelta(days=1), timing=timing)


def test_a_firing_alert_clears_and_says_so():
    firing = AlertView(AlertState.FIRING, opened_at=NOW)

    assert step(firing, Verdict.CLEAR, now=NOW, timing=Timing()) == Step(
        AlertState.FIRING, AlertState.CLEARED, notify=True
    )


def test_the_other_rules_verdicts():
    grade = facts(30.0, grade="at_risk")
    assert check("grade", {"grades": ["at_risk"]}, grade, NOW).verdict == Verdict.FIRE
    assert check("grade", {"grades": ["watch"]}, grade, NOW).verdict == Verdict.CLEAR

    dropped = facts(40.0, earlier_totals={30: 55.0})
    drop = check("drop", {"points": 10, "days": 30}, dropped, NOW)
    assert (drop.verdict, drop.reason) == (
        Verdict.FIRE, "score fell 15.0 points in 30 days (55.0 -> 40.0)",
    )  # fmt: skip
    gentle = check("drop", {"points": 20, "days": 30}, dropped, NOW)
    assert gentle.verdict == Verdict.CLEAR

    nps = facts(70.0, criteria={"nps": {"raw": 5.0, "score": 25.0, "stale": True}})
    low = {"criterion": "nps", "op": "<=", "value": 6}
    assert check("criterion", low, nps, NOW).verdict == Verdict.FIRE
    assert check("stale", {"criterion": "nps"}, nps, NOW).verdict == Verdict.FIRE

    sponsor = facts(70.0, role_answers={("nps", "executive_sponsor"): 6.0})
    rule = {"metric": "nps", "role": "executive_sponsor", "op": "<=", "value": 6}
    assert check("criterion", rule, sponsor, NOW).verdict == Verdict.FIRE
    assert check("criterion", rule, facts(70.0), NOW).verdict == Verdict.CLEAR

    silent = facts(None, scored_since=NOW - timedelta(days=10))
    assert check("stale", {"days": 7}, silent, NOW).verdict == Verdict.FIRE
    assert check("stale", {"days": 14}, silent, NOW).verdict == Verdict.CLEAR
