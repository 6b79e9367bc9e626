"""The daily point's schedule: every worker looks, exactly one queues each day."""

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from scorecards.scoring.models import ScheduledRun
from scorecards.scoring.tasks import (
    DAILY_POINTS,
    claim_day,
    due_day,
    enqueue_due_daily_points,
)

NOVEMBER_30 = date(2026, 11, 30)


def at(hour: int, minute: int, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (at(0, 4), date(2026, 11, 29)),
        (at(0, 5), NOVEMBER_30),
        (at(9, 30), NOVEMBER_30),
        (at(23, 59), NOVEMBER_30),
        (at(0, 4, day=2), NOVEMBER_30),
    ],
)
def test_a_day_falls_due_five_minutes_after_it_ends(now: datetime, due: date) -> None:
    assert due_day(now) == due


@pytest.mark.django_db
def test_the_first_worker_to_look_after_midnight_queues_the_day() -> None:
    queued = enqueue_due_daily_points(now=at(0, 6), worker="web-1:41")

    assert queued == NOVEMBER_30
    run = ScheduledRun.objects.get()
    assert (run.job, run.day, run.claimed_by) == (DAILY_POINTS, NOVEMBER_30, "web-1:41")
    task = DBTaskResult.objects.get()
    assert str(task.id) == run.task_id
    assert task.task_path == "scorecards.scoring.tasks.record_daily_point"
    assert task.args_kwargs == {"args": ["2026-11-30"], "kwargs": {}}


@pytest.mark.django_db
def test_workers_looking_later_that_day_queue_nothing_more() -> None:
    enqueue_due_daily_points(now=at(0, 6), worker="web-1:41")

    later = [
        enqueue_due_daily_points(now=at(0, 7), worker="web-2:17"),
        enqueue_due_daily_points(now=at(18, 0), worker="web-1:41"),
    ]

    assert later == [None, None]
    assert ScheduledRun.objects.get().claimed_by == "web-1:41"
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_the_next_day_is_queued_the_next_night() -> None:
    enqueue_due_daily_points(now=at(0, 6), worker="web-1:41")

    queued = enqueue_due_daily_points(now=at(0, 6, day=2), worker="web-2:17")

    assert queued == date(2026, 12, 1)
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_day_claim_it_once() -> None:
    claims = race_for(NOVEMBER_30, workers=["web-1:41", "web-2:17"])

    assert sorted(claims.values()) == [False, True]
    winner = next(worker for worker, won in claims.items() if won)
    assert ScheduledRun.objects.get(day=NOVEMBER_30).claimed_by == winner


def race_for(day: date, *, workers: list[str]) -> dict[str, bool]:
    """Have both workers claim ``day``; returns who got it.

    On PostgreSQL the second worker reads while the first worker's claim is
    inserted but not yet committed, so both pass the read inside the claim and
    only the database's unique constraint can stop the second. SQLite lets one
    writer in at a time, so there the claims can only come one after the other.
    """
    first, second = workers
    if connection.vendor != "postgresql":
        return {
            first: claim_day(job=DAILY_POINTS, day=day, now=at(0, 6), worker=first),
            second: claim_day(job=DAILY_POINTS, day=day, now=at(0, 6), worker=second),
        }

    claims: dict[str, bool] = {}
    inserted = threading.Event()

    def claim_and_linger(worker: str) -> None:
        try:
            with transaction.atomic():
                claims[worker] = claim_day(
                    job=DAILY_POINTS, day=day, now=at(0, 6), worker=worker
                )
                inserted.set()
                # Hold the uncommitted claim while the other worker reads.
                threading.Event().wait(0.5)
        finally:
            connection.close()

    def claim_after_insert(worker: str) -> None:
        inserted.wait(10)
        try:
            claims[worker] = claim_day(
                job=DAILY_POINTS, day=day, now=at(0, 6), worker=worker
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim_and_linger, args=(first,)),
        threading.Thread(target=claim_after_insert, args=(second,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return claims


@pytest.mark.django_db
def test_days_missed_while_no_worker_ran_are_caught_up() -> None:
    enqueue_due_daily_points(now=at(0, 6), worker="web-1:41")

    queued = enqueue_due_daily_points(now=at(0, 6, day=4), worker="web-2:17")

    assert queued == date(2026, 12, 3)
    days = sorted(ScheduledRun.objects.values_list("day", flat=True))
    assert days == [NOVEMBER_30, *(date(2026, 12, d) for d in (1, 2, 3))]
    assert DBTaskResult.objects.count() == 4


@pytest.mark.django_db
def test_catching_up_reaches_back_a_week_at_most() -> None:
    enqueue_due_daily_points(now=at(0, 6), worker="web-1:41")

    enqueue_due_daily_points(now=at(0, 6, day=21), worker="web-2:17")

    days = sorted(ScheduledRun.objects.values_list("day", flat=True))
    assert days[1:] == [date(2026, 12, d) for d in range(14, 21)]
