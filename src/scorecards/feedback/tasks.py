"""The surveys' background work: sending invitations and reminders, closing."""

from datetime import datetime

from django.tasks import task
from django.utils import timezone

from scorecards.feedback.campaigns import close_due, remind_due, send_due


@task()
def send_invitations() -> int:
    return send_due(now=timezone.now())


def look_once(*, now: datetime) -> None:
    """Each minute: close what is due, send what waits, remind who is due."""
    close_due(now=now)
    send_due(now=now)
    remind_due(now=now)
