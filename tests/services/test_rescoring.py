"""Live re-scoring: new signals are scored, once per account, before ingest returns."""

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts
from scorecards.engine.serialize import iso
from scorecards.ingest import service as ingest_service
from scorecards.ingest.models import Signal
from scorecards.ingest.service import ingest_signals
from scorecards.scoring import rescore as rescore_module
from scorecards.scoring.models import AccountScore, PointKind, ScorePoint
from scorecards.scoring.publish import publish

METRICS = ("qbr_score", "weekly_active_users", "stakeholder_rating")
CONTACTS = {"acme": ["ceo", "cto", "ops", "intern", None], "globex": ["buyer", None]}


def change_points(account: Account) -> list[tuple[str, float | None]]:
    points = ScorePoint.objects.filter(account=account, kind=PointKind.CHANGE)
    return list(points.order_by("at", "pk").values_list("status", "total"))


@pytest.mark.django_db
def test_the_score_reflects_a_batch_as_soon_as_ingest_returns(
    cast, signal, clock, scorecards
):
    ingest_signals(
        [
            signal("acme", "qbr_score", 4, days_ago=3),
            signal("acme", "weekly_active_users", 40, days_ago=1),
        ],
        now=clock.now,
    )

    score = AccountScore.objects.get(account=cast.acme)
    assert score.status == "scored"
    assert score.total == pytest.approx((2 * 75 + 40) / 3)
    assert score.grade == "watch"
    assert score.version == scorecards["strategic"]
    assert score.scored_at == clock.now


@pytest.mark.django_db
def test_signals_are_not_kept_when_scoring_them_fails(cast, signal, clock, monkeypatch):
    def scoring_breaks(accounts, *, now):
        raise RuntimeError("scoring broke")

    monkeypatch.setattr(ingest_service, "rescore", scoring_breaks)

    with pytest.raises(RuntimeError):
        ingest_signals([signal("acme", "qbr_score", 4)], now=clock.now)

    assert not Signal.objects.exists()
    assert AccountScore.objects.get(account=cast.acme).status == "insufficient_data"


@pytest.mark.django_db
def test_5000_signals_for_500_accounts_rescore_each_account_once(
    cast, signal, clock, django_assert_max_num_queries
):
    keys = [f"bulk-{n:03}" for n in range(500)]
    upsert_accounts([{"key": key, "segment": "smb"} for key in keys], now=clock.now)
    clock.days_later(1)
    batch = [
        signal(key, "weekly_active_users", n * 10 + day, days_ago=day)
        for n, key in enumerate(keys)
        for day in range(10)
    ]

    # One scoring per account would take thousands of queries; a batched
    # re-score reads and writes whole chunks of accounts at a time.
    with django_assert_max_num_queries(50):
        result = ingest_signals(batch, now=clock.now)

    assert (result.accepted, result.rescored) == (5000, 500)
    new_points = ScorePoint.objects.filter(
        account__key__in=keys, kind=PointKind.CHANGE, at=clock.now
    )
    assert new_points.count() == 500
    assert new_points.filter(account__key="bulk-007").get().total == 70


@pytest.mark.django_db
def test_the_stored_score_is_the_engines_score_of_the_stored_signals(
    cast, signal, clock, assert_scored_as_engine
):
    """Generated deliveries: late and out-of-order signals, ties on the moment
    observed, answers from every contact and from nobody in particular."""
    rng = random.Random(3)
    moments = [clock.now - timedelta(days=rng.randrange(0, 40)) for _ in range(12)]
    for _ in range(4):
        clock.days_later(rng.uniform(0.1, 3))
        batch = []
        for _ in range(60):
            account = rng.choice(["acme", "globex"])
            metric = rng.choice(METRICS)
            contact = rng.choice(CONTACTS[account])
            value = rng.randint(0, 120) if metric == METRICS[1] else rng.randint(1, 5)
            at = rng.choice(moments)
            batch.append(signal(account, metric, value, at=at, contact=contact))
        ingest_signals(batch, now=clock.now)

    assert Signal.objects.count() > 150
    assert_scored_as_engine(cast.acme, clock.now)
    assert_scored_as_engine(cast.globex, clock.now)


@pytest.mark.django_db
def test_a_change_point_is_written_only_when_the_score_changes(cast, signal, clock):
    ingest_signals([signal("globex", "qbr_score", 4)], now=clock.now)
    clock.days_later(1)
    ingest_signals([signal("globex", "weekly_active_users", 40)], now=clock.now)

    # A metric no scorecard reads, the same usage reported again, and a batch
    # for another account leave globex's score as it was.
    clock.days_later(1)
    ingest_signals([signal("globex", "logins", 12)], now=clock.now)
    ingest_signals([signal("globex", "weekly_active_users", 40)], now=clock.now)
    ingest_signals([signal("acme", "weekly_active_users", 10)], now=clock.now)

    assert change_points(cast.globex) == [
        ("insufficient_data", None),
        ("scored", 75.0),
        ("scored", 57.5),
    ]


def run_at_once(*jobs: Callable[[], object]) -> list[object]:
    """Run each job in its own thread with its own connection; re-raise a failure."""
    results: list[object] = [None] * len(jobs)
    failures: list[BaseException] = []

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            results[index] = job()
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, job), name=f"job-{i}")
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_two_batches_for_one_account_at_once_both_count(
    cast, signal, clock, monkeypatch, assert_scored_as_engine
):
    first_scored = threading.Event()
    second_scored = threading.Event()
    rescore = ingest_service.rescore

    def rescore_and_linger(accounts, *, now):
        changed = rescore(accounts, now=now)
        if threading.current_thread().name == "job-0":
            first_scored.set()
            # Were the second batch not held back by the account's lock, it
            # would be scored now, blind to the first batch's signals.
            second_scored.wait(timeout=0.5)
        else:
            second_scored.set()
        return changed

    monkeypatch.setattr(ingest_service, "rescore", rescore_and_linger)
    first = [signal("acme", "qbr_score", 2, days_ago=1, id="first")]
    second = [signal("acme", "weekly_active_users", 80, days_ago=2, id="second")]

    def second_batch():
        first_scored.wait(timeout=5)
        return ingest_signals(second, now=clock.now)

    results = run_at_once(lambda: ingest_signals(first, now=clock.now), second_batch)

    assert [r.accepted for r in results] == [1, 1]
    assert_scored_as_engine(cast.acme, clock.now)
    assert AccountScore.objects.get(pk=cast.acme).total == pytest.approx(
        (2 * 25 + 80) / 3
    )


@pytest.mark.django_db(transaction=True)
def test_batches_naming_accounts_in_opposite_orders_do_not_deadlock(
    cast, signal, clock, assert_scored_as_engine
):
    start = threading.Barrier(2, timeout=5)

    def batch(accounts: list[str], value: float) -> Callable[[], object]:
        items = [
            signal(account, "weekly_active_users", value + n, days_ago=n)
            for n in range(50)
            for account in accounts
        ]

        def send():
            start.wait()
            return ingest_signals(items, now=clock.now)

        return send

    results = run_at_once(
        batch(["acme", "globex", "initech"], 10),
        batch(["initech", "globex", "acme"], 20.5),
    )

    assert [r.accepted for r in results] == [150, 150]
    for account in (cast.acme, cast.globex, cast.initech):
        assert_scored_as_engine(account, clock.now)


@pytest.mark.django_db(transaction=True)
def test_a_batch_arriving_while_a_scorecard_is_published_is_not_lost(
    cast, signal, clock, monkeypatch, republish, assert_scored_as_engine
):
    publish_has_read = threading.Event()
    batch_stored = threading.Event()
    load_histories = rescore_module.load_histories

    def load_and_linger(ids, metrics, as_of, **options):
        histories = load_histories(ids, metrics, as_of, **options)
        if threading.current_thread().name == "job-0":
            publish_has_read.set()
            # Were the batch not held back until the publication commits, it
            # would be stored and scored now, and then overwritten by scores
            # computed from the signals read a moment ago.
            batch_stored.wait(timeout=0.5)
        return histories

    monkeypatch.setattr(rescore_module, "load_histories", load_and_linger)
    batch = [signal("acme", "qbr_score", 2), signal("globex", "qbr_score", 2)]

    def send_batch():
        publish_has_read.wait(timeout=5)
        result = ingest_signals(batch, now=clock.now)
        batch_stored.set()
        return result

    run_at_once(lambda: republish("default", qbr_weight=3), send_batch)

    for account in (cast.acme, cast.globex):
        assert_scored_as_engine(account, clock.now)
    assert AccountScore.objects.get(account=cast.globex).version.number == 2


WINDOWED = """\
key: windowed
priority: 100
criteria:
  - key: escalations
    metric: open_escalations
    weight: 1
    window: 30d
    stale_after: 14d
    missing: {value: 0}
    normalize: {points: [[0, 100], [5, 0]]}
  - key: usage
    metric: weekly_active_users
    weight: 2
    window: 20d
    aggregate: mean
    normalize: {linear: [0, 100]}
"""


@pytest.mark.django_db
def test_signals_older_than_every_window_still_make_a_criterion_stale(
    cast, signal, clock, assert_scored_as_engine
):
    # Every criterion has a window, so only the last 30 days are read; the
    # older escalation report still tells that the criterion has gone stale.
    publish(source=WINDOWED, format="yaml", author="an operator", now=clock.now)
    ingest_signals(
        [
            signal("acme", "open_escalations", 3, days_ago=45),
            signal("acme", "weekly_active_users", 40, days_ago=25),
            signal("acme", "weekly_active_users", 60, days_ago=2),
        ],
        now=clock.now,
    )

    stored = AccountScore.objects.get(account=cast.acme)
    escalations, usage = stored.criteria
    assert escalations["stale"] is True
    assert escalations["latest_at"] == iso(clock.now - timedelta(days=45))
    assert escalations["filled"] is True
    assert usage["raw"] == 60
    assert_scored_as_engine(cast.acme, clock.now)


def test_a_signal_late_in_its_second_is_read_at_its_own_time(db):
    # SQLite's strftime rounds a time to the millisecond: a signal at .9995 s
    # or later was once read a second late, inside a window it had left.
    account = Account.objects.create(key="late", name="Late")
    as_of = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    older = as_of - timedelta(days=40, microseconds=1)
    within = as_of - timedelta(days=1, microseconds=300)
    for n, moment in enumerate([older, within]):
        Signal.objects.create(
            account=account, metric="m", value=n, observed_at=moment,
            received_at=as_of, source="test", external_id=str(n),
        )  # fmt: skip

    series = rescore_module.load_histories(
        [account.pk], {"m"}, as_of, lookback=timedelta(days=30)
    )[account.pk]["m"]

    assert list(series.times) == [within.timestamp()]
    assert series.earlier == older.timestamp()
