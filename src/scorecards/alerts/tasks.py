"""The alerts' background work: evaluating as time passes, and delivering."""

import logging
import os
import socket
from datetime import datetime

from django.tasks import task
from django.utils import timezone

from scorecards.alerts.delivery import deliver_due
from scorecards.alerts.plans import notify_overdue
from scorecards.alerts.service import evaluate_all

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@task()
def evaluate_rules_now() -> int:
    """Every rule on every account, now: after a rule is made or changed."""
    return evaluate_all(now=timezone.now())


@task()
def deliver_notifications() -> int:
    return deliver_due(worker=worker_name())


def look_once(*, now: datetime) -> None:
    """What the scheduler does each minute for alerts: time-driven changes,
    then whatever is due to be sent (first tries after a lost task, retries),
    then the owners of recovery tasks past due."""
    changes = evaluate_all(now=now)
    if changes:
        logger.info("alerts: %d changes as time passed", changes)
    deliver_due(worker=worker_name(), now=now)
    notify_overdue(now=now)
