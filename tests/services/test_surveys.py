"""Surveys end to end: a campaign emails each contact a personal link (to a real
SMTP server on loopback), the contact answers on the public page, and the
account's score moves before the thank-you page.

acme's contacts, all with addresses at acme.example: ceo (executive sponsor),
cto (decision maker), ops (champion), intern and three more users. The survey
`pulse` asks one 1-5 question, so its stakeholder_rating is the answer itself.
"""

import logging
import re
from datetime import timedelta

import pytest
from django.test import Client

from scorecards.accounts.service import upsert_contacts
from scorecards.feedback.campaigns import launch_campaign, remind_due, send_due
from scorecards.feedback.forms import define_form
from scorecards.feedback.models import Invitation, Unsubscribe
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore
from scorecards.testing.loopback import mailbox

__all__ = ["mailbox"]

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/r/[A-Za-z0-9_-]+)\s")


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.BASE_URL = "http://testserver"


@pytest.fixture
def people(cast, clock):
    contacts = [
        {"account": "acme", "key": key, "email": f"{key}@acme.example"}
        for key in ("ceo", "cto", "ops", "intern")
    ] + [
        {
            "account": "acme",
            "key": f"user-{n}",
            "role": "user",
            "email": f"user-{n}@acme.example",
        }
        for n in (2, 3, 4)
    ]
    upsert_contacts(contacts, now=clock.now)


@pytest.fixture
def pulse(clock):
    form, _ = define_form(
        key="pulse",
        kind="stakeholder",
        title="How are we doing?",
        questions=[{"key": "overall", "text": "Overall, how well do we serve you?"}],
        now=clock.now,
    )
    return form


def launch(pulse, clock, **more):
    fields = {
        "name": "Q4 pulse",
        "form": pulse,
        "segments": ["strategic"],
        "csms": [],
        "accounts": [],
        "roles": [],
        "remind_after_days": 5,
        "max_reminders": 2,
        "closes_at": clock.now + timedelta(days=14),
        "by": "a manager",
        "now": clock.now,
        **more,
    }
    return launch_campaign(**fields)


def links(mailbox):
    found = {}
    for message in mailbox.messages:
        path = LINK.search(message.get_payload()).group(1)
        found[message["X-Envelope-To"]] = path
    return found


def stakeholders():
    criteria = AccountScore.objects.get(account__key="acme").criteria
    return next(c for c in criteria if c["key"] == "stakeholders")


def test_a_contact_answers_from_the_email_and_the_score_moves(
    people, pulse, clock, mailbox
):
    campaign = launch(pulse, clock)
    assert send_due(now=clock.now) == 7
    assert send_due(now=clock.now) == 0
    path = links(mailbox)["ceo@acme.example"]
    assert stakeholders()["missing"] is True

    page = Client().get(path)
    assert page.status_code == 200
    assert "Acme Corp" in page.content.decode()
    assert "Overall, how well do we serve you?" in page.content.decode()

    answered = Client().post(path, {"overall": "2", "comment": "Slow replies."})

    assert answered.status_code == 302
    assert answered["Location"] == f"{path}/thanks"
    signal = Signal.objects.get(metric="stakeholder_rating")
    assert (signal.value, signal.contact.key, signal.source) == (2, "ceo", "survey")
    assert Signal.objects.get(metric="stakeholder_overall").value == 2
    assert stakeholders()["raw"] == pytest.approx(0.4 * 2 + 0.6 * 3)  # capped, prior
    assert Invitation.objects.get(contact__key="ceo").answered_at == clock.now
    assert campaign.invitations.count() == 7


def test_reminders_go_only_to_those_who_did_not_answer(people, pulse, clock, mailbox):
    launch(pulse, clock, roles=["executive_sponsor", "decision_maker"], max_reminders=1)
    send_due(now=clock.now)
    Client().post(links(mailbox)["ceo@acme.example"], {"overall": "4"})
    mailbox.messages.clear()

    clock.days_later(4)
    assert remind_due(now=clock.now) == 0
    clock.days_later(1)
    assert remind_due(now=clock.now) == 1
    clock.days_later(5)
    assert remind_due(now=clock.now) == 0  # at most one reminder

    [reminder] = mailbox.messages
    assert reminder["X-Envelope-To"] == "cto@acme.example"
    assert reminder["Subject"].startswith("Reminder: How are we doing?")


def test_an_answer_given_again_replaces_the_first(people, pulse, clock, mailbox):
    launch(pulse, clock)
    send_due(now=clock.now)
    path = links(mailbox)["ops@acme.example"]
    Client().post(path, {"overall": "5"})

    again = Client().get(path).content.decode()
    assert "You answered on" in again
    Client().post(path, {"overall": "3"})

    assert list(
        Signal.objects.filter(metric="stakeholder_rating").values_list(
            "value", flat=True
        )
    ) == [3]


def test_one_happy_champion_cannot_mask_four_unhappy_users(
    people, pulse, clock, mailbox
):
    launch(pulse, clock, roles=["champion", "user"])
    send_due(now=clock.now)
    paths = links(mailbox)

    Client().post(paths["ops@acme.example"], {"overall": "5"})
    for user in ("intern", "user-2", "user-3", "user-4"):
        Client().post(paths[f"{user}@acme.example"], {"overall": "2"})

    # SCORING.md's worked example: 0.2 each, 0.2*5 + 0.8*2 = 2.6, a score of 40.
    assert stakeholders()["raw"] == pytest.approx(2.6)
    assert stakeholders()["score"] == pytest.approx(40)


def test_a_tampered_link_is_refused_with_a_page(people, pulse, clock, mailbox):
    launch(pulse, clock)
    send_due(now=clock.now)
    path = links(mailbox)["ceo@acme.example"]
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")

    page = Client().get(tampered)
    posted = Client().post(tampered, {"overall": "1"})

    assert page.status_code == posted.status_code == 404
    assert "This link does not work" in page.content.decode()
    assert not Signal.objects.filter(metric="stakeholder_rating").exists()


def test_a_closed_campaign_says_so(people, pulse, clock, mailbox):
    launch(pulse, clock)
    send_due(now=clock.now)
    path = links(mailbox)["ceo@acme.example"]

    clock.days_later(15)
    page = Client().get(path)

    assert page.status_code == 410
    assert "This survey has closed" in page.content.decode()


def test_an_answer_must_choose_on_the_scale(people, pulse, clock, mailbox):
    launch(pulse, clock)
    send_due(now=clock.now)

    page = Client().post(links(mailbox)["ceo@acme.example"], {"overall": "9"})

    assert page.status_code == 400
    assert "Please choose from 1 to 5." in page.content.decode()
    assert not Signal.objects.filter(metric="stakeholder_rating").exists()


def test_an_unsubscribed_contact_is_not_reminded_nor_asked_again(
    people, pulse, clock, mailbox
):
    launch(pulse, clock, roles=["executive_sponsor"])
    send_due(now=clock.now)
    path = links(mailbox)["ceo@acme.example"]

    Client().post(f"{path}/unsubscribe")
    clock.days_later(6)

    assert Unsubscribe.objects.get().contact.key == "ceo"
    assert remind_due(now=clock.now) == 0
    second = launch(pulse, clock, roles=["executive_sponsor"])
    assert second.invitations.count() == 0


def test_personal_data_stays_out_of_the_logs(people, pulse, clock, mailbox, caplog):
    caplog.set_level(logging.DEBUG, logger="scorecards")
    launch(pulse, clock)
    send_due(now=clock.now)
    path = links(mailbox)["ceo@acme.example"]
    Client().post(path, {"overall": "2", "comment": "A private remark."})

    # Ours, not the test's own SMTP server's.
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("scorecards")
    )
    assert "acme.example" not in ours
    assert "A private remark" not in ours
    assert "invitation" in ours  # the log did speak


def test_surveys_and_campaigns_are_audited_without_naming_contacts(
    people, pulse, clock
):
    from scorecards.audit.models import AuditEntry

    define_form(
        key=pulse.key,
        kind=pulse.kind,
        title=pulse.title,
        questions=[{"key": "value", "text": "How much value do you get?"}],
        now=clock.now,
    )
    campaign = launch(pulse, clock)

    first, second = AuditEntry.objects.filter(action="survey.published").order_by("id")
    assert (first.before, first.after["version"]) == (None, 1)
    assert second.before["version"] == 1
    assert second.after["questions"][0]["key"] == "value"
    launched = AuditEntry.objects.get(action="campaign.launched")
    assert launched.target == f"campaign:{campaign.pk}"
    assert launched.detail == {"invited": campaign.invitations.count()}
    assert "@" not in str(launched.after)
