"""The evidence page, signed in as csm-01: the AUC, the charts, the tables and the
suggested weights beside the current ones; the draft to download."""

import pytest
import yaml
from outcome_helpers import DECIDED

from scorecards.outcomes.service import upsert_outcomes
from scorecards.scoring.models import Scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, django_user_model):
    user = django_user_model.objects.create_user(username="csm-01", password="x")
    client.force_login(user)
    return client


@pytest.fixture
def outcomes(book, now):
    items = [
        {"account": key, "kind": kind, "decided_at": DECIDED, "source": "csv",
         "id": key}
        for key, _, _, kind in book
    ]  # fmt: skip
    upsert_outcomes(items, now=now)


def test_the_page_shows_the_auc_the_charts_and_the_weights(signed_in, outcomes):
    page = signed_in.get("/scorecards/default/evidence/", {"lead_days": 90})

    assert page.status_code == 200
    html = page.content.decode()
    assert "Evidence for default" in html
    assert "AUC of the score for churn" in html
    assert '<svg class="roc"' in html
    assert "<polyline" in html
    assert '<svg class="calibration"' in html
    assert "<circle" in html
    assert "By decile of score, the lowest first" in html
    assert "Suggested weights" in html
    assert "Too few outcomes to trust these figures" in html
    auc = page.context["result"].current.auc
    assert f"<strong>{auc:.2f}</strong>" in html
    assert page.context["weights"][0]["path"] == "usage"
    assert "key: default" in html  # the draft, shown and not published
    assert 'action="/scorecards/default/edit"' in html


def test_the_draft_downloads_and_nothing_is_published(signed_in, outcomes):
    answer = signed_in.get("/scorecards/default/evidence/draft.yaml")

    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="default-draft.yaml"'
    draft = yaml.safe_load(answer.content)
    assert draft["key"] == "default"
    assert len(draft["criteria"]) == 2
    assert Scorecard.objects.get(key="default").current.number == 1


def test_without_outcomes_the_page_says_so(signed_in, book):
    page = signed_in.get("/scorecards/default/evidence/")

    assert page.status_code == 200
    assert "Too few outcomes to fit weights" in page.content.decode()


def test_the_page_needs_a_signed_in_user_and_a_known_scorecard(client, signed_in, book):
    assert signed_in.get("/scorecards/nothing/evidence/").status_code == 404
    client.logout()
    assert client.get("/scorecards/default/evidence/").status_code == 302


def test_the_draft_previews_in_the_scorecard_editor(
    client, django_user_model, outcomes
):
    admin = django_user_model.objects.create_superuser(username="ops-01", password="x")
    client.force_login(admin)
    page = client.get("/scorecards/default/evidence/")
    draft = page.context["draft_yaml"]

    preview = client.post(
        "/scorecards/default/edit",
        {"source": draft, "format": "yaml", "action": "preview"},
    )

    assert preview.status_code == 200
    assert preview.context["text"] == draft
    assert preview.context["preview"] is not None
    assert Scorecard.objects.get(key="default").current.number == 1
