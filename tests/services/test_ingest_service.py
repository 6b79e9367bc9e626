"""Storing signals: a batch is taken whole or not at all, and each signal once."""

from datetime import timedelta, timezone

import pytest

from scorecards.ingest import service
from scorecards.ingest.models import Signal
from scorecards.ingest.service import (
    MAX_BATCH,
    IngestResult,
    ItemError,
    RejectedBatch,
    ingest_signals,
)
from scorecards.scoring.models import AccountScore, ScorePoint

pytestmark = pytest.mark.django_db


def test_one_unknown_account_or_contact_refuses_the_whole_batch(cast, signal, clock):
    scores_before = list(AccountScore.objects.values_list("account", "total"))
    batch = [
        signal("acme", "qbr_score", 4),
        signal("hooli", "qbr_score", 5),
        signal("globex", "weekly_active_users", 40),
        signal("acme", "stakeholder_rating", 5, contact="ghost"),
        signal("acme", "stakeholder_rating", 5, contact="buyer"),  # globex's
        signal("acme", "stakeholder_rating", 5, contact="ceo"),
    ]

    with pytest.raises(RejectedBatch) as refused:
        ingest_signals(batch, now=clock.now)

    assert refused.value.errors == [
        ItemError(1, "account", "unknown account 'hooli'"),
        ItemError(3, "contact", "unknown contact 'ghost' of account 'acme'"),
        ItemError(4, "contact", "unknown contact 'buyer' of account 'acme'"),
    ]
    assert not Signal.objects.exists()
    assert list(AccountScore.objects.values_list("account", "total")) == scores_before


def test_an_oversize_batch_is_refused_whole(cast, signal, clock):
    batch = [signal("acme", "qbr_score", 4)] * (MAX_BATCH + 1)

    with pytest.raises(RejectedBatch) as refused:
        ingest_signals(batch, now=clock.now)

    [error] = refused.value.errors
    assert error.field == "signals"
    assert "at most 10000" in error.message
    assert not Signal.objects.exists()


def test_a_retried_batch_counts_once(cast, signal, clock):
    batch = [
        signal("acme", "qbr_score", 4, source="qbr", id="acme-q1"),
        signal("acme", "weekly_active_users", 40, source="activity", id="acme-w1"),
        signal("globex", "qbr_score", 3, source="qbr", id="globex-q1"),
    ]
    first = ingest_signals(batch, now=clock.now)
    points = ScorePoint.objects.count()

    clock.days_later(1)
    retry = ingest_signals(batch, now=clock.now)

    assert first == IngestResult(accepted=3, duplicates=0, rescored=2)
    assert retry == IngestResult(accepted=0, duplicates=3, rescored=0)
    assert Signal.objects.count() == 3
    assert ScorePoint.objects.count() == points


def test_a_signal_repeated_inside_one_batch_counts_once(cast, signal, clock):
    batch = [
        signal("acme", "qbr_score", 4, source="qbr", id="acme-q1"),
        signal("acme", "qbr_score", 1, source="qbr", id="acme-q1"),
    ]

    result = ingest_signals(batch, now=clock.now)

    assert result == IngestResult(accepted=1, duplicates=1, rescored=1)
    assert list(Signal.objects.values_list("value", flat=True)) == [4.0]


def test_the_same_id_from_two_sources_is_two_signals(cast, signal, clock):
    batch = [
        signal("acme", "qbr_score", 4, source="qbr", id="7"),
        signal("acme", "weekly_active_users", 40, source="activity", id="7"),
    ]

    result = ingest_signals(batch, now=clock.now)

    assert result.accepted == 2
    assert Signal.objects.count() == 2


def test_a_signal_without_a_source_comes_from_the_api(cast, signal, clock):
    ingest_signals([signal("acme", "qbr_score", 4, id="q1")], now=clock.now)

    again = ingest_signals(
        [signal("acme", "qbr_score", 4, source="api", id="q1")], now=clock.now
    )

    assert Signal.objects.get().source == "api"
    assert again.duplicates == 1


def test_a_signal_without_an_id_is_recognised_when_retried(cast, signal, clock):
    batch = [
        signal("acme", "qbr_score", 4, days_ago=2),
        signal("acme", "stakeholder_rating", 5, days_ago=2, contact="ceo"),
        signal("acme", "stakeholder_rating", 5, days_ago=2, contact="cto"),
    ]
    ingest_signals(batch, now=clock.now)

    clock.days_later(1)
    retry = ingest_signals(batch, now=clock.now)

    assert retry == IngestResult(accepted=0, duplicates=3, rescored=0)
    ids = set(Signal.objects.values_list("external_id", flat=True))
    assert len(ids) == 3
    assert all(ids)


def test_a_different_observation_without_an_id_is_a_new_signal(cast, signal, clock):
    ingest_signals([signal("acme", "qbr_score", 4, days_ago=2)], now=clock.now)

    later = ingest_signals(
        [
            signal("acme", "qbr_score", 5, days_ago=2),
            signal("acme", "qbr_score", 4, days_ago=1),
            signal("acme", "stakeholder_rating", 4, days_ago=2),
            signal("acme", "stakeholder_rating", 4, days_ago=2, contact="ops"),
        ],
        now=clock.now,
    )

    assert later == IngestResult(accepted=4, duplicates=0, rescored=1)


def test_a_retry_spelling_the_same_moment_in_another_zone_is_a_duplicate(
    cast, signal, clock
):
    in_utc = signal("acme", "qbr_score", 4, days_ago=1)
    paris = timezone(timedelta(hours=2))
    in_paris = signal("acme", "qbr_score", 4, at=in_utc.observed_at.astimezone(paris))
    ingest_signals([in_utc], now=clock.now)

    retry = ingest_signals([in_paris], now=clock.now)

    assert retry == IngestResult(accepted=0, duplicates=1, rescored=0)
    assert Signal.objects.count() == 1


def test_a_replacing_signal_overwrites_the_stored_one_and_moves_the_score(
    cast, signal, clock
):
    first = signal("globex", "qbr_score", 2, source="survey", id="resp-1")
    ingest_signals([first], now=clock.now)

    edited = signal("globex", "qbr_score", 5, source="survey", id="resp-1")
    result = ingest_signals([edited], now=clock.now, replace=True)

    assert (result.accepted, result.duplicates, result.rescored) == (1, 0, 1)
    assert Signal.objects.get(source="survey", external_id="resp-1").value == 5
    qbr = AccountScore.objects.get(account=cast.globex).criteria[0]
    assert qbr["raw"] == 5


def test_a_replacing_signal_sent_again_changes_nothing(cast, signal, clock):
    answer = signal("globex", "qbr_score", 4, source="survey", id="resp-1")
    ingest_signals([answer], now=clock.now, replace=True)
    points = ScorePoint.objects.count()

    again = ingest_signals([answer], now=clock.now, replace=True)

    assert (again.accepted, again.duplicates, again.rescored) == (0, 1, 0)
    assert ScorePoint.objects.count() == points


def test_a_replacing_signal_moved_to_another_account_rescored_both(cast, signal, clock):
    ingest_signals(
        [signal("globex", "qbr_score", 5, source="survey", id="resp-1")],
        now=clock.now,
    )
    moved = signal("initech", "qbr_score", 5, source="survey", id="resp-1")

    result = ingest_signals([moved], now=clock.now, replace=True)

    assert result.rescored == 2
    assert Signal.objects.get(external_id="resp-1").account == cast.initech
    globex = AccountScore.objects.get(account=cast.globex)
    assert globex.criteria[0]["raw"] is None


def test_of_repeats_in_a_replacing_batch_the_last_counts(cast, signal, clock):
    batch = [
        signal("globex", "qbr_score", value, source="survey", id="resp-1")
        for value in (1, 3, 2)
    ]

    ingest_signals(batch, now=clock.now, replace=True)

    assert Signal.objects.get(external_id="resp-1").value == 2


@pytest.fixture
def globex_goes_once_read(cast, monkeypatch):
    """Delete globex right after a batch's references are read, as a concurrent
    erasure could: the database does not check a signal's account, so the
    service must, under its lock. Only the first batch read sees this."""
    resolve = service._resolve

    def resolve_then_delete(items):
        monkeypatch.setattr(service, "_resolve", resolve)
        found = resolve(items)
        cast.globex.delete()
        return found

    monkeypatch.setattr(service, "_resolve", resolve_then_delete)


@pytest.mark.parametrize("store", ["ingest", "import"])
def test_an_account_deleted_while_its_batch_is_read_refuses_the_batch(
    cast, signal, clock, globex_goes_once_read, store
):
    # Ingest re-scores what it stores; an import (store_signals) stores only.
    send = ingest_signals if store == "ingest" else service.store_signals
    batch = [signal("acme", "qbr_score", 4), signal("globex", "qbr_score", 3)]

    with pytest.raises(RejectedBatch) as refused:
        send(batch, now=clock.now)

    assert refused.value.errors == [ItemError(1, "account", "unknown account 'globex'")]
    assert not Signal.objects.exists()
    send(batch[:1], now=clock.now)
    assert list(Signal.objects.values_list("account", flat=True)) == [cast.acme.pk]
