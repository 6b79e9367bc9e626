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
from scorecards.people.models import Team
from scorecards.people.service import add_person
from scorecards.scoring.history import record_daily_points
from scorecards.scoring.models import AccountScore, Override
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


def words(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_chart_takes_a_range_and_marks_a_new_scorecard_version(acme):
    # Version 2 published 3 days before NOW: its first daily point is marked.
    publish(
        source=CARD.replace("min: 70", "min: 60"),
        format="yaml",
        author="cs-ops",
        now=NOW - timedelta(days=3, hours=1),
    )
    for day in (3, 2, 1):
        record_daily_points((NOW - timedelta(days=day)).date())

    page = words(acme.get("/accounts/acme/?days=30"))

    assert '<h2 id="history-heading">The last 30 days</h2>' in page
    assert 'href="?days=30#history-heading" aria-current="true"' in page
    assert 'class="marker marker-version"' in page
    assert "default version 2" in page
    assert "The last 365 days" in words(acme.get("/accounts/acme/?days=365"))
    assert "The last 90 days" in words(acme.get("/accounts/acme/?days=7"))


def test_why_it_changed_between_two_dates(acme):
    start = (NOW - timedelta(days=8)).date().isoformat()
    end = (NOW - timedelta(days=2)).date().isoformat()

    page = words(acme.get(f"/accounts/acme/?from={start}&to={end}"))
    why = page.split('id="why-heading"')[1].split("</section>")[0]

    # Usage fell 8 users a day for 6 days: 48 points of usage, two thirds of
    # the total (weight 2 of 3).
    assert '<th scope="row">usage</th>' in why
    assert "-32.0" in why
    backwards = words(acme.get(f"/accounts/acme/?from={end}&to={start}"))
    assert "must be after the first date" in backwards


def test_each_contact_shows_the_latest_answer_or_that_none_came(acme):
    page = words(acme.get("/accounts/acme/"))
    contacts = page.split('id="contacts-heading"')[1].split("</table>")[0]

    assert "nps 3," in contacts  # ops answered
    assert '<span class="tag">not heard</span>' in contacts  # ceo never did


def test_the_timeline_tells_signals_and_alert_changes(acme):
    timeline = words(acme.get("/accounts/acme/")).split('id="timeline-heading"')[1]

    assert "weekly_active_users = 18" in timeline
    assert "at-risk:" in timeline


def test_a_manager_sets_an_override_and_a_csm_may_not(acme):
    manager = add_person("manager-01", role="manager")
    add_person("csm-01-user", role="csm", email="csm-01", teams=["east"])
    Team.objects.filter(name="east").update(manager=manager)
    client = Client()
    client.force_login(manager)

    response = client.post(
        "/accounts/acme/override",
        {"target": "*", "value": "75", "reason": "Renewal signed", "days": "14"},
    )

    assert response.status_code == 302
    override = Override.objects.get(account__key="acme")
    assert (override.value, override.set_by) == (75.0, "manager-01")
    assert override.expires_at == NOW + timedelta(days=14)
    assert AccountScore.objects.get(account__key="acme").overridden
    assert (
        acme.post(
            "/accounts/acme/override",
            {"target": "*", "value": "10", "reason": "x", "days": "1"},
        ).status_code
        == 403
    )
    assert Override.objects.count() == 1


def test_an_override_needs_a_reason(acme):
    admin = Client()
    admin.force_login(add_person("admin-02", role="admin"))

    admin.post("/accounts/acme/override", {"target": "*", "value": "75", "days": "14"})

    assert not Override.objects.exists()
