"""Imports as recorded runs: from the command line at once, or queued from an upload.

Every import leaves an ImportRun behind, so an operator can see what came in,
from where, asked by whom, and what it did.
"""

import logging
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.tasks import task

from scorecards.audit.log import record
from scorecards.imports.models import ImportRun, ImportStatus
from scorecards.imports.service import (
    ImportFailed,
    Options,
    Progress,
    Report,
    import_file,
)

logger = logging.getLogger(__name__)


def upload_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start_run(
    kind: str, file_name: str, options: Options, *, requested_by: str, now: datetime
) -> ImportRun:
    with transaction.atomic():
        run = ImportRun.objects.create(
            kind=kind,
            file_name=file_name[:300],
            source=options.source,
            mapping=options.mapping,
            dry_run=options.dry_run,
            skip_bad=options.skip_bad,
            requested_by=requested_by[:200],
            created_at=now,
        )
        record(
            "import.requested",
            target=f"import:{run.pk}",
            after={
                "kind": kind,
                "file_name": run.file_name,
                "source": options.source,
                "dry_run": options.dry_run,
                "skip_bad": options.skip_bad,
            },
            at=now,
        )
    return run


# How often a running import says it is alive, and how long a silence means
# its process is gone (killed, or its machine restarted).
HEARTBEAT = timedelta(seconds=15)
SILENCE = timedelta(minutes=5)
INTERRUPTED = (
    "stopped: the process running it ended before it finished (killed or "
    "restarted). The rows stored so far are kept; import the same file again "
    "and they are counted as already stored."
)


def execute(
    run: ImportRun, path: Path, options: Options, *, progress: Progress | None = None
) -> Report:
    """Run the import ``run`` describes on ``path``, recording how it went."""
    now = datetime.now(UTC)
    run.status, run.started_at, run.heartbeat_at = ImportStatus.RUNNING, now, now
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    try:
        report = import_file(
            run.kind,
            path,
            options,
            now=now,
            name=run.file_name,
            progress=_beating(run, progress),
        )
    except ImportFailed as error:
        _end(run, ImportStatus.FAILED, error=str(error))
        raise
    except Exception as error:
        _end(run, ImportStatus.FAILED, error=f"stopped by an error: {error}")
        raise

    refused = report.problem_count and not (options.skip_bad or options.dry_run)
    run.report = report.as_json()
    run.rejects_file = report.rejects or ""
    _end(run, ImportStatus.REFUSED if refused else ImportStatus.DONE)
    return report


def _beating(run: ImportRun, progress: Progress | None) -> Progress:
    """``progress``, and the run's heartbeat moved on every HEARTBEAT."""
    last = datetime.now(UTC)

    def report(phase: str, done: int, total: int) -> None:
        nonlocal last
        now = datetime.now(UTC)
        if now - last >= HEARTBEAT:
            ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=now)
            last = now
        if progress is not None:
            progress(phase, done, total)

    return report


def mark_interrupted(*, now: datetime) -> int:
    """Mark failed the runs whose process is gone: running, and silent for
    SILENCE. Returns how many. The scheduler looks every minute."""
    silent = now - SILENCE
    last_heard = Coalesce("heartbeat_at", "started_at", "created_at")
    stale = ImportRun.objects.alias(last_heard=last_heard).filter(
        status=ImportStatus.RUNNING, last_heard__lt=silent
    )
    count = 0
    for run in stale:
        with transaction.atomic():
            # One update claims it, so two schedulers mark it once.
            if not ImportRun.objects.filter(
                pk=run.pk, status=ImportStatus.RUNNING
            ).update(status=ImportStatus.FAILED, error=INTERRUPTED, finished_at=now):
                continue
            record(
                "import.finished",
                target=f"import:{run.pk}",
                after={"status": ImportStatus.FAILED.value, "error": INTERRUPTED},
                detail={"requested_by": run.requested_by, "interrupted": True},
                at=now,
            )
        logger.warning("import %d was interrupted: its process is gone", run.pk)
        count += 1
    return count


def _end(run: ImportRun, status: ImportStatus, *, error: str = "") -> None:
    run.status, run.error = status, error
    run.finished_at = datetime.now(UTC)
    fields = ["status", "error", "report", "rejects_file", "finished_at"]
    with transaction.atomic():
        run.save(update_fields=fields)
        record(
            "import.finished",
            target=f"import:{run.pk}",
            after={"status": status.value, "error": error},
            detail={
                "requested_by": run.requested_by,
                "counts": {
                    key: value
                    for key, value in run.report.items()
                    if isinstance(value, int)
                },
            },
            at=run.finished_at,
        )


def queue_upload(
    kind: str,
    upload: IO[bytes],
    file_name: str,
    options: Options,
    *,
    requested_by: str,
    now: datetime,
) -> ImportRun:
    """Keep an uploaded file in the data folder and queue its import."""
    stored = upload_dir() / f"{uuid.uuid4().hex}.csv"
    with stored.open("wb") as target:
        shutil.copyfileobj(upload, target, 1 << 20)
    run = start_run(kind, file_name, options, requested_by=requested_by, now=now)
    run.stored_file = str(stored)
    if options.skip_bad and options.rejects is None:
        run.rejects_file = str(stored.with_suffix(".rejects.csv"))
    run.save(update_fields=["stored_file", "rejects_file"])
    run_queued_import.enqueue(run.pk)
    logger.info("import %d of %s queued by %s", run.pk, kind, requested_by)
    return run


@task()
def run_queued_import(run_id: int) -> str:
    """The worker's side of an upload: import the stored file, then drop it."""
    # Claimed by one update, so a task delivered twice runs once.
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    run = ImportRun.objects.get(pk=run_id)
    if not claimed:
        return str(run.status)
    path = Path(run.stored_file)
    options = Options(
        source=run.source,
        mapping=dict(run.mapping),
        dry_run=run.dry_run,
        skip_bad=run.skip_bad,
        rejects=Path(run.rejects_file) if run.rejects_file else None,
    )
    try:
        execute(run, path, options)
    except ImportFailed:
        pass  # recorded on the run
    finally:
        path.unlink(missing_ok=True)
    return str(run.status)


def rejects_download(run: ImportRun) -> FileResponse:
    """The rows ``run`` set aside, as the CSV file to fix and send again."""
    path = Path(run.rejects_file) if run.rejects_file else None
    if path is None or not path.exists():
        raise Http404(f"import {run.pk} rejected no rows")
    name = Path(run.file_name).stem + ".rejects.csv"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="text/csv"
    )
