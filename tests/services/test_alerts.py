"""Alert rules on stored accounts: evaluated as scores change and as time passes.

The cast is the services' (see conftest.py). Under `default`, globex's total is
the mean of its QBR criterion (a rating of 3 scores 50) and its usage (weekly
active users, 0 to 100), so a usage of u makes a total of (50 + u) / 2.
"""

from datetime import timedelta

import pytest

from scorecards.accounts.models import Account
from scorecards.alerts.models import Alert, AlertEvent, AlertRule
from scorecards.alerts.service import acknowledge, evaluate_all, snooze
from scorecards.ingest.service import ingest_signals
from scorecards.scoring.rescore import rescore

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(clock):
    def make(name="low-score", kind="threshold", params=None, **more):
        return AlertRule.objects.create(
            name=name,
            kind=kind,
            params=params if params is not None else {"trigger": 50, "clear": 60},
            created_at=clock.now,
            updated_at=clock.now,
            **more,
        )

    return make


def events(account="globex"):
    return list(
        AlertEvent.objects.filter(alert__account__key=account).values_list(
            "old_state", "new_state", "notify"
        )
    )


def test_a_score_sinking_below_the_trigger_fires_once_with_its_reason(rule, usage):
    rule()
    assert usage(70) == 60.0

    assert usage(40) == 45.0

    assert events() == [("ok", "firing", True)]
    alert = Alert.objects.get()
    assert alert.state == "firing"
    assert alert.reason == "score 45.0 is below 50"
    event = AlertEvent.objects.get()
    assert (event.total, event.reason) == (45.0, "score 45.0 is below 50")


def test_wobbling_between_trigger_and_clear_changes_nothing_then_recovery_clears(
    rule, usage, clock
):
    rule()
    usage(40)
    for value in (66, 44, 68, 42, 69):  # totals 58, 47, 59, 46, 59.5
        clock.days_later(0.1)
        usage(value)
    assert events() == [("ok", "firing", True)]

    clock.days_later(0.1)
    usage(80)  # 65: above the clear level

    assert events() == [("ok", "firing", True), ("firing", "cleared", True)]
    assert Alert.objects.get().state == "cleared"


def test_after_clearing_a_new_alert_waits_for_the_cooldown(rule, usage, clock):
    rule(cooldown_seconds=3 * 86400)
    usage(40)
    usage(80)

    clock.days_later(1)
    usage(40)
    assert Alert.objects.count() == 1

    clock.days_later(3)
    usage(41)
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(state="firing").count() == 1


def test_a_dwell_fires_only_when_the_condition_has_held_long_enough(rule, usage, clock):
    rule(dwell_seconds=86400)
    usage(40)
    assert events() == [("ok", "pending", False)]

    clock.days_later(0.5)
    evaluate_all(now=clock.now)
    assert Alert.objects.get().state == "pending"

    clock.days_later(0.5)
    evaluate_all(now=clock.now)
    assert events()[-1] == ("pending", "firing", True)


def test_a_dip_shorter_than_the_dwell_is_dismissed_unannounced(rule, usage, clock):
    rule(dwell_seconds=86400)
    usage(40)

    clock.days_later(0.2)
    usage(66)  # 58: no longer below the trigger

    assert events() == [("ok", "pending", False), ("pending", "dismissed", False)]


def test_reminders_follow_the_repeat_period_until_acknowledged(rule, usage, clock):
    rule(repeat_seconds=2 * 86400)
    usage(40)

    clock.days_later(1)
    evaluate_all(now=clock.now)
    clock.days_later(1)
    evaluate_all(now=clock.now)
    assert events()[-1] == ("firing", "reminder", True)

    acknowledge(alert=Alert.objects.get(), by="csm-2", now=clock.now)
    clock.days_later(2)
    evaluate_all(now=clock.now)

    assert [e[1] for e in events()] == ["firing", "reminder", "acknowledged"]


def test_a_snoozed_alert_is_quiet_until_its_date(rule, usage, clock):
    rule(repeat_seconds=86400)
    usage(40)
    alert = Alert.objects.get()
    snooze(alert=alert, until=clock.now + timedelta(days=3), by="csm-2", now=clock.now)

    for _ in range(3):
        clock.days_later(1)
        evaluate_all(now=clock.now)
    assert [e[1] for e in events()] == ["firing", "snoozed", "reminder"]
    assert AlertEvent.objects.filter(new_state="reminder").get().at == clock.now


def test_a_rule_only_watches_the_accounts_in_its_scope(rule, usage):
    rule(scope={"segments": ["strategic"]})

    usage(10)

    assert not Alert.objects.exists()


def test_a_grade_rule_fires_on_entering_the_grade(rule, usage):
    rule(name="at-risk", kind="grade", params={"grades": ["at_risk"]})
    usage(80)

    usage(10)  # 30: at risk

    alert = Alert.objects.get()
    assert (alert.state, alert.reason) == ("firing", "grade is at_risk")


def test_a_drop_rule_compares_with_the_score_days_ago(rule, usage, clock):
    rule(name="falling", kind="drop", params={"points": 10, "days": 7})
    usage(80)  # 65
    clock.days_later(7)

    usage(50)  # 50: fell 15 in 7 days

    assert (
        Alert.objects.get().reason == "score fell 15.0 points in 7 days (65.0 -> 50.0)"
    )


def test_a_criterion_rule_watches_one_criterion(rule, usage):
    rule(name="low-usage", kind="criterion",
         params={"criterion": "usage", "op": "<", "value": 20})  # fmt: skip

    usage(15)

    assert Alert.objects.get().reason == "usage raw is 15 (< 20)"


def test_an_executive_sponsors_low_answer_fires(rule, cast, signal, clock):
    rule(
        name="sponsor-unhappy",
        kind="criterion",
        params={"metric": "stakeholder_rating", "role": "executive_sponsor",
                "op": "<=", "value": 2},
    )  # fmt: skip

    ingest_signals(
        [signal("acme", "stakeholder_rating", 5, contact="ops"),
         signal("acme", "stakeholder_rating", 2, contact="ceo")],
        now=clock.now,
    )  # fmt: skip

    alert = Alert.objects.get()
    assert (alert.account, alert.reason) == (
        cast.acme,
        "the executive_sponsor's latest stakeholder_rating is 2",
    )


def test_a_stale_criterion_fires_when_time_has_passed(rule, usage, clock):
    rule(name="usage-stale", kind="stale", params={"criterion": "usage"})
    usage(70)
    assert not Alert.objects.exists()

    clock.days_later(4)  # usage goes stale after 3 days
    rescore(Account.objects.filter(key="globex"), now=clock.now)

    assert Alert.objects.get().reason == "usage is stale"


def test_a_disabled_rule_does_nothing(rule, usage):
    rule(enabled=False)

    usage(10)

    assert not Alert.objects.exists()
