"""Who hears of an alert: the CSM, the CSM's manager, a team, a named user; by
email (a real SMTP server on loopback) and in the app's inbox.

globex's CSM is csm-2, in the team "smb-team" with csm-3, managed by lead-1.
The rule `low-score` fires below 50 and clears above 60 (see test_alerts.py for
how usage sets globex's total).
"""

import pytest
from django.test import Client

from scorecards.alerts.delivery import deliver_due
from scorecards.alerts.models import AlertRule, InboxItem, PlanTask, Playbook
from scorecards.people.models import Team
from scorecards.people.service import add_person
from scorecards.testing.loopback import mailbox

__all__ = ["mailbox"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    people = {
        "csm-2": add_person(
            "csm-2", role="csm", email="csm-2@vendor.example", teams=["smb-team"]
        ),
        "csm-3": add_person(
            "csm-3", role="csm", email="csm-3@vendor.example", teams=["smb-team"]
        ),
        "lead-1": add_person("lead-1", role="manager", email="lead-1@vendor.example"),
        "other-lead": add_person(
            "other-lead", role="manager", email="o@vendor.example"
        ),
    }
    Team.objects.filter(name="smb-team").update(manager=people["lead-1"])
    Team.objects.create(name="elsewhere", manager=people["other-lead"])
    return people


def low_score(clock, notify, playbook=None):
    return AlertRule.objects.create(
        name="low-score", kind="threshold", params={"trigger": 50, "clear": 60},
        notify=notify, playbook=playbook, created_at=clock.now, updated_at=clock.now,
    )  # fmt: skip


def test_email_reaches_the_csm_s_manager_and_a_whole_team(team, clock, usage, mailbox):
    low_score(clock, [{"kind": "email", "to": ["manager", "team:smb-team", "csm"]}])

    usage(40)
    deliver_due(worker="test", now=clock.now)

    # csm-2 is named twice (as the CSM and in the team) and gets one message.
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == [
        "csm-2@vendor.example",
        "csm-3@vendor.example",
        "lead-1@vendor.example",
    ]


def test_the_inbox_gets_one_item_per_user_and_change(team, clock, usage):
    low_score(clock, [{"kind": "inbox", "to": ["csm", "manager"]}])

    usage(40)  # fires
    usage(44)  # still firing: no new change
    clock.days_later(0.1)
    usage(80)  # clears

    items = InboxItem.objects.order_by("user__username", "event__at")
    assert [(i.user.username, i.event.new_state) for i in items] == [
        ("csm-2", "firing"),
        ("csm-2", "cleared"),
        ("lead-1", "firing"),
        ("lead-1", "cleared"),
    ]


def test_a_playbook_step_can_go_to_the_manager(team, clock, usage):
    playbook = Playbook.objects.create(
        name="escalate",
        steps=[
            {"title": "Call the customer", "assignee": "csm", "due_days": 1},
            {"title": "Review with the lead", "assignee": "manager", "due_days": 3},
        ],
        created_at=clock.now,
        updated_at=clock.now,
    )
    low_score(clock, [], playbook=playbook)

    usage(40)

    owners = dict(PlanTask.objects.values_list("title", "owner"))
    assert owners == {"Call the customer": "csm-2", "Review with the lead": "lead-1"}


def test_the_inbox_page_lists_and_marks_read(team, clock, usage):
    low_score(clock, [{"kind": "inbox", "to": ["csm"]}])
    usage(40)
    client = Client()
    client.force_login(team["csm-2"])

    page = client.get("/inbox/").content.decode()
    assert "low-score" in page
    assert 'class="badge"' in page
    [item] = InboxItem.objects.all()

    stranger = Client()
    stranger.force_login(team["csm-3"])
    assert stranger.post(f"/inbox/{item.pk}/read").status_code == 404

    client.post(f"/inbox/{item.pk}/read")
    item.refresh_from_db()
    assert item.read_at == clock.now
    assert 'class="badge"' not in client.get("/inbox/").content.decode()
