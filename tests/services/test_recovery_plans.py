"""Recovery plans: opened when an alert fires, recovered when it clears, and
owners told of overdue tasks (by email, to a real SMTP server on loopback).

globex's CSM is csm-2, a user with the address csm-2@vendor.example; the
playbook `win-back` has two steps, the CSM's in 2 days and ops-lead's in 7.
"""

from datetime import timedelta

import pytest

from scorecards.alerts.models import AlertRule, PlanTask, Playbook, RecoveryPlan
from scorecards.alerts.plans import complete_task, notify_overdue, playbook_outcomes
from scorecards.testing.loopback import mailbox

__all__ = ["mailbox"]

pytestmark = pytest.mark.django_db

STEPS = [
    {"title": "Call the sponsor", "description": "Find out what changed.",
     "assignee": "csm", "due_days": 2},
    {"title": "Review the open escalations", "assignee": "user:ops-lead",
     "due_days": 7},
]  # fmt: skip


@pytest.fixture
def rule(clock, django_user_model):
    django_user_model.objects.create_user("csm-2", email="csm-2@vendor.example")
    playbook = Playbook.objects.create(
        name="win-back", steps=STEPS, created_at=clock.now, updated_at=clock.now
    )
    return AlertRule.objects.create(
        name="low-score",
        kind="threshold",
        params={"trigger": 50, "clear": 60},
        playbook=playbook,
        created_at=clock.now,
        updated_at=clock.now,
    )


def test_a_firing_alert_opens_its_playbook_with_owners_and_due_dates(
    rule, usage, clock
):
    usage(40)

    plan = RecoveryPlan.objects.get()
    assert (plan.account.key, plan.status, plan.opened_by) == (
        "globex", "open", "rule low-score",
    )  # fmt: skip
    assert plan.score_at_open == 45.0
    tasks = list(plan.tasks.values_list("title", "owner", "due_at"))
    assert tasks == [
        ("Call the sponsor", "csm-2", clock.now + timedelta(days=2)),
        ("Review the open escalations", "ops-lead", clock.now + timedelta(days=7)),
    ]


def test_the_plan_is_recovered_when_the_alert_clears(rule, usage, clock):
    usage(40)
    clock.days_later(3)

    usage(80)

    plan = RecoveryPlan.objects.get()
    assert (plan.status, plan.score_at_close) == ("recovered", 65.0)
    assert plan.tasks.filter(done_at=None).count() == 2  # still there to close
    assert playbook_outcomes()[plan.playbook_id] == {
        "opened": 1, "open": 0, "recovered": 1, "closed": 0,
    }  # fmt: skip


def test_an_alert_firing_again_later_opens_a_new_plan(rule, usage, clock):
    usage(40)
    usage(80)
    clock.days_later(1)

    usage(40)

    assert list(RecoveryPlan.objects.values_list("status", flat=True)) == [
        "open",
        "recovered",
    ]


def test_an_overdue_task_tells_its_owner_once(rule, usage, clock, mailbox):
    usage(40)
    clock.days_later(2)

    assert notify_overdue(now=clock.now) == 1
    assert notify_overdue(now=clock.now) == 0

    [email] = mailbox.messages
    assert email["X-Envelope-To"] == "csm-2@vendor.example"
    assert email["Subject"] == "[overdue] Globex: Call the sponsor"


def test_a_task_done_in_time_is_never_overdue(rule, usage, clock, mailbox):
    usage(40)
    first = PlanTask.objects.get(position=1)
    complete_task(task=first, by="csm-2", now=clock.now)

    clock.days_later(3)
    notify_overdue(now=clock.now)

    assert mailbox.messages == []
