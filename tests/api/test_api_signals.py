"""POST /api/v1/signals: a batch stored whole or not at all, once, scored at once."""

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from django.db import connections
from django.test import Client

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.engine.serialize import criterion_json
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore, Scorecard, ScorePoint

pytestmark = pytest.mark.usefixtures("cast")


def stored() -> tuple[int, list[tuple[str, float | None]], int]:
    """What a refused or repeated batch must leave alone: signals, scores, points."""
    scores = AccountScore.objects.order_by("account__key").values_list(
        "account__key", "total"
    )
    return Signal.objects.count(), list(scores), ScorePoint.objects.count()


@pytest.mark.django_db
def test_a_batch_is_stored_and_its_accounts_scored_before_the_answer(
    integrator, signal
):
    response = integrator.post(
        "/signals",
        {
            "signals": [
                signal("acme", "qbr_score", 4, days_ago=3, source="qbr", id="q-1"),
                signal("acme", "weekly_active_users", 40, days_ago=1),
                signal("globex", "nps", 9, days_ago=2, contact="buyer"),
                signal("globex", "weekly_active_users", 50.5, days_ago=1),
            ]
        },
    )

    assert response.status_code == 200
    assert response.json() == {"accepted": 4, "duplicates": 0, "rescored": 2}
    acme = integrator.get("/accounts/acme").json()
    assert acme["score"] == pytest.approx((2 * 75 + 40) / 3)
    assert acme["grade"] == "watch"
    globex = integrator.get("/accounts/globex").json()
    assert globex["score"] == pytest.approx((100 + 50.5) / 2)
    assert globex["grade"] == "healthy"


@pytest.mark.django_db
def test_the_next_read_shows_the_score_a_new_signal_makes(integrator, signal):
    integrator.post("/signals", {"signals": [signal("globex", "nps", 0, days_ago=1)]})
    assert integrator.get("/accounts/globex").json()["grade"] == "at_risk"

    integrator.post(
        "/signals", {"signals": [signal("globex", "weekly_active_users", 90)]}
    )

    globex = integrator.get("/accounts/globex").json()
    assert globex["score"] == pytest.approx((0 + 90) / 2)
    assert globex["grade"] == "watch"
    assert [c["score"] for c in globex["criteria"]] == [0, 90]


@pytest.mark.django_db
def test_a_retried_batch_counts_as_duplicates_and_changes_nothing(integrator, signal):
    batch = {
        "signals": [
            signal("acme", "qbr_score", 4, days_ago=3, source="qbr", id="q-1"),
            signal("acme", "weekly_active_users", 40, days_ago=1, id="w-1"),
            # No id: the same observation sent again is still recognised.
            signal("globex", "nps", 9, days_ago=2, contact="buyer"),
        ]
    }
    integrator.post("/signals", batch)
    before = stored()

    response = integrator.post("/signals", batch)

    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 3, "rescored": 0}
    assert stored() == before


@pytest.mark.django_db
def test_a_signal_repeated_inside_a_batch_is_stored_once(integrator, signal):
    twice = signal("acme", "qbr_score", 4, days_ago=3, source="qbr", id="q-1")

    response = integrator.post("/signals", {"signals": [twice, twice]})

    assert response.json() == {"accepted": 1, "duplicates": 1, "rescored": 1}
    assert Signal.objects.count() == 1


BAD_BATCH = """{"signals": [
  {"account": "acme", "metric": "qbr_score", "value": 4,
   "observed_at": "2026-06-14T09:00:00Z"},
  {"account": "umbrella", "metric": "nps", "value": 9,
   "observed_at": "2026-06-14T09:00:00Z"},
  {"account": "acme", "metric": "nps", "value": 9, "contact": "cfo",
   "observed_at": "2026-06-14T09:00:00Z"},
  {"account": "acme", "metric": "nps", "value": 9,
   "observed_at": "2026-06-14T09:00:00"},
  {"account": "acme", "metric": "nps", "value": NaN,
   "observed_at": "2026-06-14T09:00:00Z"},
  {"account": "acme", "metric": "nps", "value": "high",
   "observed_at": "2026-06-14T09:00:00Z"},
  {"account": "acme", "metric": "nps", "value": 9, "colour": "red",
   "observed_at": "2026-06-14T09:00:00Z"},
  {"account": "globex", "metric": "nps", "value": Infinity,
   "observed_at": 1781427600},
  {"account": "globex", "value": true, "observed_at": "2026-06-14T09:00:00Z"},
  {"account": "globex", "metric": "nps", "value": 7, "contact": "buyer",
   "observed_at": "2026-06-14T09:00:00+02:00"}
]}"""


@pytest.mark.django_db
def test_a_bad_batch_names_every_problem_and_stores_nothing(integrator):
    before = stored()

    response = integrator.post("/signals", BAD_BATCH)

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {"index": 1, "field": "account", "message": "unknown account 'umbrella'"},
            {
                "index": 2,
                "field": "contact",
                "message": "unknown contact 'cfo' of account 'acme'",
            },
            {
                "index": 3,
                "field": "observed_at",
                "message": "has no time zone (add Z or +00:00)",
            },
            {"index": 4, "field": "value", "message": "must be a finite number"},
            {"index": 5, "field": "value", "message": "input should be a valid number"},
            {"index": 6, "field": "colour", "message": "is not a known field"},
            {"index": 7, "field": "value", "message": "must be a finite number"},
            {
                "index": 7,
                "field": "observed_at",
                "message": "input should be a valid datetime",
            },
            {"index": 8, "field": "metric", "message": "is required"},
            {"index": 8, "field": "value", "message": "input should be a valid number"},
        ]
    }
    assert stored() == before


@pytest.mark.django_db
def test_a_batch_over_ten_thousand_is_refused_whole(integrator, signal):
    one = signal("acme", "weekly_active_users", 40)
    batch = [one | {"id": f"w-{n}"} for n in range(10_001)]

    response = integrator.post("/signals", {"signals": batch})

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "index": None,
                "field": "signals",
                "message": "at most 10000 items, got 10001",
            }
        ]
    }
    assert Signal.objects.count() == 0


@pytest.mark.django_db
def test_a_batch_of_exactly_ten_thousand_is_taken(integrator, signal):
    batch = [
        signal("acme", "weekly_active_users", n % 100, days_ago=n / 100, id=f"w-{n}")
        for n in range(10_000)
    ]

    response = integrator.post("/signals", {"signals": batch})

    assert response.json() == {"accepted": 10_000, "duplicates": 0, "rescored": 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"signals": [', "the body is not valid JSON: EOF while parsing a list"),
        ("{'signals': []}", "the body is not valid JSON: key must be a string"),
        ("", "the body is empty: expected a JSON object"),
        (b"\xff\xfe{}", "the body is not valid JSON"),
    ],
)
@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400_that_says_so(integrator, body, message):
    response = integrator.post("/signals", body)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"].startswith(message)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("[]", {"index": None, "field": None, "message": "must be an object"}),
        ("{}", {"index": None, "field": "signals", "message": "is required"}),
        (
            '{"signals": {}}',
            {
                "index": None,
                "field": "signals",
                "message": "must be a list",
            },
        ),
        (
            '{"signals": [], "dry_run": true}',
            {"index": None, "field": "dry_run", "message": "is not a known field"},
        ),
        (
            '{"signals": [7]}',
            {"index": 0, "field": None, "message": "must be an object"},
        ),
    ],
)
@pytest.mark.django_db
def test_a_body_of_the_wrong_shape_is_a_422_that_says_where(integrator, body, error):
    response = integrator.post("/signals", body)

    assert response.status_code == 422
    assert response.json() == {"errors": [error]}


@pytest.mark.django_db
def test_a_body_larger_than_the_server_takes_is_a_413(integrator, signal, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    batch = [signal("acme", "nps", 9, id=f"n-{n}") for n in range(20)]

    response = integrator.post("/signals", {"signals": batch})

    assert response.status_code == 413
    assert "too large" in response.json()["errors"][0]["message"]
    assert Signal.objects.count() == 0


@pytest.mark.django_db
def test_a_time_in_another_zone_is_the_same_moment(integrator, signal):
    response = integrator.post(
        "/signals",
        {
            "signals": [
                signal("acme", "weekly_active_users", 40)
                | {"observed_at": "2026-06-15T14:00:00+02:00"}
            ]
        },
    )

    assert response.status_code == 200
    usage = integrator.get("/accounts/acme").json()["criteria"][2]
    assert usage["latest_at"] == "2026-06-15T12:00:00Z"


def engine_score(account: Account, now: datetime) -> engine.AccountScore:
    """The pure engine's score of everything stored for ``account``, read straight
    from the tables: signals in receipt order, contacts by key."""
    cards = [
        engine.build_scorecard(card.current.definition)
        for card in Scorecard.objects.select_related("current")
    ]
    card = engine.choose_scorecard(cards, account.scoring_attributes())
    rows = Signal.objects.filter(account=account).select_related("contact")
    history = engine.History.from_signals(
        engine.Signal(
            account.key,
            row.metric,
            row.value,
            row.observed_at,
            contact=row.contact.key if row.contact else None,
        )
        for row in rows.order_by("pk")
    )
    roles = dict(account.contacts.values_list("key", "role"))
    return engine.score_account(card, history, as_of=now, roles=roles)


def at_once(*jobs: Callable[[], object]) -> list[object]:
    """Run each job in its own thread, all released together; re-raise a failure."""
    start = threading.Barrier(len(jobs), timeout=10)
    results: list[object] = [None] * len(jobs)
    failures: list[BaseException] = []

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            start.wait()
            results[index] = job()
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if failures:
        raise failures[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_two_clients_posting_for_one_account_at_once_both_succeed(
    integrator, signal, now
):
    """On PostgreSQL the two batches really overlap: the account's lock makes the
    second score after the first, seeing its signals. SQLite takes one writer at
    a time, so there the test shows only that neither client is turned away."""

    def client_sending(metric: str, contact: str | None) -> Callable[[], object]:
        batch = [
            signal("acme", metric, 1 + n % 5, days_ago=n / 10, contact=contact)
            | {"id": f"{metric}-{n}"}
            for n in range(300)
        ]
        caller = type(integrator)(Client(), integrator.secret)
        return lambda: caller.post("/signals", {"signals": batch})

    responses = at_once(
        client_sending("qbr_score", None), client_sending("stakeholder_rating", "ceo")
    )

    assert [r.status_code for r in responses] == [200, 200]
    assert [r.json()["accepted"] for r in responses] == [300, 300]
    acme = Account.objects.get(key="acme")
    expected = engine_score(acme, now)
    got = AccountScore.objects.get(account=acme)
    assert got.total == pytest.approx(expected.total, abs=1e-9)
    assert got.criteria == [criterion_json(c) for c in expected.criteria]


@pytest.mark.django_db
def test_a_token_is_all_a_client_needs_no_cookie_or_csrf_token(integrator, signal):
    strict = type(integrator)(Client(enforce_csrf_checks=True), integrator.secret)

    response = strict.post("/signals", {"signals": [signal("acme", "nps", 9)]})

    assert response.status_code == 200


def test_values_and_times_beyond_what_a_metric_can_mean_are_refused(integrator, signal):
    batch = [
        signal("acme", "open_escalations", 1.7e308),
        signal("acme", "open_escalations", 1)
        | {"observed_at": "0001-01-01T00:00:00+01:00"},
        signal("acme", "open_escalations", 1) | {"observed_at": "9999-12-31T23:00:00Z"},
    ]

    response = integrator.post("/signals", {"signals": batch})

    assert response.status_code == 422
    problems = [(e["index"], e["field"]) for e in response.json()["errors"]]
    assert problems == [(0, "value"), (1, "observed_at"), (2, "observed_at")]
    assert "out of range" in response.json()["errors"][0]["message"]
    assert Signal.objects.count() == 0
