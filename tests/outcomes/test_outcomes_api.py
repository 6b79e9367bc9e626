"""Outcomes through the API, and the backtest of a stored scorecard against them."""

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from outcome_helpers import DECIDED, outcome_items

from scorecards.evidence import pairwise_auc
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.outcomes.models import Outcome
from scorecards.scoring.models import Scorecard

pytestmark = pytest.mark.django_db


def test_outcomes_are_recorded_once_however_often_they_are_sent(book, integrator):
    items = outcome_items(book)

    first = integrator.post("/outcomes", {"outcomes": items})
    again = integrator.post("/outcomes", {"outcomes": items})

    assert first.status_code == 200, first.content
    assert first.json() == {"created": 40, "updated": 0, "unchanged": 0}
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 40}
    assert Outcome.objects.count() == 40
    stored = Outcome.objects.get(account__key="acc-000")
    assert stored.decided_at == DECIDED
    assert (stored.source, stored.external_id[:7]) == ("api", "sha256:")


def test_a_corrected_outcome_replaces_the_one_sent_before(book, integrator):
    sent = {"account": "acc-001", "outcome": "renewal", "decided_at": "2026-04-30",
            "source": "crm", "id": "opp-1"}  # fmt: skip
    integrator.post("/outcomes", {"outcomes": [sent]})

    answer = integrator.post("/outcomes", {"outcomes": [{**sent, "outcome": "churn"}]})

    assert answer.json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert list(Outcome.objects.values_list("kind", flat=True)) == ["churn"]


def test_a_bad_batch_names_every_problem_and_stores_nothing(book, integrator):
    items = [
        {"account": "acc-001", "outcome": "renewed", "decided_at": "2026-04-30"},
        {"account": "acc-002", "outcome": "churn", "decided_at": "2026-04-30 10:00"},
        {"account": "nobody", "outcome": "churn", "decided_at": "2026-04-30"},
        {"account": "acc-003", "outcome": "churn", "decided_at": "2026-04-30"},
    ]

    answer = integrator.post("/outcomes", {"outcomes": items})

    assert answer.status_code == 422
    errors = [(e["index"], e["field"], e["message"]) for e in answer.json()["errors"]]
    assert errors == [
        (0, "outcome", "'renewed' is not one of renewal, churn, downgrade, expansion"),
        (1, "decided_at", "'2026-04-30 10:00' has no time zone (add Z or +00:00)"),
        (2, "account", "unknown account 'nobody'"),
    ]
    assert not Outcome.objects.exists()


def test_outcomes_are_listed_oldest_first_and_filtered(book, integrator):
    integrator.post("/outcomes", {"outcomes": outcome_items(book)})
    churned = sum(1 for *_, outcome in book if outcome == "churn")

    page = integrator.get("/outcomes", outcome="churn", limit=5).json()
    one = integrator.get("/outcomes", account="acc-007").json()

    assert page["total"] == churned
    assert len(page["outcomes"]) == 5
    assert {o["outcome"] for o in page["outcomes"]} == {"churn"}
    assert one["outcomes"] == [
        {"account": "acc-007", "outcome": book[7][3], "source": "api",
         "decided_at": "2026-04-30T00:00:00Z", "id": one["outcomes"][0]["id"]}
    ]  # fmt: skip


def test_an_offset_beyond_any_book_is_refused_naming_it(book, integrator):
    response = integrator.get("/outcomes", offset=959753432317481071935488)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offset"


def test_the_backtest_scores_each_account_before_its_outcome(book, integrator):
    integrator.post("/outcomes", {"outcomes": outcome_items(book)})

    answer = integrator.get("/scorecards/default/backtest", lead_days=90)

    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert (report["version"], report["scored"], report["left_out"]) == (1, 40, [])
    assert {case["as_of"] for case in report["cases"]} == {"2026-01-30T00:00:00Z"}
    churned = [case["outcome"] == "churn" for case in report["cases"]]
    scores = [case["score"] for case in report["cases"]]
    assert report["current"]["auc"] == pytest.approx(pairwise_auc(churned, scores))
    assert report["current"]["auc"] > 0.6
    assert len(report["current"]["by_decile"]) == 10
    assert [g["label"] for g in report["current"]["by_grade"]] == [
        "healthy", "watch", "at_risk"
    ]  # fmt: skip
    assert any("too few outcomes" in warning for warning in report["warnings"])
    assert integrator.post("/scorecards/default/backtest", {}).json() == report


def test_signals_after_the_as_of_time_never_leak_in(book, integrator):
    integrator.post("/outcomes", {"outcomes": outcome_items(book)})
    before = integrator.get("/scorecards/default/backtest").json()

    # What became of each account arrives after the as-of time: the same day,
    # at the decision, and after it.
    moments = [DECIDED - timedelta(days=89), DECIDED, datetime(2026, 6, 1, tzinfo=UTC)]
    late = [
        IncomingSignal(
            account=key, metric=metric, value=0.0 if outcome == "churn" else 100.0,
            observed_at=moment,
        )
        for key, _, _, outcome in book
        for metric in ("usage", "nps")
        for moment in moments
    ]  # fmt: skip
    ingest_signals(late, now=moments[-1])
    after = integrator.get("/scorecards/default/backtest").json()

    assert after == before


def test_accounts_left_out_are_counted_with_the_reason(book, integrator):
    integrator.post("/accounts", {"accounts": [
        {"key": "acc-000", "segment": "strategic"}, {"key": "newcomer"},
    ]})  # fmt: skip
    newcomer = {"account": "newcomer", "outcome": "churn", "decided_at": "2026-04-30"}
    items = [*outcome_items(book), newcomer]
    integrator.post("/outcomes", {"outcomes": items})

    report = integrator.get("/scorecards/default/backtest").json()

    assert report["scored"] == 39
    assert report["left_out"] == [
        {"reason": "another scorecard applies to the account", "count": 1},
        {"reason": "not enough data to score the account at the as-of time",
         "count": 1},
    ]  # fmt: skip


def test_suggested_weights_are_a_draft_that_changes_nothing(book, integrator):
    integrator.post("/outcomes", {"outcomes": outcome_items(book)})

    answer = integrator.get("/scorecards/default/suggested-weights", lead_days=90)

    assert answer.status_code == 200, answer.content
    found = answer.json()
    weights = {w["path"]: w for w in found["weights"]}
    assert weights["usage"]["suggested"] > weights["nps"]["suggested"]
    assert weights["usage"]["current"] == 50
    for weight in weights.values():
        assert weight["low"] <= weight["suggested"] <= weight["high"]
    draft = yaml.safe_load(found["draft_yaml"])
    assert draft == found["draft"]
    assert [c["weight"] for c in draft["criteria"]] == [
        round(weights["usage"]["suggested"], 1),
        max(round(weights["nps"]["suggested"], 1), 0.5),  # never below 0.5
    ]
    assert Scorecard.objects.get(key="default").current.number == 1


def test_bad_backtest_requests_are_refused_plainly(book, integrator):
    unknown = integrator.get("/scorecards/nothing/backtest")
    too_far = integrator.get("/scorecards/default/backtest", lead_days=1000)
    no_version = integrator.get("/scorecards/default/backtest", version=7)

    assert unknown.status_code == 404
    assert unknown.json() == {"errors": [{"message": "no scorecard 'nothing'"}]}
    assert too_far.status_code == 422
    assert too_far.json()["errors"][0]["field"] == "lead_days"
    assert no_version.status_code == 404


def test_the_outcome_routes_need_a_token(book, client):
    assert client.get("/api/v1/outcomes").status_code == 401
    assert client.get("/api/v1/scorecards/default/backtest").status_code == 401


def test_a_day_out_of_range_is_refused(book, integrator):
    items = [{"account": "acc-001", "outcome": "churn", "decided_at": "0001-01-01"}]

    answer = integrator.post("/outcomes", {"outcomes": items})

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["message"] == (
        "0001-01-01T00:00:00+00:00 is out of range (1900 to 9000)"
    )
