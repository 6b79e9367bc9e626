"""Scoring's background work: the daily point, and the schedule that queues it.

Every worker process keeps the schedule. Once a UTC day has ended (and a few
minutes have passed), the first worker to claim that day queues one task that
records the day's points; the others find the claim and do nothing.
"""

import logging
import threading
from datetime import UTC, date, datetime, timedelta

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.tasks import task

from scorecards.accounts.models import Account
from scorecards.scoring.history import record_daily_points
from scorecards.scoring.models import ScheduledRun
from scorecards.scoring.rescore import rescore
from scorecards.scoring.trends import refresh_trends

logger = logging.getLogger(__name__)

DAILY_POINTS = "daily_points"

# Signals stamped late in a day keep arriving for a little while after midnight
# (batches in flight, clocks a little off); waiting lets them count for that day.
SETTLE = timedelta(minutes=5)

# How often a worker looks at the schedule. A day is due once, so a minute late
# costs nothing.
SCHEDULER_INTERVAL = 60.0

# How far back missed days are caught up when the workers were all down.
CATCH_UP = 7


def last_complete_day(now: datetime) -> date:
    """The UTC day that ended most recently before ``now``."""
    return now.astimezone(UTC).date() - timedelta(days=1)


def due_day(now: datetime) -> date:
    """The day whose points are due at ``now``: yesterday, from 00:05 UTC on."""
    return last_complete_day(now - SETTLE)


@task()
def record_daily_point(day: str | None = None) -> int:
    """Record every account's point for ``day`` (ISO date; default yesterday)."""
    now = datetime.now(UTC)
    when = last_complete_day(now) if day is None else date.fromisoformat(day)
    count = record_daily_points(when)

    # Windows, decay and staleness move with the clock even when no data comes
    # in, so the daily job also brings every current score up to now.
    changed = rescore(Account.objects.all(), now=now)
    logger.info("current scores refreshed: %d changed", changed)
    refresh_trends(now=now)
    return count


def claim_day(*, job: str, day: date, now: datetime, worker: str) -> bool:
    """Claim ``job`` for ``day`` for this worker; False if another has it.

    The unique (job, day) row is the claim. Two workers inserting it at once
    both pass the read inside get_or_create, but the database lets only one
    insert through and the other sees the winner's row.
    """
    _, created = ScheduledRun.objects.get_or_create(
        job=job, day=day, defaults={"claimed_at": now, "claimed_by": worker}
    )
    return created


def enqueue_due_daily_points(*, now: datetime, worker: str) -> date | None:
    """Queue the due day's points, and any day missed since the last one queued
    (while no worker ran, up to CATCH_UP days back); returns the latest day queued.
    """
    due = due_day(now)

    # Nearly every look finds the day taken; seeing so needs no transaction, and
    # on SQLite no write lock.
    if ScheduledRun.objects.filter(job=DAILY_POINTS, day=due).exists():
        return None

    queued = None
    for day in _days_to_queue(due):
        if _queue_day(day, now=now, worker=worker):
            queued = day
    return queued


def _days_to_queue(due: date) -> list[date]:
    """The due day, preceded by the days missed since the last one claimed.

    A new installation has no claim yet and starts with the due day: the days
    before it had nothing to record.
    """
    last = (
        ScheduledRun.objects.filter(job=DAILY_POINTS, day__lt=due)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    if last is None:
        return [due]
    first = max(last + timedelta(days=1), due - timedelta(days=CATCH_UP - 1))
    return [first + timedelta(days=n) for n in range((due - first).days + 1)]


def _queue_day(day: date, *, now: datetime, worker: str) -> bool:
    # The claim and the task commit together: a worker that dies between them
    # leaves neither, and the next worker to look claims the day afresh.
    with transaction.atomic():
        if not claim_day(job=DAILY_POINTS, day=day, now=now, worker=worker):
            return False
        result = record_daily_point.enqueue(day.isoformat())
        ScheduledRun.objects.filter(job=DAILY_POINTS, day=day).update(
            task_id=str(result.id)
        )

    logger.info("daily points for %s queued by %s", day.isoformat(), worker)
    return True


def run_scheduler(*, worker: str, stop: threading.Event) -> None:
    """Keep the schedule until ``stop`` is set: look, queue what is due, wait.

    It runs in a thread beside the task worker and must outlive any one failure:
    an error is logged and the next look comes a minute later.
    """
    logger.info("scheduler started in %s", worker)
    try:
        while not stop.is_set():
            look_once(worker=worker)
            stop.wait(SCHEDULER_INTERVAL)
    finally:
        # The thread's own connection; nothing else would close it.
        connection.close()
    logger.info("scheduler stopped in %s", worker)


def look_once(*, worker: str) -> None:
    from scorecards.alerts.tasks import look_once as look_at_alerts
    from scorecards.feedback.tasks import look_once as look_at_surveys
    from scorecards.imports.runs import mark_interrupted
    from scorecards.privacy.tasks import enqueue_due_retention
    from scorecards.scoring.overrides import end_expired
    from scorecards.sources.salesforce import enqueue_due_syncs

    close_old_connections()
    now = datetime.now(UTC)
    jobs = (
        ("the daily points", lambda: enqueue_due_daily_points(now=now, worker=worker)),
        ("the Salesforce syncs", lambda: enqueue_due_syncs(now=now)),
        ("the expired overrides", lambda: end_expired(now=now)),
        ("the alerts", lambda: look_at_alerts(now=now)),
        ("the surveys", lambda: look_at_surveys(now=now)),
        ("the retention run", lambda: enqueue_due_retention(now=now, worker=worker)),
        ("the interrupted imports", lambda: mark_interrupted(now=now)),
    )
    for what, job in jobs:
        try:
            job()
        except DatabaseError as error:
            logger.warning("scheduler: the database did not answer: %s", error)
        except Exception:
            logger.exception("scheduler: queueing %s failed", what)
