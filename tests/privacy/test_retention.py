"""Retention: old signals, comments and audit entries go as the settings say,
while every score and every daily point stays as it was."""

from datetime import timedelta
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult
from privacy_helpers import EPOCH, NOW, STRATEGIC, Book

from scorecards.accounts.models import Account
from scorecards.audit.models import AuditEntry
from scorecards.feedback.models import Answer
from scorecards.ingest.models import Signal
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.privacy.retention import apply_retention
from scorecards.privacy.tasks import (
    RETENTION,
    apply_retention_now,
    enqueue_due_retention,
)
from scorecards.scoring import tasks as scheduling
from scorecards.scoring.models import AccountScore, PointKind, ScheduledRun, ScorePoint
from scorecards.scoring.publish import publish
from scorecards.scoring.rescore import rescore
from scorecards.sources.models import ProductEvent

LONG_AGO = NOW - timedelta(days=400)


@pytest.fixture
def history(book: Book) -> None:
    """A year and more of signals before the cast's, and a daily point of then."""
    signals = []
    for days in (400, 300, 260):
        at = NOW - timedelta(days=days)
        signals += [
            IncomingSignal("acme", "weekly_active_users", 10.0, at, None, "api",
                           f"wau-{days}"),
            IncomingSignal("acme", "nps", 1.0, at, "ops", "api", f"nps-ops-{days}"),
            IncomingSignal("acme", "legacy_logins", 5.0, at, None, "api",
                           f"legacy-{days}"),
        ]  # fmt: skip
    ingest_signals(signals, now=NOW)
    ScorePoint.objects.create(
        account=book.acme, at=NOW - timedelta(days=300), kind=PointKind.DAILY,
        status="scored", total=42.0, grade="watch", coverage=1.0,
    )  # fmt: skip
    event = ProductEvent.objects.get(user_id="ops")
    event.pk, event.message_id, event.timestamp = None, "old", LONG_AGO
    event.save()


def scores() -> dict[str, tuple[Any, ...]]:
    return {
        score.account.key: (score.total, score.grade, score.criteria)
        for score in AccountScore.objects.select_related("account")
    }


def keep(settings: Any, *, signals: int = 0, comments: int = 0, audit: int = 0) -> None:
    settings.RETAIN_SIGNALS_DAYS = signals
    settings.RETAIN_COMMENTS_DAYS = comments
    settings.RETAIN_AUDIT_DAYS = audit


@pytest.mark.usefixtures("history")
def test_old_signals_go_and_every_score_and_daily_point_stays(settings: Any) -> None:
    keep(settings, signals=250)
    before = scores()
    points = list(ScorePoint.objects.values_list("account_id", "at", "total"))

    run = apply_retention(now=NOW)

    assert run.removed == {"signals": 8, "product_events": 1}
    assert run.cutoffs["signals"] == NOW - timedelta(days=250)
    assert run.notes == []
    legacy = Signal.objects.filter(metric="legacy_logins")
    # The latest of a metric stays however old: staleness reads it.
    assert list(legacy.values_list("external_id", flat=True)) == ["legacy-260"]
    assert not Signal.objects.filter(external_id__in=["wau-260", "nps-ops-260"])
    assert not ProductEvent.objects.filter(message_id="old").exists()

    assert rescore(Account.objects.all(), now=NOW) == 0
    assert scores() == before
    assert list(ScorePoint.objects.values_list("account_id", "at", "total")) == points


@pytest.mark.usefixtures("history")
def test_a_retention_shorter_than_the_longest_window_is_stretched(
    settings: Any,
) -> None:
    keep(settings, signals=30)

    run = apply_retention(now=NOW)

    assert run.notes == [
        "signals are kept 211 days, not 30: the longest window in use is 180 days "
        "(scorecard strategic), plus 31 days"
    ]
    assert run.cutoffs["signals"] == NOW - timedelta(days=211)
    recent = Signal.objects.filter(observed_at__gte=NOW - timedelta(days=211))
    assert recent.count() == Signal.objects.count() - 1  # legacy-260 only


@pytest.mark.usefixtures("history")
def test_a_criterion_without_a_window_keeps_every_signal(settings: Any) -> None:
    keep(settings, signals=250)
    windowless = STRATEGIC.replace("    window: 30d\n", "")
    publish(source=windowless, format="yaml", author="ops", now=NOW)
    count = Signal.objects.count()

    run = apply_retention(now=NOW)

    assert run.notes == [
        "signals are all kept: scorecard strategic has a criterion without a "
        "window, which reads every signal"
    ]
    assert "signals" not in run.removed
    assert Signal.objects.count() == count


def test_old_comments_are_blanked_and_the_answers_kept(
    book: Book, settings: Any
) -> None:
    keep(settings, comments=5)

    run = apply_retention(now=NOW)

    assert run.removed == {"comments": 3}
    assert set(Answer.objects.values_list("comment", flat=True)) == {""}
    assert sorted(a.values["overall"] for a in Answer.objects.all()) == [2, 4, 5]


def test_old_audit_entries_go_and_the_run_is_recorded(
    book: Book, settings: Any
) -> None:
    keep(settings, audit=30)
    old = AuditEntry.objects.filter(at__lt=NOW - timedelta(days=30)).count()
    recent = AuditEntry.objects.filter(at__gte=NOW - timedelta(days=30)).count()
    assert old > 0
    assert recent > 0

    run = apply_retention(now=NOW)

    assert run.removed == {"audit_entries": old}
    assert not AuditEntry.objects.filter(at__lt=NOW - timedelta(days=30)).exists()
    entry = AuditEntry.objects.get(action="retention.applied")
    assert (entry.at, entry.actor_kind) == (NOW, "system")
    assert entry.detail["removed"] == {"audit_entries": old}
    assert entry.detail["before"] == {"audit_entries": "2026-05-16T12:00:00+00:00"}
    assert AuditEntry.objects.count() == recent + 1


@pytest.mark.usefixtures("history")
def test_a_dry_run_counts_what_would_go_and_writes_nothing(settings: Any) -> None:
    keep(settings, signals=250, comments=5, audit=30)
    signals, entries = Signal.objects.count(), AuditEntry.objects.count()

    run = apply_retention(now=NOW, dry_run=True)

    assert run.dry_run
    assert run.removed["signals"] == 8
    assert run.removed["comments"] == 3
    assert run.removed["audit_entries"] > 0
    assert Signal.objects.count() == signals
    assert AuditEntry.objects.count() == entries
    assert "" not in Answer.objects.values_list("comment", flat=True)


def test_with_every_kind_kept_for_ever_nothing_is_removed_or_recorded(
    book: Book, settings: Any
) -> None:
    keep(settings)
    entries = AuditEntry.objects.count()

    run = apply_retention(now=NOW)

    assert (run.removed, run.cutoffs, run.notes) == ({}, {}, [])
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_nothing_is_scheduled_while_every_kind_is_kept_for_ever(
    settings: Any,
) -> None:
    keep(settings)

    assert enqueue_due_retention(now=NOW, worker="web-1:41") is False
    assert not ScheduledRun.objects.exists()


@pytest.mark.django_db
def test_the_first_worker_to_look_each_day_queues_one_run(settings: Any) -> None:
    keep(settings, audit=30)

    queued = [
        enqueue_due_retention(now=NOW, worker="web-1:41"),
        enqueue_due_retention(now=NOW + timedelta(hours=1), worker="web-2:17"),
    ]

    assert queued == [True, False]
    run = ScheduledRun.objects.get(job=RETENTION)
    assert (run.day, run.claimed_by) == (NOW.date(), "web-1:41")
    task = DBTaskResult.objects.get(task_path__endswith="apply_retention_now")
    assert str(task.id) == run.task_id
    assert task.task_path == "scorecards.privacy.tasks.apply_retention_now"
    assert enqueue_due_retention(now=NOW + timedelta(days=1), worker="web-2:17")


@pytest.mark.django_db
def test_the_schedulers_look_queues_the_retention_run(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep(settings, comments=30)
    # A worker's look starts by dropping stale connections; the test's is not.
    monkeypatch.setattr(scheduling, "close_old_connections", lambda: None)

    scheduling.look_once(worker="web-1:41")

    assert ScheduledRun.objects.filter(job=RETENTION, day=NOW.date()).exists()


@pytest.mark.django_db
def test_the_queued_task_applies_the_retention(settings: Any) -> None:
    keep(settings, audit=30)
    publish(source=STRATEGIC, format="yaml", author="setup", now=EPOCH)

    assert apply_retention_now.call() == {"audit_entries": 1}
    assert AuditEntry.objects.get().action == "retention.applied"
