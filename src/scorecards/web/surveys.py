"""Surveys and campaigns from the browser, for admins: define a form, launch a
campaign, watch the answers come in."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from scorecards.accounts.models import Account, Contact
from scorecards.feedback.campaigns import CampaignError, launch_campaign
from scorecards.feedback.forms import define_form
from scorecards.feedback.models import Campaign, FormKind, SurveyForm
from scorecards.people.access import admin_page

KEY_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


def parse_questions(text: str, kind: str) -> list[dict[str, Any]]:
    """One question a line: ``key | the question | weight`` (weight optional)."""
    questions, keys = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ValidationError(f"line {number}: write key | question | weight")
        key = parts[0].lower()
        if set(key) - KEY_CHARACTERS or len(key) > 100:
            raise ValidationError(f"line {number}: a key is letters, digits, - or _")
        if key in keys:
            raise ValidationError(f"line {number}: the key {key!r} is used twice")
        try:
            weight = float(parts[2]) if len(parts) == 3 and parts[2] else 1.0
        except ValueError:
            raise ValidationError(
                f"line {number}: the weight is not a number"
            ) from None
        if not 0 < weight <= 100:
            raise ValidationError(f"line {number}: the weight is from 0 to 100")
        keys.add(key)
        questions.append({"key": key, "text": parts[1][:500], "weight": weight})
    if not questions:
        raise ValidationError("write at least one question")
    if kind == FormKind.NPS and len(questions) != 1:
        raise ValidationError("an NPS survey asks one question")
    return questions


class SurveyFormForm(forms.Form):
    key = forms.SlugField(label="Key", max_length=100)
    kind = forms.ChoiceField(
        label="Kind",
        choices=[
            ("stakeholder", "Stakeholder evaluation (1-5, weighted)"),
            ("nps", "NPS (0-10 and a comment)"),
            ("qbr", "QBR evaluation (a 1-5 rubric)"),
        ],
    )
    title = forms.CharField(label="Title", max_length=200)
    questions = forms.CharField(
        label="Questions",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One a line: key | question | weight, e.g. "
        "overall | Overall, how well do we serve you? | 2",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "questions" in data and "kind" in data:
            try:
                data["questions"] = parse_questions(data["questions"], data["kind"])
            except ValidationError as error:
                self.add_error("questions", error)
        return data


@admin_page
@require_http_methods(["GET", "POST"])
def surveys(request: HttpRequest) -> HttpResponse:
    form = SurveyFormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        define_form(
            key=data["key"],
            kind=data["kind"],
            title=data["title"],
            questions=data["questions"],
            now=timezone.now(),
        )
        return redirect("web:surveys")
    listed = SurveyForm.objects.select_related("current")
    return render(request, "web/surveys.html", {"form": form, "surveys": listed})


def _distinct(model: Any, field: str) -> list[tuple[str, str]]:
    """The values ``field`` takes, as choices: ``executive_sponsor`` shown as
    ``executive sponsor``."""
    values = (
        model.objects.exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()
    )
    return [(value, value.replace("_", " ")) for value in values]


class CampaignForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    survey = forms.ModelChoiceField(
        label="Survey",
        queryset=SurveyForm.objects.exclude(current=None),
        to_field_name="key",
    )
    segments = forms.MultipleChoiceField(
        label="Segments (none: all)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    csms = forms.MultipleChoiceField(
        label="CSMs (none: all)", required=False, widget=forms.CheckboxSelectMultiple
    )
    accounts = forms.CharField(
        label="Only these accounts",
        required=False,
        help_text="Account keys, separated by commas or spaces; empty: all.",
    )
    roles = forms.MultipleChoiceField(
        label="Roles (none: all)", required=False, widget=forms.CheckboxSelectMultiple
    )
    remind_after_days = forms.IntegerField(
        label="Remind after (days)", min_value=1, max_value=60, initial=5
    )
    max_reminders = forms.IntegerField(
        label="Reminders at most", min_value=0, max_value=10, initial=2
    )
    closes_on = forms.DateField(
        label="Closes on", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segments"].choices = _distinct(Account, "segment")
        self.fields["csms"].choices = _distinct(Account, "csm")
        self.fields["roles"].choices = _distinct(Contact, "role")
        self.fields["closes_on"].initial = timezone.now().date() + timedelta(days=14)


@admin_page
@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        closes_at = datetime.combine(data["closes_on"], time.max, tzinfo=UTC)
        try:
            campaign = launch_campaign(
                name=data["name"],
                form=data["survey"],
                segments=data["segments"],
                csms=data["csms"],
                accounts=data["accounts"].replace(",", " ").split(),
                roles=data["roles"],
                remind_after_days=data["remind_after_days"],
                max_reminders=data["max_reminders"],
                closes_at=closes_at,
                by=f"user {request.user.get_username()}",
                now=timezone.now(),
            )
        except CampaignError as error:
            form.add_error(None, f"{error.field}: {error.message}")
        else:
            return redirect("web:campaign", campaign_id=campaign.pk)
    listed = Campaign.objects.select_related("version__form")[:50]
    return render(request, "web/campaigns.html", {"form": form, "campaigns": listed})


@admin_page
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = get_object_or_404(
        Campaign.objects.select_related("version__form"), pk=campaign_id
    )
    invitations = found.invitations
    context = {
        "campaign": found,
        "invited": invitations.count(),
        "sent": invitations.filter(sent_at__isnull=False).count(),
        "answered": invitations.filter(answered_at__isnull=False).count(),
        "reminded": invitations.filter(reminders_sent__gt=0).count(),
    }
    return render(request, "web/campaign.html", context)
