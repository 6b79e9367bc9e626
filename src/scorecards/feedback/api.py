"""Surveys through the API: forms, campaigns, and each account's coverage."""

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from scorecards.accounts.api import account_or_404
from scorecards.api.errors import InvalidInput
from scorecards.api.models import ApiToken
from scorecards.feedback.campaigns import (
    CampaignError,
    coverage,
    launch_campaign,
    record_qbr,
)
from scorecards.feedback.forms import AnswerError, define_form
from scorecards.feedback.models import Campaign, Qbr, SurveyForm

router = Router(tags=["surveys"])

Key = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=500)]
# A form's title and a campaign's name, as long as their columns.
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionIn(Strict):
    key: Key
    text: Text
    weight: float = Field(default=1.0, gt=0, le=100)


class SurveyIn(Strict):
    kind: Literal["nps", "stakeholder", "qbr"]
    title: Name
    questions: Annotated[list[QuestionIn], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _shape(self) -> "SurveyIn":
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys):
            raise ValueError("each question needs its own key")
        if self.kind == "nps" and len(self.questions) != 1:
            raise ValueError("an nps survey asks one question")
        return self


class SurveyOut(BaseModel):
    key: str
    kind: str
    title: str
    version: int
    questions: list[dict[str, Any]]


class CampaignIn(Strict):
    name: Name
    survey: Key
    segments: list[str] = Field(default_factory=list)
    csms: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list, description="empty: every role")
    remind_after_days: int = Field(default=5, ge=1, le=60)
    max_reminders: int = Field(default=2, ge=0, le=10)
    closes_at: AwareDatetime


class CampaignOut(BaseModel):
    id: int
    name: str
    survey: str
    version: int
    status: str
    closes_at: datetime
    invited: int
    sent: int
    reminded: int
    answered: int


def _by(request: HttpRequest) -> str:
    token = getattr(request, "auth", None)
    return f"token {token.name}" if isinstance(token, ApiToken) else "unknown"


def survey_out(form: SurveyForm) -> SurveyOut:
    version = form.current
    assert version is not None
    return SurveyOut(
        key=form.key,
        kind=form.kind,
        title=form.title,
        version=version.number,
        questions=version.questions,
    )


@router.put("/surveys/{key}", response=SurveyOut, summary="Create or change a survey")
def put_survey(request: HttpRequest, key: Key, body: SurveyIn) -> SurveyOut:
    """Changed questions make a new version; answers keep the one they had."""
    form, _ = define_form(
        key=key,
        kind=body.kind,
        title=body.title,
        questions=[q.model_dump() for q in body.questions],
        now=timezone.now(),
    )
    return survey_out(form)


@router.get("/surveys", response=list[SurveyOut], summary="Every survey")
def list_surveys(request: HttpRequest) -> list[SurveyOut]:
    return [survey_out(f) for f in SurveyForm.objects.select_related("current")]


def campaign_out(campaign: Campaign) -> CampaignOut:
    invitations = campaign.invitations
    return CampaignOut(
        id=campaign.pk,
        name=campaign.name,
        survey=campaign.version.form.key,
        version=campaign.version.number,
        status=campaign.status,
        closes_at=campaign.closes_at,
        invited=invitations.count(),
        sent=invitations.filter(sent_at__isnull=False).count(),
        reminded=invitations.filter(reminders_sent__gt=0).count(),
        answered=invitations.filter(answered_at__isnull=False).count(),
    )


@router.post(
    "/campaigns", response={201: CampaignOut}, summary="Launch a survey campaign"
)
def post_campaign(request: HttpRequest, body: CampaignIn) -> Status[CampaignOut]:
    """Every contact with an email in the chosen accounts and roles gets a
    personal link, sent by the workers; non-responders are reminded."""
    form = SurveyForm.objects.filter(key=body.survey).first()
    if form is None:
        raise InvalidInput("survey", f"no survey {body.survey!r}")
    try:
        campaign = launch_campaign(
            name=body.name,
            form=form,
            segments=body.segments,
            csms=body.csms,
            accounts=body.accounts,
            roles=body.roles,
            remind_after_days=body.remind_after_days,
            max_reminders=body.max_reminders,
            closes_at=body.closes_at,
            by=_by(request),
            now=timezone.now(),
        )
    except CampaignError as error:
        raise InvalidInput(error.field, error.message) from None
    return Status(201, campaign_out(campaign))


@router.get("/campaigns/{campaign_id}", response=CampaignOut, summary="A campaign")
def get_campaign(request: HttpRequest, campaign_id: int) -> CampaignOut:
    campaign = (
        Campaign.objects.select_related("version__form").filter(pk=campaign_id).first()
    )
    if campaign is None:
        raise Http404(f"no campaign {campaign_id}")
    return campaign_out(campaign)


class RoleCoverage(BaseModel):
    role: str
    contacts: int
    asked: int
    answered: int
    last_asked_at: datetime | None
    last_answered_at: datetime | None


class CoverageOut(BaseModel):
    account: str
    roles: list[RoleCoverage]
    executive_heard_at: datetime | None
    no_executive_voice: bool = Field(
        description="no executive sponsor has answered in 180 days"
    )


@router.get(
    "/accounts/{key}/coverage",
    response=CoverageOut,
    summary="Who was asked and who answered, by role",
)
def get_coverage(request: HttpRequest, key: str) -> CoverageOut:
    account = account_or_404(key)
    return CoverageOut(account=account.key, **coverage(account, now=timezone.now()))


class QbrIn(Strict):
    survey: Key = Field(description="a survey of kind qbr: its rubric")
    held_at: AwareDatetime
    attendees: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, description="the customer's attendees, by contact key"
    )
    notes: Annotated[str, Field(max_length=10000)] = ""
    ratings: dict[str, int] = Field(description="the rubric's items, each 1 to 5")
    invite_attendees: bool = Field(
        default=False, description="send the attendees the same rubric to rate"
    )
    closes_in_days: int = Field(default=14, ge=1, le=90)


class QbrOut(BaseModel):
    id: int
    account: str
    survey: str
    held_at: datetime
    attendees: list[str]
    notes: str
    ratings: dict[str, int]
    recorded_by: str
    campaign: int | None


def qbr_out(qbr: Qbr) -> QbrOut:
    return QbrOut(
        id=qbr.pk,
        account=qbr.account.key,
        survey=qbr.version.form.key,
        held_at=qbr.held_at,
        attendees=qbr.attendees,
        notes=qbr.notes,
        ratings=qbr.ratings,
        recorded_by=qbr.recorded_by,
        campaign=qbr.campaign_id,
    )


@router.post(
    "/accounts/{key}/qbrs",
    response={201: QbrOut},
    summary="Record a QBR and rate its rubric",
)
def post_qbr(request: HttpRequest, key: str, body: QbrIn) -> Status[QbrOut]:
    """The rating becomes ``qbr_score`` (and one signal per item) at once."""
    now = timezone.now()
    account = account_or_404(key)
    form = SurveyForm.objects.filter(key=body.survey).select_related("current").first()
    if form is None:
        raise InvalidInput("survey", f"no survey {body.survey!r}")
    try:
        qbr = record_qbr(
            account=account,
            form=form,
            held_at=body.held_at,
            attendees=body.attendees,
            notes=body.notes,
            ratings=body.ratings,
            invite_attendees=body.invite_attendees,
            closes_at=now + timedelta(days=body.closes_in_days),
            by=_by(request),
            now=now,
        )
    except CampaignError as error:
        raise InvalidInput(error.field, error.message) from None
    except AnswerError as error:
        field, message = next(iter(error.problems.items()))
        raise InvalidInput(f"ratings.{field}", message) from None
    return Status(201, qbr_out(qbr))


@router.get("/accounts/{key}/qbrs", response=list[QbrOut], summary="An account's QBRs")
def list_qbrs(request: HttpRequest, key: str) -> list[QbrOut]:
    account = account_or_404(key)
    return [qbr_out(q) for q in account.qbrs.select_related("version__form")]
