"""My work: the tasks a CSM owns, the alerts on their accounts, the accounts
that fell this week; acknowledging, snoozing and finishing from the page.

The cast: acme (csm-01) fell from 90 to 20 weekly active users since a week
ago, so it is at risk, its alert fires and the win-back plan gives csm-01 a
task; globex (csm-02) fell from 95 to 30 the same way. csm-01 and csm-02 are
in the team "east" that manager-01 manages; admin-01 sees every account.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from scorecards.accounts.service import upsert_accounts
from scorecards.alerts.models import Alert, AlertEvent, AlertRule, PlanTask, Playbook
from scorecards.alerts.service import evaluate_all
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.people.models import Team
from scorecards.people.service import add_person
from scorecards.scoring.history import record_daily_points
from scorecards.scoring.publish import publish

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARD = """\
key: default
grades:
  - {name: healthy, min: 70}
  - {name: at_risk, min: 0}
criteria:
  - {key: usage, metric: weekly_active_users, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
"""
USAGE = {"acme": (90, 20), "globex": (95, 30)}


@pytest.fixture
def book(time_machine):
    week_ago = NOW - timedelta(days=7)
    time_machine.move_to(week_ago, tick=False)
    publish(source=CARD, format="yaml", author="cs-ops", now=week_ago)
    playbook = Playbook.objects.create(
        name="win-back",
        steps=[{"title": "Call the sponsor", "assignee": "csm", "due_days": 2}],
        created_at=week_ago,
        updated_at=week_ago,
    )
    AlertRule.objects.create(
        name="at-risk", kind="grade", params={"grades": ["at_risk"]},
        playbook=playbook, created_at=week_ago, updated_at=week_ago,
    )  # fmt: skip
    upsert_accounts(
        [{"key": "acme", "csm": "csm-01"}, {"key": "globex", "csm": "csm-02"}],
        now=week_ago,
    )
    for moment, index in ((week_ago, 0), (NOW, 1)):
        time_machine.move_to(moment, tick=False)
        ingest_signals(
            [
                IncomingSignal(key, "weekly_active_users", values[index], moment)
                for key, values in USAGE.items()
            ],
            now=moment,
        )
        record_daily_points(moment.date())
    evaluate_all(now=NOW)
    people = {
        "csm-01": add_person("csm-01", role="csm", teams=["east"]),
        "csm-02": add_person("csm-02", role="csm", teams=["east"]),
        "manager-01": add_person("manager-01", role="manager"),
        "admin-01": add_person("admin-01", role="admin"),
        "viewer-01": add_person("viewer-01", role="viewer"),
    }
    Team.objects.filter(name="east").update(manager=people["manager-01"])
    return people


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def words(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_csm_sees_their_tasks_alerts_and_declines(book):
    page = words(signed_in(book["csm-01"]).get("/work/"))

    assert "Call the sponsor" in page
    assert "grade is at_risk" in page
    assert "globex" not in page  # csm-02's
    declines = page.split('id="declines-heading"')[1]
    assert "90.0" in declines
    assert "20.0" in declines
    assert "-70.0" in declines


def test_a_manager_sees_the_team_and_an_admin_everything(book):
    manager = words(signed_in(book["manager-01"]).get("/work/"))
    admin = words(signed_in(book["admin-01"]).get("/work/?csm=csm-02"))

    assert "acme" in manager
    assert "globex" in manager
    assert "csm-02&#x27;s accounts" in admin
    assert "globex" in admin
    assert "/accounts/acme/" not in admin


def test_acknowledging_twice_records_one_event(book):
    client = signed_in(book["csm-01"])
    alert = Alert.objects.get(account__key="acme")

    for _ in range(2):
        response = client.post(f"/alerts/{alert.pk}/acknowledge", {"next": "/work/"})
        assert response.status_code == 302
        assert response["Location"] == "/work/"

    alert.refresh_from_db()
    assert alert.acknowledged_by == "csm-01"
    assert AlertEvent.objects.filter(alert=alert, new_state="acknowledged").count() == 1


def test_snoozing_takes_one_of_the_offered_lengths(book):
    client = signed_in(book["csm-01"])
    alert = Alert.objects.get(account__key="acme")

    client.post(f"/alerts/{alert.pk}/snooze", {"days": "5"})
    alert.refresh_from_db()
    assert alert.snoozed_until is None

    client.post(f"/alerts/{alert.pk}/snooze", {"days": "7"})
    alert.refresh_from_db()
    assert alert.snoozed_until == NOW + timedelta(days=7)


def test_finishing_a_task(book):
    task = PlanTask.objects.get(plan__account__key="acme")

    signed_in(book["csm-01"]).post(f"/tasks/{task.pk}/done")

    task.refresh_from_db()
    assert (task.done_at, task.done_by) == (NOW, "csm-01")
    assert "Call the sponsor" not in words(signed_in(book["csm-01"]).get("/work/"))


@pytest.mark.parametrize("who", ["csm-02", "viewer-01"])
def test_others_cannot_act_on_an_account_they_may_not_change(book, who):
    client = signed_in(book[who])
    alert = Alert.objects.get(account__key="acme")
    task = PlanTask.objects.get(plan__account__key="acme")

    assert client.post(f"/alerts/{alert.pk}/acknowledge").status_code == 403
    assert client.post(f"/alerts/{alert.pk}/snooze", {"days": "7"}).status_code == 403
    assert client.post(f"/tasks/{task.pk}/done").status_code == 403
    alert.refresh_from_db()
    task.refresh_from_db()
    assert alert.acknowledged_at is None
    assert alert.snoozed_until is None
    assert task.done_at is None


def test_a_redirect_never_leaves_the_site(book):
    alert = Alert.objects.get(account__key="acme")

    response = signed_in(book["csm-01"]).post(
        f"/alerts/{alert.pk}/acknowledge", {"next": "https://elsewhere.example/"}
    )

    assert response["Location"] == "/work/"
