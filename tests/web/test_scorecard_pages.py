"""Scorecards in the web app: the list, a scorecard's versions and what changed
between two, and the editor (a draft checked, previewed against today's data
without writing anything, then published by an admin).

The cast: one scorecard `smb` (healthy from 70, at_risk below) scoring three
accounts on weekly active users: acc-low (30), acc-mid (60) and acc-high (90).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from scorecards.accounts.service import upsert_accounts
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.people.service import add_person
from scorecards.scoring.models import AccountScore, ScorecardVersion
from scorecards.scoring.publish import publish
from scorecards.web.scorecards import STARTERS, starter

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARD = """\
key: smb
name: Small business
grades:
  - {name: healthy, min: 70}
  - {name: at_risk, min: 0}
criteria:
  - {key: usage, metric: weekly_active_users, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
"""
USAGE = {"acc-low": 30, "acc-mid": 60, "acc-high": 90}


@pytest.fixture
def book(time_machine):
    time_machine.move_to(NOW, tick=False)
    publish(source=CARD, format="yaml", author="cs-ops", now=NOW - timedelta(days=1))
    upsert_accounts([{"key": key} for key in USAGE], now=NOW)
    ingest_signals(
        [IncomingSignal(k, "weekly_active_users", v, NOW) for k, v in USAGE.items()],
        now=NOW,
    )


def client_as(role: str) -> Client:
    client = Client()
    client.force_login(add_person(f"{role}-01", role=role))
    return client


def grades() -> dict[str, str]:
    return dict(AccountScore.objects.values_list("account__key", "grade"))


def test_the_list_shows_each_scorecard_and_how_many_accounts_it_scores(book):
    page = " ".join(client_as("viewer").get("/scorecards/").content.decode().split())

    assert 'href="/scorecards/smb/"' in page
    assert '<td class="number">3</td>' in page
    assert "/scorecards/smb/edit" not in page  # a viewer edits nothing


def test_a_preview_says_what_would_change_and_writes_nothing(book):
    draft = CARD.replace("min: 70", "min: 50")

    response = client_as("admin").post(
        "/scorecards/smb/edit", {"source": draft, "format": "yaml", "action": "preview"}
    )
    page = " ".join(response.content.decode().split())

    assert response.status_code == 200
    assert "<strong>3</strong> accounts would be scored under smb" in page
    assert "<strong>1</strong> account would change grade" in page
    assert 'href="/accounts/acc-mid/"' in page
    assert "<td>at_risk</td><td>healthy</td>" in page
    assert ScorecardVersion.objects.count() == 1
    assert grades() == {"acc-low": "at_risk", "acc-mid": "at_risk",
                        "acc-high": "healthy"}  # fmt: skip


def test_publishing_scores_every_account_under_the_new_version(book):
    draft = CARD.replace("min: 70", "min: 50")

    response = client_as("admin").post(
        "/scorecards/smb/edit", {"source": draft, "format": "yaml", "action": "publish"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/scorecards/smb/"
    assert ScorecardVersion.objects.filter(scorecard__key="smb").count() == 2
    assert grades()["acc-mid"] == "healthy"
    assert ScorecardVersion.objects.get(number=2).published_by == "admin-01"


def test_what_changed_between_two_versions(book):
    publish(source=CARD.replace("min: 70", "min: 50"), format="yaml",
            author="cs-ops", now=NOW)  # fmt: skip

    page = client_as("viewer").get("/scorecards/smb/?from=1&to=2").content.decode()

    assert '<span class="diff-removed">-   - {name: healthy, min: 70}</span>' in page
    assert '<span class="diff-added">+   - {name: healthy, min: 50}</span>' in page


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (("weight: 1", "weight: -1"), "criteria[0].weight", None),
        (("key: smb", "key: other"), "key", "is &#x27;other&#x27;; this page edits"),
        (("grades:", "grades: [oops"), None, None),
    ],
)
def test_a_draft_with_problems_is_refused_naming_each(book, change, path, message):
    draft = CARD.replace(*change)

    response = client_as("admin").post(
        "/scorecards/smb/edit", {"source": draft, "format": "yaml", "action": "publish"}
    )
    page = response.content.decode()

    assert response.status_code == 422
    assert 'role="alert"' in page
    if path:
        assert f"<strong>{path}</strong>" in page
    if message:
        assert message in page
    assert ScorecardVersion.objects.count() == 1


def test_a_new_scorecard_starts_from_a_starter(book):
    admin = client_as("admin")
    text = starter("onboarding")

    page = admin.get("/scorecards/new?starter=onboarding").content.decode()
    assert "key: onboarding" in page
    assert "Onboarding milestones reached" in page

    response = admin.post(
        "/scorecards/new", {"source": text, "format": "yaml", "action": "publish"}
    )
    assert response.status_code == 302
    assert ScorecardVersion.objects.filter(scorecard__key="onboarding").exists()


@pytest.mark.parametrize("name", sorted(STARTERS))
def test_every_starter_previews_cleanly(book, name):
    response = client_as("admin").post(
        "/scorecards/new",
        {"source": starter(name), "format": "yaml", "action": "preview"},
    )

    assert response.status_code == 200
    assert "would be scored under" in response.content.decode()


def test_a_new_scorecard_may_not_take_an_existing_key(book):
    response = client_as("admin").post(
        "/scorecards/new", {"source": CARD, "format": "yaml", "action": "publish"}
    )

    assert response.status_code == 422
    assert "exists already" in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "csm", "viewer"])
def test_only_admins_edit_scorecards(book, role):
    client = client_as(role)

    assert client.get("/scorecards/smb/edit").status_code == 403
    response = client.post(
        "/scorecards/smb/edit",
        {"source": CARD.replace("min: 70", "min: 50"), "action": "publish"},
    )
    assert response.status_code == 403
    assert ScorecardVersion.objects.count() == 1
