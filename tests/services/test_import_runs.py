"""Import runs whose process went away: found by their silence, marked failed.

A run says it is alive while it imports; the scheduler marks failed a run that
has been silent for long, so the list of imports never shows one "running"
for ever after its worker was killed.
"""

from datetime import timedelta

import pytest

from scorecards.audit.models import AuditEntry
from scorecards.imports import runs
from scorecards.imports.models import ImportRun, ImportStatus
from scorecards.imports.service import Options

pytestmark = pytest.mark.django_db


def a_run(clock, status: ImportStatus, **times) -> ImportRun:
    run = runs.start_run("signals", "usage.csv", Options(), requested_by="t",
                         now=clock.now)  # fmt: skip
    ImportRun.objects.filter(pk=run.pk).update(status=status, **times)
    return ImportRun.objects.get(pk=run.pk)


def test_a_running_import_silent_for_long_is_marked_failed_once(clock):
    then = clock.now
    killed = a_run(clock, ImportStatus.RUNNING, started_at=then, heartbeat_at=then)
    never_beat = a_run(clock, ImportStatus.RUNNING, started_at=then)
    alive = a_run(clock, ImportStatus.RUNNING, started_at=then,
                  heartbeat_at=then + timedelta(minutes=9))  # fmt: skip
    queued = a_run(clock, ImportStatus.QUEUED)
    done = a_run(clock, ImportStatus.DONE, started_at=then, heartbeat_at=then)

    later = clock.move_to(then + timedelta(minutes=10))
    assert runs.mark_interrupted(now=later) == 2
    assert runs.mark_interrupted(now=later) == 0

    statuses = {
        run.pk: ImportRun.objects.get(pk=run.pk).status
        for run in (killed, never_beat, alive, queued, done)
    }
    assert statuses == {
        killed.pk: "failed", never_beat.pk: "failed", alive.pk: "running",
        queued.pk: "queued", done.pk: "done",
    }  # fmt: skip
    stopped = ImportRun.objects.get(pk=killed.pk)
    assert "import the same file again" in stopped.error
    assert stopped.finished_at == later
    entries = AuditEntry.objects.filter(action="import.finished")
    assert {e.target for e in entries} == {f"import:{killed.pk}",
                                           f"import:{never_beat.pk}"}  # fmt: skip


def test_a_long_import_keeps_saying_it_is_alive(cast, clock, tmp_path):
    path = tmp_path / "usage.csv"
    lines = [f"acme,weekly_active_users,{n},{clock.now.isoformat()}" for n in range(30)]
    path.write_text("account,metric,value,observed_at\n" + "\n".join(lines) + "\n")
    run = runs.start_run("signals", "usage.csv", Options(), requested_by="t",
                         now=clock.now)  # fmt: skip
    started = clock.now

    def slow(phase: str, done: int, total: int) -> None:
        clock.move_to(clock.now + timedelta(seconds=20))  # each batch takes 20 s

    runs.execute(run, path, Options(batch_size=10), progress=slow)

    run.refresh_from_db()
    assert run.status == "done"
    assert run.heartbeat_at is not None
    assert run.heartbeat_at > started
    assert runs.mark_interrupted(now=clock.now + runs.SILENCE * 2) == 0
