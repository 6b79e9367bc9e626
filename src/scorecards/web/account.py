"""One account's page: its score and why, its history, who was heard, its
alerts and recovery plans.

Charts are SVG drawn on the server: no script on the page, and nothing for a
content security policy to allow.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_contacts
from scorecards.alerts.models import Alert, Playbook, RecoveryPlan
from scorecards.alerts.plans import open_plan as open_recovery_plan
from scorecards.feedback.campaigns import CampaignError, coverage, record_qbr
from scorecards.feedback.forms import AnswerError
from scorecards.feedback.models import FormKind, SurveyForm
from scorecards.people.access import access
from scorecards.scoring.models import (
    AccountScore,
    AccountTrend,
    PointKind,
    ScorePoint,
    stored_score,
)
from scorecards.web.grades import STATUS_WORDS

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
    score = stored_score(account)
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
        "contact_form": ContactForm(),
        "can_edit": access(request).can_edit(account),
        "playbooks": Playbook.objects.only("name"),
        **_qbr_context(request, account),
    }
    return render(request, "web/account.html", context)


def _qbr_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    surveys = list(SurveyForm.objects.filter(kind=FormKind.QBR).exclude(current=None))
    if not surveys:
        return {"qbr_surveys": [], "qbr_survey": None, "qbr_form": None}
    chosen = next((s for s in surveys if s.key == request.GET.get("qbr")), surveys[0])
    contacts = list(account.contacts.values_list("key", flat=True))
    return {
        "qbr_surveys": surveys,
        "qbr_survey": chosen,
        "qbr_form": qbr_form_for(chosen, contacts),
        "qbrs": account.qbrs.all()[:5],
    }


ROLES = ["executive_sponsor", "decision_maker", "champion", "user", "billing"]


class ContactForm(forms.Form):
    key = forms.CharField(label="Contact key", max_length=200)
    role = forms.CharField(
        label="Role",
        max_length=100,
        required=False,
        help_text="executive_sponsor, decision_maker, champion, user, billing, "
        "or your own",
    )
    name = forms.CharField(label="Name", max_length=300, required=False)
    email = forms.EmailField(label="Email", required=False)


def qbr_form_for(
    survey: SurveyForm, contacts: list[str], data: Any = None
) -> forms.Form:
    """A form for a QBR under ``survey``'s rubric: one 1-5 choice per item."""
    fields: dict[str, forms.Field] = {
        "held_on": forms.DateField(
            label="Held on", widget=forms.DateInput(attrs={"type": "date"})
        ),
        "attendees": forms.MultipleChoiceField(
            label="The customer's attendees",
            required=False,
            choices=[(c, c) for c in contacts],
            widget=forms.CheckboxSelectMultiple,
        ),
        "notes": forms.CharField(
            label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3})
        ),
    }
    for question in survey.current.questions if survey.current else []:
        fields[f"rate_{question['key']}"] = forms.TypedChoiceField(
            label=question["text"],
            coerce=int,
            choices=[("", "—")] + [(n, str(n)) for n in range(1, 6)],
        )
    fields["invite_attendees"] = forms.BooleanField(
        label="Send the attendees the same rubric to rate", required=False
    )
    form_class = type("QbrForm", (forms.Form,), fields)
    return form_class(data)  # type: ignore[no-any-return]


def editable(request: HttpRequest, key: str) -> Account:
    """The account, if the signed-in user may change it; 403 if not."""
    account = get_object_or_404(Account, key=key)
    if not access(request).can_edit(account):
        raise PermissionDenied
    return account


@login_required
@require_http_methods(["POST"])
def add_contact(request: HttpRequest, key: str) -> HttpResponse:
    account = editable(request, key)
    form = ContactForm(request.POST)
    if form.is_valid():
        item = {"account": account.key, **form.cleaned_data}
        item["role"] = item["role"].strip().lower().replace(" ", "_")
        upsert_contacts([item], now=timezone.now())
        messages.success(request, f"Contact {item['key']} saved.")
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
    return redirect("web:account", key=account.key)


@login_required
@require_http_methods(["POST"])
def add_qbr(request: HttpRequest, key: str) -> HttpResponse:
    now = timezone.now()
    account = editable(request, key)
    survey = get_object_or_404(SurveyForm, key=request.POST.get("survey", ""))
    contacts = list(account.contacts.values_list("key", flat=True))
    form = qbr_form_for(survey, contacts, request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect("web:account", key=account.key)
    data = form.cleaned_data
    ratings = {
        name.removeprefix("rate_"): v
        for name, v in data.items()
        if name.startswith("rate_")
    }
    try:
        record_qbr(
            account=account,
            form=survey,
            held_at=datetime.combine(data["held_on"], time(12), tzinfo=UTC),
            attendees=data["attendees"],
            notes=data["notes"],
            ratings=ratings,
            invite_attendees=data["invite_attendees"],
            closes_at=now + timedelta(days=14),
            by=f"user {request.user.get_username()}",
            now=now,
        )
    except (CampaignError, AnswerError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "QBR recorded; its rating counts in the score now.")
    return redirect("web:account", key=account.key)


@login_required
@require_http_methods(["POST"])
def open_plan(request: HttpRequest, key: str) -> HttpResponse:
    """Open a playbook on the account by hand, as a recovery plan."""
    account = editable(request, key)
    playbook = get_object_or_404(Playbook, name=request.POST.get("playbook", ""))
    # A second click (or a retried request) opens nothing twice.
    if RecoveryPlan.objects.filter(
        account=account, playbook=playbook, status="open"
    ).exists():
        messages.info(request, f"A {playbook.name} plan is already open here.")
        return redirect("web:account", key=account.key)
    open_recovery_plan(
        account=account,
        playbook=playbook,
        opened_by=request.user.get_username(),
        now=timezone.now(),
    )
    messages.success(request, f"Recovery plan {playbook.name} opened.")
    return redirect("web:account", key=account.key)
