"""Recovery plans: a playbook opened on an account, with tasks, owners and dates.

A rule with a playbook opens a plan when its alert fires; when the alert
clears, the plan is marked recovered (its open tasks stay, to close or keep).
Anyone can open a plan by hand. A task past its due date tells its owner once.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import send_mail
from django.db.models import Count, Q

from scorecards.accounts.models import Account
from scorecards.alerts.models import (
    Alert,
    PlanStatus,
    PlanTask,
    Playbook,
    RecoveryPlan,
)
from scorecards.people.recipients import emails_for, users_for
from scorecards.scoring.models import stored_score

logger = logging.getLogger(__name__)


def _total(account: Account) -> float | None:
    score = stored_score(account)
    return score.total if score else None


def owner_of(assignee: str, account: Account) -> str:
    """Who does a step: ``csm`` is the account's CSM; ``manager`` the manager
    of the CSM's team (the first by name, if several); ``user:<name>`` a user.
    A manager nobody is gives a task without an owner, for a lead to assign."""
    if assignee == "csm":
        return account.csm
    if assignee == "manager":
        managers = sorted(user.get_username() for user in users_for("manager", account))
        return managers[0] if managers else ""
    return assignee.removeprefix("user:")


def open_plan(
    *,
    account: Account,
    playbook: Playbook,
    opened_by: str,
    now: datetime,
    alert: Alert | None = None,
) -> RecoveryPlan:
    plan = RecoveryPlan.objects.create(
        account=account,
        playbook=playbook,
        alert=alert,
        opened_by=opened_by[:200],
        opened_at=now,
        score_at_open=_total(account),
    )
    PlanTask.objects.bulk_create(
        PlanTask(
            plan=plan,
            position=position,
            title=step["title"][:200],
            description=step.get("description", ""),
            owner=owner_of(step.get("assignee", "csm"), account)[:200],
            due_at=now + timedelta(days=step.get("due_days", 7)),
        )
        for position, step in enumerate(playbook.steps, start=1)
    )
    logger.info(
        "account %s: recovery plan %s opened by %s (%d tasks)",
        account.key,
        playbook.name,
        opened_by,
        len(playbook.steps),
    )
    return plan


def on_alert_fired(alert: Alert, *, now: datetime) -> RecoveryPlan | None:
    playbook = alert.rule.playbook
    if playbook is None or RecoveryPlan.objects.filter(alert=alert).exists():
        return None
    return open_plan(
        account=alert.account,
        playbook=playbook,
        opened_by=f"rule {alert.rule.name}",
        now=now,
        alert=alert,
    )


def on_alert_cleared(alert: Alert, *, now: datetime) -> None:
    plan = RecoveryPlan.objects.filter(alert=alert, status=PlanStatus.OPEN).first()
    if plan is not None:
        _close(plan, PlanStatus.RECOVERED, now)


def close_plan(*, plan: RecoveryPlan, by: str, now: datetime) -> RecoveryPlan:
    if plan.status == PlanStatus.OPEN:
        _close(plan, PlanStatus.CLOSED, now)
        logger.info("recovery plan %d closed by %s", plan.pk, by)
    return plan


def _close(plan: RecoveryPlan, status: PlanStatus, now: datetime) -> None:
    plan.status, plan.closed_at = status, now
    plan.score_at_close = _total(plan.account)
    plan.save(update_fields=["status", "closed_at", "score_at_close"])
    logger.info(
        "account %s: recovery plan %s %s", plan.account.key, plan.playbook.name, status
    )


def complete_task(*, task: PlanTask, by: str, now: datetime) -> PlanTask:
    if task.done_at is None:
        task.done_at, task.done_by = now, by[:200]
        task.save(update_fields=["done_at", "done_by"])
    return task


def playbook_outcomes() -> dict[int, dict[str, Any]]:
    """For each playbook: how many plans it opened and how they ended."""
    rows = RecoveryPlan.objects.values("playbook_id").annotate(
        opened=Count("pk"),
        open=Count("pk", filter=Q(status=PlanStatus.OPEN)),
        recovered=Count("pk", filter=Q(status=PlanStatus.RECOVERED)),
        closed=Count("pk", filter=Q(status=PlanStatus.CLOSED)),
    )
    return {row.pop("playbook_id"): row for row in rows}


def notify_overdue(*, now: datetime) -> int:
    """Tell the owner of each task past due, once; returns how many were told."""
    due = PlanTask.objects.filter(
        done_at=None,
        due_at__lte=now,
        overdue_notified_at=None,
        plan__status=PlanStatus.OPEN,
    ).values_list("pk", flat=True)
    told = 0
    for pk in list(due[:200]):
        # Claimed by one update: of several workers, one tells the owner.
        if not PlanTask.objects.filter(pk=pk, overdue_notified_at=None).update(
            overdue_notified_at=now
        ):
            continue
        task = PlanTask.objects.select_related("plan__account").get(pk=pk)
        if _tell_owner(task):
            told += 1
        else:
            PlanTask.objects.filter(pk=pk).update(overdue_notified_at=None)
    return told


def _tell_owner(task: PlanTask) -> bool:
    account = task.plan.account
    owner = task.owner if "@" in task.owner else f"user:{task.owner}"
    address = next(iter(emails_for(owner, account)), "")
    if not address:
        logger.warning(
            "task %d on %s is overdue; its owner %r has no email",
            task.pk,
            account.key,
            task.owner,
        )
        return True  # nobody to tell: do not try every minute
    subject = f"[overdue] {account.name or account.key}: {task.title}"
    body = (
        f"The recovery task {task.title!r} for {account.name or account.key} was "
        f"due {task.due_at:%Y-%m-%d %H:%M} UTC.\n\n{task.description}\n"
    )
    try:
        send_mail(subject[:200], body, None, [address])
    except OSError as error:
        logger.warning("task %d: the overdue email failed: %s", task.pk, error)
        return False
    return True
