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
    stored_score,
)
from scorecards.scoring.overrides import OverrideError, set_override
from scorecards.web import story
from scorecards.web.grades import STATUS_WORDS, tone

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
    days = _choice(request.GET.get("days"), story.RANGES, default=90)
    why_form = WhyForm(request.GET if "from" in request.GET else None)
    today = now.date()
    start, end = today - timedelta(days=30), today
    if why_form.is_bound and why_form.is_valid():
        start, end = why_form.cleaned_data["start"], why_form.cleaned_data["end"]
    answers = story.latest_answers(account)
    grade = score.grade.replace("_", " ") if score and score.grade else ""
    status = STATUS_WORDS.get(score.status, score.status) if score else "not scored"
    context = {
        "account": account,
        "score": score,
        "total": _number(score.total if score else None),
        "grade": grade or status,
        "tone": tone(score.version.definition, score.grade)
        if score and score.version and score.total is not None
        else "none",
        "coverage": f"{score.coverage:.0%}" if score else "—",
        "trend": trend,
        "criteria": _criteria(score),
        "bar_width": BAR_WIDTH,
        "chart": story.chart(account, days=days, now=now),
        "chart_width": story.CHART_WIDTH,
        "chart_height": story.CHART_HEIGHT,
        "days": days,
        "ranges": story.RANGES,
        "why": story.why(account, start=start, end=end) if score else None,
        "why_form": why_form
        if why_form.is_bound
        else WhyForm(initial={"start": start, "end": end}),
        "timeline": story.timeline(account),
        "can_override": access(request).can_override(account),
        "override_form": OverrideForm(account=account),
        "coverage_by_role": _with_labels(coverage(account, now=now)),
        "alerts": Alert.objects.filter(
            account=account, state__in=["pending", "firing"]
        ).select_related("rule"),
        "plans": RecoveryPlan.objects.filter(account=account, status="open")
        .select_related("playbook")
        .prefetch_related("tasks"),
        "contacts": [
            (contact, answers.get(contact.pk))
            for contact in account.contacts.order_by("role", "key")
        ],
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


def _choice(value: str | None, allowed: tuple[int, ...], *, default: int) -> int:
    return (
        int(value) if value and value.isdigit() and int(value) in allowed else default
    )


class WhyForm(forms.Form):
    start = forms.DateField(label="From the end of", input_formats=["%Y-%m-%d"])
    end = forms.DateField(label="to the end of", input_formats=["%Y-%m-%d"])

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        if data is not None:
            data = {"start": data.get("from"), "end": data.get("to")}
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("start")
            and cleaned.get("end")
            and cleaned["start"] >= cleaned["end"]
        ):
            self.add_error("end", "must be after the first date")
        return cleaned


class OverrideForm(forms.Form):
    target = forms.ChoiceField(label="What to set")
    value = forms.FloatField(label="Score (0-100)", min_value=0, max_value=100)
    reason = forms.CharField(
        label="Why the data is overruled", widget=forms.Textarea(attrs={"rows": 2})
    )
    days = forms.IntegerField(
        label="Reverts by itself after (days)", min_value=1, max_value=365, initial=30
    )

    def __init__(self, data: Any = None, *, account: Account) -> None:
        super().__init__(data)
        score = stored_score(account)
        paths = [c["path"] for c in score.criteria] if score else []
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [("*", "the total score"), *((p, p) for p in paths)]


@login_required
@require_http_methods(["POST"])
def override(request: HttpRequest, key: str) -> HttpResponse:
    """Set the score or one criterion by hand: managers of the account, admins."""
    account = get_object_or_404(Account, key=key)
    if not access(request).can_override(account):
        raise PermissionDenied
    form = OverrideForm(request.POST, account=account)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect("web:account", key=account.key)
    data, now = form.cleaned_data, timezone.now()
    try:
        set_override(
            account=account,
            target=data["target"],
            value=data["value"],
            reason=data["reason"],
            by=request.user.get_username(),
            now=now,
            expires_at=now + timedelta(days=data["days"]),
        )
    except OverrideError as error:
        messages.error(request, f"{error.field}: {error.message}")
    else:
        messages.success(request, "Override set; it reverts by itself when it expires.")
    return redirect("web:account", key=account.key)
