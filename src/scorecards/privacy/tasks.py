"""Retention's place in the schedule: once a UTC day, queued by one worker."""

import logging
from datetime import UTC, datetime

from django.db import transaction
from django.tasks import task

from scorecards.privacy.retention import apply_retention, configured
from scorecards.scoring.models import ScheduledRun
from scorecards.scoring.tasks import claim_day

logger = logging.getLogger(__name__)

RETENTION = "retention"


@task()
def apply_retention_now() -> dict[str, int]:
    return apply_retention(now=datetime.now(UTC)).removed


def enqueue_due_retention(*, now: datetime, worker: str) -> bool:
    """Queue today's retention run unless another worker has; True if queued.

    Nothing is queued while every kind is kept for ever.
    """
    if not configured():
        return False
    day = now.astimezone(UTC).date()
    if ScheduledRun.objects.filter(job=RETENTION, day=day).exists():
        return False

    # The claim and the task commit together, as the daily points' do.
    with transaction.atomic():
        if not claim_day(job=RETENTION, day=day, now=now, worker=worker):
            return False
        result = apply_retention_now.enqueue()
        ScheduledRun.objects.filter(job=RETENTION, day=day).update(
            task_id=str(result.id)
        )
    logger.info("retention for %s queued by %s", day.isoformat(), worker)
    return True
