"""My work: the tasks I own by due date, the alerts on my accounts, and my
accounts that declined this week; and the buttons that act on them.

"My accounts" are the accounts that name me as their CSM. A manager sees the
accounts of their teams and an admin every account; both may pick one CSM to
see that CSM's work.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from scorecards.accounts.models import Account
from scorecards.alerts.machine import AlertState
from scorecards.alerts.models import Alert, PlanTask
from scorecards.alerts.plans import complete_task
from scorecards.alerts.service import acknowledge, snooze
from scorecards.people.access import access
from scorecards.people.models import Role
from scorecards.scoring.history import end_of_day
from scorecards.scoring.models import PointKind, ScorePoint
from scorecards.web import book

WEEK = timedelta(days=7)
SNOOZE_DAYS = (1, 3, 7, 14)
LISTED = 100  # rows a list shows; the heading says how many there are


@dataclass(frozen=True, slots=True)
class Decline:
    account: Account
    before: float
    now: float

    @property
    def change(self) -> str:
        return f"{self.now - self.before:+.1f}"


@login_required
@require_safe
def my_work(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    found = access(request)
    csm = request.GET.get("csm", "").strip()
    overseer = found.role in (Role.ADMIN, Role.MANAGER)
    if csm and overseer:
        accounts = Account.objects.filter(csm__iexact=csm)
        scope = f"{csm}'s accounts"
        tasks = PlanTask.objects.filter(plan__account__in=accounts)
    elif found.role == Role.ADMIN:
        accounts, scope = Account.objects.all(), "all accounts"
        tasks = PlanTask.objects.all()
    elif found.role == Role.MANAGER:
        accounts, scope = Account.objects.filter(found.in_my_teams()), "your teams"
        tasks = PlanTask.objects.filter(plan__account__in=accounts)
    else:
        accounts, scope = Account.objects.filter(found.mine()), "your accounts"
        tasks = PlanTask.objects.filter(_owned_by(found.names))
    tasks = (
        tasks.filter(done_at=None, plan__status="open")
        .select_related("plan__account", "plan__playbook")
        .order_by("due_at", "pk")
    )
    alerts = (
        Alert.objects.filter(
            account__in=accounts, state__in=[AlertState.PENDING, AlertState.FIRING]
        )
        .select_related("account", "rule")
        # Firing before pending ("firing" < "pending"), the oldest first.
        .order_by("state", F("fired_at").asc(nulls_last=True), "opened_at", "pk")
    )
    declines = declined(accounts, now=now)
    context = {
        "tasks": tasks[:LISTED],
        "task_count": tasks.count(),
        "alerts": alerts[:LISTED],
        "alert_count": alerts.count(),
        "declines": _declines(declines[:LISTED]),
        "decline_count": declines.count(),
        "listed": LISTED,
        "now": now,
        "scope": scope,
        "csm": csm if overseer else "",
        "csms": book.facets()["csm"] if overseer else [],
        "shows_owner": overseer,
        "snooze_days": SNOOZE_DAYS,
    }
    return render(request, "web/work.html", context)


def _owned_by(names: frozenset[str]) -> Q:
    query = Q(pk__in=[])
    for name in names:
        query |= Q(owner__iexact=name)
    return query


def declined(accounts: QuerySet[Account], *, now: datetime) -> QuerySet[ScorePoint]:
    """The daily points of a week ago above the score now, the largest fall
    first: one query, whatever the size of the book."""
    return (
        ScorePoint.objects.filter(
            account__in=accounts,
            kind=PointKind.DAILY,
            at=end_of_day((now - WEEK).date()),
            total__gt=F("account__score__total"),
        )
        .annotate(change=F("account__score__total") - F("total"))
        .select_related("account__score")
        .order_by("change", "account__key")
    )


def _declines(points: QuerySet[ScorePoint]) -> list[Decline]:
    return [
        Decline(point.account, point.total, point.account.score.total)
        for point in points
    ]


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _editable_alert(request: HttpRequest, alert_id: int) -> Alert:
    alert = get_object_or_404(
        Alert.objects.select_related("account", "rule"), pk=alert_id
    )
    if not access(request).can_edit(alert.account):
        raise PermissionDenied
    return alert


@login_required
@require_http_methods(["POST"])
def acknowledge_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _editable_alert(request, alert_id)
    # A second click, or a retried request, acknowledges nothing twice.
    if alert.acknowledged_at is None:
        acknowledge(alert=alert, by=request.user.get_username(), now=timezone.now())
        messages.success(
            request, f"Alert {alert.rule.name} on {alert.account.key} acknowledged."
        )
    return _back(request, "web:work")


@login_required
@require_http_methods(["POST"])
def snooze_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _editable_alert(request, alert_id)
    try:
        days = int(request.POST.get("days", ""))
    except ValueError:
        days = 0
    if days not in SNOOZE_DAYS:
        messages.error(
            request, f"days: choose one of {', '.join(map(str, SNOOZE_DAYS))}."
        )
        return _back(request, "web:work")
    now = timezone.now()
    until = now + timedelta(days=days)
    snooze(alert=alert, until=until, by=request.user.get_username(), now=now)
    messages.success(
        request,
        f"Alert {alert.rule.name} on {alert.account.key} snoozed until "
        f"{until:%Y-%m-%d}.",
    )
    return _back(request, "web:work")


@login_required
@require_http_methods(["POST"])
def finish_task(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(
        PlanTask.objects.select_related("plan__account"), pk=task_id
    )
    if not access(request).can_edit(task.plan.account):
        raise PermissionDenied
    if task.done_at is None:
        complete_task(task=task, by=request.user.get_username(), now=timezone.now())
        messages.success(request, f"Task “{task.title}” done.")
    return _back(request, "web:work")
