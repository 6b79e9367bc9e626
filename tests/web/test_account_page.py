"""One account's page: the score and why, its history, its alerts and plans,
and who was heard. Signed in as csm-01."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.alerts.models import AlertRule, Playbook, RecoveryPlan
from scorecards.feedback.forms import define_form
from scorecards.ingest.models import Signal
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.people.service import add_person
from scorecards.scoring.history import record_daily_points
from scorecards.scoring.publish import publish
from scorecards.scoring.trends import refresh_trends

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARD = """\
key: default
grades:
  - {name: healthy, min: 70}
  - {name: at_risk, min: 0}
criteria:
  - {key: usage, metric: weekly_active_users, weight: 2, aggregate: latest,
     stale_after: 3d, normalize: {linear: [0, 100]}}
  - {key: nps, metric: nps, weight: 1, aggregate: latest,
     normalize: {linear: [0, 10]}}
"""


@pytest.fixture
def acme(time_machine, django_user_model):
    time_machine.move_to(NOW - timedelta(days=10), tick=False)
    start = NOW - timedelta(days=10)
    publish(source=CARD, format="yaml", author="cs-ops", now=start)
    playbook = Playbook.objects.create(
        name="win-back",
        steps=[{"title": "Call the sponsor", "assignee": "csm", "due_days": 2}],
        created_at=start,
        updated_at=start,
    )
    AlertRule.objects.create(
        name="at-risk",
        kind="grade",
        params={"grades": ["at_risk"]},
        playbook=playbook,
        created_at=start,
        updated_at=start,
    )
    upsert_accounts([{"key": "acme", "name": "Acme Corp", "csm": "csm-01"}], now=start)
    upsert_contacts(
        [
            {"account": "acme", "key": "ceo", "role": "executive_sponsor"},
            {"account": "acme", "key": "ops", "role": "champion"},
        ],
        now=start,
    )
    for day in range(10):
        moment = start + timedelta(days=day)
        time_machine.move_to(moment, tick=False)
        ingest_signals(
            [
                IncomingSignal("acme", "weekly_active_users", 90 - 8 * day, moment),
                IncomingSignal("acme", "nps", 3, moment, "ops"),
            ],
            now=moment,
        )
        record_daily_points(moment.date())
    time_machine.move_to(NOW, tick=False)
    refresh_trends(now=NOW)
    client = Client()
    client.force_login(django_user_model.objects.create_user("csm-01"))
    return client


def test_the_page_shows_the_score_its_breakdown_and_its_history(acme):
    page = acme.get("/accounts/acme/").content.decode()

    assert "<title>Acme Corp · Scorecards</title>" in page
    assert "<h1>Acme Corp" in page
    assert "at risk" in page
    assert '<th scope="row">usage</th>' in page
    assert 'aria-label="The score over the last 90 days: from' in page
    assert "<polyline points=" in page
    assert "stale" not in page.split("Breakdown")[1].split("</table>")[0]


def test_the_page_shows_open_alerts_and_recovery_plans(acme):
    page = acme.get("/accounts/acme/").content.decode()

    assert "<strong>at-risk</strong> (firing since" in page
    assert "Call the sponsor — csm-01, due" in page


def test_the_page_says_who_was_heard_and_warns_of_no_executive_voice(acme):
    page = acme.get("/accounts/acme/").content.decode()

    assert "No executive sponsor has answered in 180 days." in page
    assert '<th scope="row">executive sponsor</th>' in page


def test_the_accounts_list_links_to_each_page(acme):
    page = acme.get("/").content.decode()

    assert 'href="/accounts/acme/"' in page


def test_an_unknown_account_is_404(acme):
    assert acme.get("/accounts/nope/").status_code == 404


@pytest.fixture
def admin(acme, django_user_model):
    client = Client()
    client.force_login(add_person("admin-01", role="admin"))
    return client


def test_an_admin_adds_a_contact_from_the_page(admin):
    answer = admin.post(
        "/accounts/acme/contacts",
        {
            "key": "cfo",
            "role": "Decision Maker",
            "name": "",
            "email": "cfo@acme.example",
        },
        follow=True,
    )

    assert "Contact cfo saved." in answer.content.decode()
    assert '<th scope="row">cfo</th><td>decision_maker</td>' in answer.content.decode()


def test_a_bad_contact_is_named_and_not_saved(admin):
    answer = admin.post(
        "/accounts/acme/contacts", {"key": "cfo", "email": "nope"}, follow=True
    )

    assert "email: Enter a valid email address." in answer.content.decode()
    assert '<th scope="row">cfo</th>' not in answer.content.decode()


def test_an_admin_records_a_qbr_and_the_score_takes_it(admin):
    define_form(
        key="qbr",
        kind="qbr",
        title="Quarterly review",
        questions=[
            {"key": "goals", "text": "Progress on goals"},
            {"key": "value", "text": "Value delivered"},
        ],
        now=NOW,
    )
    page = admin.get("/accounts/acme/").content.decode()
    assert "Record a QBR" in page

    answer = admin.post(
        "/accounts/acme/qbrs",
        {
            "survey": "qbr",
            "held_on": "2026-11-30",
            "attendees": ["ceo"],
            "notes": "Good meeting.",
            "rate_goals": "4",
            "rate_value": "2",
        },
        follow=True,
    )

    assert "QBR recorded" in answer.content.decode()
    assert Signal.objects.get(metric="qbr_score").value == 3.0


def test_a_user_without_a_role_sees_no_forms_and_may_not_post_them(acme):
    page = acme.get("/accounts/acme/").content.decode()

    assert "Add a contact" not in page
    assert acme.post("/accounts/acme/contacts", {"key": "x"}).status_code == 403


def test_the_csm_opens_a_plan_by_hand_once_and_finishes_a_task(acme):
    acme.logout()
    owner = add_person("csm-01-owner", role="csm", email="csm-01")
    # The account names its CSM "csm-01": a user whose email says so owns it.
    acme.force_login(owner)
    Playbook.objects.create(
        name="check-in",
        steps=[{"title": "Book a check-in", "assignee": "csm", "due_days": 3}],
        created_at=NOW,
        updated_at=NOW,
    )

    for _ in range(2):
        response = acme.post("/accounts/acme/plans", {"playbook": "check-in"})
        assert response.status_code == 302

    plans = RecoveryPlan.objects.filter(account__key="acme", playbook__name="check-in")
    assert plans.count() == 1
    task = plans.get().tasks.get()
    page = acme.get("/accounts/acme/").content.decode()
    assert "Book a check-in" in page
    assert f'action="/tasks/{task.pk}/done"' in page

    acme.post(f"/tasks/{task.pk}/done", {"next": "/accounts/acme/"})
    task.refresh_from_db()
    assert task.done_by == "csm-01-owner"


def test_a_viewer_cannot_open_a_plan(acme):
    Playbook.objects.create(
        name="check-in",
        steps=[{"title": "Book a check-in", "assignee": "csm", "due_days": 3}],
        created_at=NOW,
        updated_at=NOW,
    )

    response = acme.post("/accounts/acme/plans", {"playbook": "check-in"})

    assert response.status_code == 403
    assert not RecoveryPlan.objects.filter(playbook__name="check-in").exists()
