"""`scorecards worker`: it runs what is queued and keeps the nightly schedule."""

import signal
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from service_helpers import Run, Site, wait_for

from scorecards.scoring.history import end_of_day
from scorecards.scoring.models import PointKind, ScheduledRun, ScorePoint
from scorecards.scoring.tasks import record_daily_point

Scorecards = Callable[..., Run]

# The clock stands at 2026-12-01 09:30 UTC, so 2026-11-30 is the day due.
DUE = "2026-11-30"


def points_on(day: str) -> int:
    moment = end_of_day(date.fromisoformat(day))
    return ScorePoint.objects.filter(kind=PointKind.DAILY, at=moment).count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cast")
def test_it_runs_a_queued_task(scorecards: Scorecards) -> None:
    queued = record_daily_point.enqueue("2026-11-29")

    run = scorecards("worker", "--batch")

    assert run.status == 0, run.stderr
    task = DBTaskResult.objects.get(id=queued.id)
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.return_value == 3
    assert points_on("2026-11-29") == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cast")
def test_a_batch_run_queues_and_records_the_day_due(scorecards: Scorecards) -> None:
    run = scorecards("worker", "--batch")

    assert run.status == 0, run.stderr
    assert points_on(DUE) == 3
    claim = ScheduledRun.objects.get()
    assert claim.day.isoformat() == DUE
    task = DBTaskResult.objects.get()
    assert str(task.id) == claim.task_id
    assert task.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cast")
def test_a_second_run_the_same_day_queues_nothing(scorecards: Scorecards) -> None:
    scorecards("worker", "--batch")

    run = scorecards("worker", "--batch")

    assert run.status == 0, run.stderr
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("cast")
def test_a_failing_task_is_recorded_and_the_rest_still_run(
    scorecards: Scorecards,
) -> None:
    broken = record_daily_point.enqueue("the day after tomorrow")
    fine = record_daily_point.enqueue("2026-11-29")

    run = scorecards("worker", "--batch")

    assert run.status == 0, run.stderr
    assert DBTaskResult.objects.get(id=broken.id).status == TaskResultStatus.FAILED
    assert DBTaskResult.objects.get(id=fine.id).status == TaskResultStatus.SUCCESSFUL


def test_a_running_worker_picks_up_work_and_stops_cleanly_on_sigterm(
    migrated_site: Site, tmp_path: Path, stop_at_end: Callable[..., None]
) -> None:
    migrated_site.python(
        "from scorecards.scoring.tasks import record_daily_point\n"
        "print(json.dumps(str(record_daily_point.enqueue('2026-11-29').id)))\n"
    )
    log = tmp_path / "worker.log"

    worker = migrated_site.start("worker", "--interval", "0.2", log=log)
    stop_at_end(worker)
    wait_for(
        lambda: log.read_text().count("state=SUCCESSFUL") >= 2,
        seconds=30,
        what="two tasks (the queued one and the day due) succeeding",
    )
    worker.send_signal(signal.SIGTERM)
    status = worker.wait(timeout=30)

    text = log.read_text()
    assert status == 0, text
    assert "scheduler started" in text
    assert "queued by" in text
    assert "scheduler stopped" in text
    assert text.rstrip().endswith("stopped")
    assert "Traceback" not in text


def test_it_refuses_to_start_on_a_database_that_needs_migrating(site: Site) -> None:
    result = site.command("worker")

    assert result.returncode == 2
    assert "run `scorecards migrate` first" in result.stderr
