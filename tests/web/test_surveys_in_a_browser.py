"""From the web app alone: an admin defines a survey and launches a campaign; the
customer answers from the emailed link; the score moves. In headless Chromium,
with the email going to a real SMTP server on loopback."""

import re
from datetime import UTC, datetime

import pytest

from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.feedback.campaigns import send_due
from scorecards.people.service import add_person
from scorecards.scoring.models import AccountScore
from scorecards.scoring.publish import publish
from scorecards.testing.browser import off_the_loop
from scorecards.testing.loopback import mailbox

__all__ = ["mailbox"]

PASSWORD = "a-long-test-password-for-admin-01"
CARD = """\
key: default
criteria:
  - {key: stakeholders, metric: stakeholder_rating, weight: 1, aggregate: latest,
     normalize: {linear: [1, 5]}}
"""


@pytest.fixture
def book(transactional_db, django_user_model):
    now = datetime.now(UTC)
    publish(source=CARD, format="yaml", author="cs-ops", now=now)
    upsert_accounts(
        [
            {"key": "acme", "name": "Acme Corp", "segment": "strategic"},
            {"key": "globex", "name": "Globex", "segment": "smb"},
        ],
        now=now,
    )
    upsert_contacts(
        [
            {
                "account": "acme",
                "key": "ceo",
                "role": "executive_sponsor",
                "email": "ceo@acme.example",
            },
            {
                "account": "globex",
                "key": "buyer",
                "role": "champion",
                "email": "buyer@globex.example",
            },
        ],
        now=now,
    )
    add_person("admin-01", role="admin", password=PASSWORD)


def test_an_admin_surveys_a_segment_and_a_customers_answer_moves_the_score(
    live_server, book, page, mailbox, settings
):
    settings.BASE_URL = live_server.url
    page.goto(f"{live_server.url}/login/?next=/surveys/")
    page.get_by_label("Username").fill("admin-01")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Key").fill("pulse")
    page.get_by_label("Kind").select_option("stakeholder")
    page.get_by_label("Title").fill("How are we doing?")
    page.get_by_label("Questions").fill(
        "overall | Overall, how well do we serve you? | 1"
    )
    page.get_by_role("button", name="Save the survey").click()
    page.wait_for_selector("table.surveys >> text=pulse")

    page.goto(f"{live_server.url}/campaigns/")
    page.get_by_label("Name").fill("Strategic pulse")
    page.get_by_label("Survey").select_option("pulse")
    page.get_by_label("strategic").check()
    page.get_by_role("button", name="Launch").click()
    page.wait_for_selector("h1:has-text('Strategic pulse')")
    assert "Invited\n1" in page.locator(".facts").inner_text().replace("\t", "\n")

    assert (
        off_the_loop(lambda: send_due(now=datetime.now(UTC))) == 1
    )  # the worker's part
    [email] = mailbox.messages
    assert email["X-Envelope-To"] == "ceo@acme.example"
    link = re.search(r"(http://\S+/r/[A-Za-z0-9_-]+)\s", email.get_payload())[1]

    page.goto(link)
    assert "Acme Corp" in page.content()
    page.get_by_text("4", exact=True).click()
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_selector("text=Thank you")

    score = off_the_loop(lambda: AccountScore.objects.get(account__key="acme").total)
    assert score == pytest.approx(75.0)
