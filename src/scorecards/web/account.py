"""One account's page: its score and why, its history, who was heard, its
alerts and recovery plans.

Charts are SVG drawn on the server: no script on the page, and nothing for a
content security policy to allow.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from scorecards.accounts.models import Account
from scorecards.alerts.models import Alert, RecoveryPlan
from scorecards.feedback.campaigns import coverage
from scorecards.scoring.models import AccountScore, AccountTrend, PointKind, ScorePoint
from scorecards.web.views import STATUS_WORDS

CHART_WIDTH, CHART_HEIGHT = 600, 160
BAR_WIDTH = 200


@dataclass(frozen=True, slots=True)
class CriterionRow:
    path: str
    raw: str
    score: str
    contribution: str
    bar: float  # the contribution's width in the bar, in SVG units
    flags: str


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _criteria(score: AccountScore | None) -> list[CriterionRow]:
    if score is None:
        return []
    rows = []
    for criterion in score.criteria:
        flags = [
            word
            for word, on in (
                ("stale", criterion.get("stale")),
                ("missing", criterion.get("missing") and not criterion.get("filled")),
                ("filled in", criterion.get("filled")),
                ("set by hand", criterion.get("overridden")),
            )
            if on
        ]
        contribution = criterion.get("contribution")
        rows.append(
            CriterionRow(
                path=criterion["path"],
                raw=_number(criterion.get("raw"), 2),
                score=_number(criterion.get("score")),
                contribution=_number(contribution),
                bar=round(BAR_WIDTH * (contribution or 0) / 100, 1),
                flags=", ".join(flags),
            )
        )
    return rows


def history_chart(points: list[tuple[Any, float | None]], days: int) -> dict[str, Any]:
    """The daily points as an SVG polyline: x by day, y by score (0 at the foot)."""
    scored = [(at, total) for at, total in points if total is not None]
    if len(scored) < 2:
        return {"points": "", "first": None, "last": None}
    start = scored[0][0]
    span = max((scored[-1][0] - start).total_seconds(), 1.0)
    coordinates = " ".join(
        f"{CHART_WIDTH * (at - start).total_seconds() / span:.1f},"
        f"{CHART_HEIGHT * (1 - total / 100):.1f}"
        for at, total in scored
    )
    return {"points": coordinates, "first": scored[0], "last": scored[-1]}


def _with_labels(found: dict[str, Any]) -> dict[str, Any]:
    for role in found["roles"]:
        role["label"] = role["role"].replace("_", " ")
    return found


@login_required
@require_safe
def account_page(request: HttpRequest, key: str) -> HttpResponse:
    now = timezone.now()
    account = get_object_or_404(
        Account.objects.select_related("score__version__scorecard"), key=key
    )
    score = AccountScore.objects.filter(account=account).first()
    trend = AccountTrend.objects.filter(account=account).first()
    days = 90
    daily = list(
        ScorePoint.objects.filter(
            account=account, kind=PointKind.DAILY, at__gt=now - timedelta(days=days)
        )
        .order_by("at")
        .values_list("at", "total")
    )
    grade = score.grade.replace("_", " ") if score and score.grade else ""
    status = STATUS_WORDS.get(score.status, score.status) if score else "not scored"
    context = {
        "account": account,
        "score": score,
        "total": _number(score.total if score else None),
        "grade": grade or status,
        "coverage": f"{score.coverage:.0%}" if score else "—",
        "trend": trend,
        "criteria": _criteria(score),
        "bar_width": BAR_WIDTH,
        "chart": history_chart(daily, days),
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "days": days,
        "coverage_by_role": _with_labels(coverage(account, now=now)),
        "alerts": Alert.objects.filter(
            account=account, state__in=["pending", "firing"]
        ).select_related("rule"),
        "plans": RecoveryPlan.objects.filter(account=account, status="open")
        .select_related("playbook")
        .prefetch_related("tasks"),
        "contacts": account.contacts.order_by("role", "key"),
    }
    return render(request, "web/account.html", context)
