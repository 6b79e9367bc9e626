"""Alert rules set through the API, and the alerts they open: read, acknowledged,
snoozed."""

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from scorecards.accounts.api import account_or_404
from scorecards.alerts.models import Alert, AlertRule, Playbook, RecoveryPlan
from scorecards.alerts.plans import (
    close_plan,
    complete_task,
    open_plan,
    playbook_outcomes,
)
from scorecards.alerts.service import acknowledge, snooze
from scorecards.alerts.tasks import evaluate_rules_now
from scorecards.api.errors import InvalidInput
from scorecards.api.models import ApiToken
from scorecards.audit.log import record
from scorecards.engine.durations import format_duration, parse_duration
from scorecards.lib.secrets import SecretRef
from scorecards.people.recipients import (
    EMAIL_RECIPIENT_PATTERN,
    RECIPIENT_PATTERN,
)

router = Router(tags=["alerts"])

logger = logging.getLogger(__name__)

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^/]+$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Operator = Literal["<", "<=", ">", ">=", "=="]


def _duration(text: str | None) -> str | None:
    if text is not None:
        parse_duration(text)
    return text


Duration = Annotated[
    str | None,
    Field(description="like 6h, 2d or 1w"),
    AfterValidator(_duration),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Threshold(Strict):
    kind: Literal["threshold"]
    trigger: float = Field(description="fires when the total falls below this")
    clear: float = Field(description="clears only when the total rises above this")

    @model_validator(mode="after")
    def _clear_above_trigger(self) -> "Threshold":
        if self.clear < self.trigger:
            raise ValueError("clear must be at or above trigger")
        return self


class Grade(Strict):
    kind: Literal["grade"]
    grades: Annotated[list[Text], Field(min_length=1)]


class Drop(Strict):
    kind: Literal["drop"]
    points: float = Field(gt=0)
    days: int = Field(ge=1, le=365)


class Criterion(Strict):
    """A criterion's raw value or score; or, with a role, the latest answer to
    ``metric`` from a contact in that role."""

    kind: Literal["criterion"]
    op: Operator
    value: float
    criterion: Text | None = None
    measure: Literal["raw", "score"] = "raw"
    metric: Text | None = None
    role: Text | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> "Criterion":
        if (self.criterion is None) == (self.role is None):
            raise ValueError("give either criterion, or metric and role")
        if self.role is not None and self.metric is None:
            raise ValueError("a role condition needs its metric")
        return self


class Stale(Strict):
    kind: Literal["stale"]
    criterion: Text | None = None
    days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_subject(self) -> "Stale":
        if (self.criterion is None) == (self.days is None):
            raise ValueError("give either criterion, or days without a score")
        return self


Condition = Annotated[
    Threshold | Grade | Drop | Criterion | Stale, Field(discriminator="kind")
]


class Scope(Strict):
    scorecards: list[Text] = Field(default_factory=list)
    segments: list[Text] = Field(default_factory=list)
    tiers: list[Text] = Field(default_factory=list)
    min_arr: float | None = Field(default=None, ge=0)


class WebhookTarget(Strict):
    kind: Literal["webhook"]
    url: Annotated[str, Field(pattern=r"^https?://", max_length=500)]
    secret: SecretRef | None = None


class SlackTarget(Strict):
    kind: Literal["slack"]
    url: Annotated[str, Field(pattern=r"^https?://", max_length=500)]


Recipient = Annotated[str, Field(pattern=EMAIL_RECIPIENT_PATTERN, max_length=300)]
Person = Annotated[str, Field(pattern=RECIPIENT_PATTERN, max_length=300)]


class EmailTarget(Strict):
    kind: Literal["email"]
    to: Annotated[list[Recipient], Field(min_length=1)] = Field(
        description="csm (the account's CSM), manager (the manager of the CSM's "
        "team), team:<name> (every member), user:<username>, or an address"
    )


class InboxTarget(Strict):
    kind: Literal["inbox"]
    to: Annotated[list[Person], Field(min_length=1)] = Field(
        description="whose in-app inbox: csm, manager, team:<name>, user:<username>"
    )


Target = Annotated[
    WebhookTarget | SlackTarget | EmailTarget | InboxTarget,
    Field(discriminator="kind"),
]


class RuleIn(Strict):
    condition: Condition
    scope: Scope = Field(default_factory=Scope)
    dwell: Duration = None
    cooldown: Duration = None
    repeat: Duration = Field(default=None, description="remind this often while firing")
    notify: list[Target] = Field(default_factory=list)
    playbook: Name | None = Field(
        default=None, description="a playbook to open as a recovery plan on firing"
    )
    enabled: bool = True


class RuleOut(RuleIn):
    name: str
    created_at: datetime
    updated_at: datetime


class AlertEventOut(BaseModel):
    at: datetime
    old_state: str
    new_state: str
    reason: str
    score: float | None
    grade: str
    by: str


class AlertOut(BaseModel):
    id: int
    rule: str
    account: str
    state: str
    reason: str
    opened_at: datetime
    fired_at: datetime | None
    closed_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str
    snoozed_until: datetime | None


class AlertDetail(AlertOut):
    events: list[AlertEventOut]


class AlertFilters(BaseModel):
    state: list[Literal["pending", "firing", "cleared", "dismissed"]] | None = None
    account: str | None = None
    rule: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class SnoozeIn(Strict):
    until: AwareDatetime


def _seconds(text: str | None) -> int | None:
    return int(parse_duration(text).total_seconds()) if text else None


def _text(seconds: int | None) -> str | None:
    return format_duration(timedelta(seconds=seconds)) if seconds else None


def rule_out(rule: AlertRule) -> RuleOut:
    return RuleOut.model_validate(
        {
            "name": rule.name,
            "condition": {"kind": rule.kind, **rule.params},
            "scope": rule.scope,
            "dwell": _text(rule.dwell_seconds),
            "cooldown": _text(rule.cooldown_seconds),
            "repeat": _text(rule.repeat_seconds),
            "notify": rule.notify,
            "playbook": rule.playbook.name if rule.playbook else None,
            "enabled": rule.enabled,
            "created_at": rule.created_at,
            "updated_at": rule.updated_at,
        }
    )


def _who(request: HttpRequest) -> str:
    token = getattr(request, "auth", None)
    return f"token {token.name}" if isinstance(token, ApiToken) else "unknown"


@router.put(
    "/alert-rules/{name}",
    response={200: RuleOut, 201: RuleOut},
    summary="Create or replace an alert rule",
)
def put_rule(request: HttpRequest, name: Name, body: RuleIn) -> Status[RuleOut]:
    """The rule is evaluated on every account at once (in the background), then
    whenever an account's score changes and as time passes."""
    rule, created = save_rule(name, body, now=timezone.now())
    return Status(201 if created else 200, rule_out(rule))


def save_rule(name: str, body: RuleIn, *, now: datetime) -> tuple[AlertRule, bool]:
    """Create or replace the rule ``name``, and have every account evaluated
    against it in the background; InvalidInput for an unknown playbook."""
    playbook = None
    if body.playbook is not None:
        playbook = Playbook.objects.filter(name=body.playbook).first()
        if playbook is None:
            raise InvalidInput("playbook", f"no playbook named {body.playbook!r}")
    condition = body.condition.model_dump(exclude_none=True)
    kind = condition.pop("kind")
    fields: dict[str, Any] = {
        "kind": kind,
        "params": condition,
        "scope": body.scope.model_dump(exclude_none=True),
        "dwell_seconds": _seconds(body.dwell) or 0,
        "cooldown_seconds": _seconds(body.cooldown) or 0,
        "repeat_seconds": _seconds(body.repeat),
        "notify": [target.model_dump(exclude_none=True) for target in body.notify],
        "playbook": playbook,
        "enabled": body.enabled,
        "updated_at": now,
    }
    with transaction.atomic():
        earlier = AlertRule.objects.filter(name=name).select_related("playbook").first()
        rule, created = AlertRule.objects.update_or_create(
            name=name, defaults=fields, create_defaults={**fields, "created_at": now}
        )
        record(
            "rule.created" if created else "rule.changed",
            target=f"rule:{name}",
            before=_rule_state(earlier),
            after=_rule_state(rule),
            at=now,
        )
    evaluate_rules_now.enqueue()
    logger.info("alert rule %s %s", name, "created" if created else "changed")
    return rule, created


def _rule_state(rule: AlertRule | None) -> dict[str, Any] | None:
    return None if rule is None else rule_out(rule).model_dump(mode="json")


def remove_rule(rule: AlertRule) -> None:
    """Delete a rule and its alerts."""
    with transaction.atomic():
        record("rule.deleted", target=f"rule:{rule.name}", before=_rule_state(rule))
        rule.delete()
    logger.info("alert rule %s deleted", rule.name)


@router.get("/alert-rules", response=list[RuleOut], summary="Every alert rule")
def list_rules(request: HttpRequest) -> list[RuleOut]:
    return [rule_out(r) for r in AlertRule.objects.select_related("playbook")]


@router.get("/alert-rules/{name}", response=RuleOut, summary="One alert rule")
def get_rule(request: HttpRequest, name: str) -> RuleOut:
    return rule_out(_rule_or_404(name))


@router.delete("/alert-rules/{name}", response={204: None}, summary="Delete a rule")
def delete_rule(request: HttpRequest, name: str) -> Status[None]:
    """Its alerts go with it."""
    remove_rule(_rule_or_404(name))
    return Status(204, None)


def _rule_or_404(name: str) -> AlertRule:
    rule = AlertRule.objects.filter(name=name).first()
    if rule is None:
        raise Http404(f"no alert rule {name!r}")
    return rule


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.pk,
        rule=alert.rule.name,
        account=alert.account.key,
        state=alert.state,
        reason=alert.reason,
        opened_at=alert.opened_at,
        fired_at=alert.fired_at,
        closed_at=alert.closed_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        snoozed_until=alert.snoozed_until,
    )


@router.get("/alerts", response=list[AlertOut], summary="Alerts, newest first")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> list[AlertOut]:
    alerts = Alert.objects.select_related("rule", "account")
    if filters.state:
        alerts = alerts.filter(state__in=filters.state)
    if filters.account:
        alerts = alerts.filter(account__key=filters.account)
    if filters.rule:
        alerts = alerts.filter(rule__name=filters.rule)
    return [alert_out(alert) for alert in alerts[: filters.limit]]


@router.get("/alerts/{alert_id}", response=AlertDetail, summary="One alert")
def get_alert(request: HttpRequest, alert_id: int) -> AlertDetail:
    """With every change of its state, oldest first."""
    alert = _alert_or_404(alert_id)
    events = [
        AlertEventOut(
            at=event.at,
            old_state=event.old_state,
            new_state=event.new_state,
            reason=event.reason,
            score=event.total,
            grade=event.grade,
            by=event.by,
        )
        for event in alert.events.all()
    ]
    return AlertDetail(**alert_out(alert).model_dump(), events=events)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response=AlertOut,
    summary="Acknowledge an alert: no more reminders",
)
def post_acknowledge(request: HttpRequest, alert_id: int) -> AlertOut:
    alert = _alert_or_404(alert_id)
    acknowledge(alert=alert, by=_who(request), now=timezone.now())
    return alert_out(alert)


@router.post(
    "/alerts/{alert_id}/snooze",
    response=AlertOut,
    summary="Snooze an alert's reminders until a time",
)
def post_snooze(request: HttpRequest, alert_id: int, body: SnoozeIn) -> AlertOut:
    now = timezone.now()
    if body.until <= now:
        raise InvalidInput("until", "must be in the future")
    alert = _alert_or_404(alert_id)
    snooze(alert=alert, until=body.until, by=_who(request), now=now)
    return alert_out(alert)


def _alert_or_404(alert_id: int) -> Alert:
    alert = Alert.objects.select_related("rule", "account").filter(pk=alert_id).first()
    if alert is None:
        raise Http404(f"no alert {alert_id}")
    return alert


class StepIn(Strict):
    title: Text
    description: Annotated[str, Field(max_length=4000)] = ""
    assignee: Annotated[
        str, Field(pattern=r"^(csm|manager|user:.+)$", max_length=200)
    ] = Field(
        default="csm",
        description="csm (the account's CSM), manager (their team's manager), "
        "or user:<username>",
    )
    due_days: int = Field(default=7, ge=0, le=365)


class PlaybookIn(Strict):
    description: Annotated[str, Field(max_length=4000)] = ""
    steps: Annotated[list[StepIn], Field(min_length=1, max_length=50)]


class Outcomes(BaseModel):
    opened: int = 0
    open: int = 0
    recovered: int = 0
    closed: int = 0


class PlaybookOut(PlaybookIn):
    name: str
    outcomes: Outcomes = Field(description="the plans it opened, and how they ended")


class TaskOut(BaseModel):
    position: int
    title: str
    description: str
    owner: str
    due_at: datetime
    done_at: datetime | None
    done_by: str


class PlanOut(BaseModel):
    id: int
    account: str
    playbook: str
    alert: int | None
    status: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    score_at_open: float | None
    score_at_close: float | None
    tasks: list[TaskOut]


class PlanIn(Strict):
    playbook: Name


class PlanFilters(BaseModel):
    status: list[Literal["open", "recovered", "closed"]] | None = None
    account: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)


def playbook_out(
    playbook: Playbook, outcomes: dict[int, dict[str, Any]]
) -> PlaybookOut:
    return PlaybookOut(
        name=playbook.name,
        description=playbook.description,
        steps=playbook.steps,
        outcomes=Outcomes(**outcomes.get(playbook.pk, {})),
    )


@router.put(
    "/playbooks/{name}",
    response={200: PlaybookOut, 201: PlaybookOut},
    summary="Create or replace a playbook",
)
def put_playbook(
    request: HttpRequest, name: Name, body: PlaybookIn
) -> Status[PlaybookOut]:
    """Plans already open keep the steps they were opened with."""
    playbook, created = save_playbook(name, body, now=timezone.now())
    return Status(201 if created else 200, playbook_out(playbook, playbook_outcomes()))


def save_playbook(
    name: str, body: PlaybookIn, *, now: datetime
) -> tuple[Playbook, bool]:
    fields = {
        "description": body.description,
        "steps": [step.model_dump() for step in body.steps],
        "updated_at": now,
    }
    with transaction.atomic():
        earlier = Playbook.objects.filter(name=name).first()
        playbook, created = Playbook.objects.update_or_create(
            name=name, defaults=fields, create_defaults={**fields, "created_at": now}
        )
        record(
            "playbook.created" if created else "playbook.changed",
            target=f"playbook:{name}",
            before=_playbook_state(earlier),
            after=_playbook_state(playbook),
            at=now,
        )
    logger.info("playbook %s %s", name, "created" if created else "changed")
    return playbook, created


def _playbook_state(playbook: Playbook | None) -> dict[str, Any] | None:
    if playbook is None:
        return None
    return {"description": playbook.description, "steps": playbook.steps}


@router.get("/playbooks", response=list[PlaybookOut], summary="Every playbook")
def list_playbooks(request: HttpRequest) -> list[PlaybookOut]:
    outcomes = playbook_outcomes()
    return [playbook_out(playbook, outcomes) for playbook in Playbook.objects.all()]


def plan_out(plan: RecoveryPlan) -> PlanOut:
    return PlanOut(
        id=plan.pk,
        account=plan.account.key,
        playbook=plan.playbook.name,
        alert=plan.alert_id,
        status=plan.status,
        opened_by=plan.opened_by,
        opened_at=plan.opened_at,
        closed_at=plan.closed_at,
        score_at_open=plan.score_at_open,
        score_at_close=plan.score_at_close,
        tasks=[
            TaskOut(
                position=task.position,
                title=task.title,
                description=task.description,
                owner=task.owner,
                due_at=task.due_at,
                done_at=task.done_at,
                done_by=task.done_by,
            )
            for task in plan.tasks.all()
        ],
    )


@router.post(
    "/accounts/{key}/plans",
    response={201: PlanOut},
    summary="Open a recovery plan on an account by hand",
)
def post_plan(request: HttpRequest, key: str, body: PlanIn) -> Status[PlanOut]:
    account = account_or_404(key)
    playbook = Playbook.objects.filter(name=body.playbook).first()
    if playbook is None:
        raise InvalidInput("playbook", f"no playbook named {body.playbook!r}")
    plan = open_plan(
        account=account, playbook=playbook, opened_by=_who(request), now=timezone.now()
    )
    return Status(201, plan_out(plan))


@router.get("/plans", response=list[PlanOut], summary="Recovery plans, newest first")
def list_plans(request: HttpRequest, filters: Query[PlanFilters]) -> list[PlanOut]:
    plans = RecoveryPlan.objects.select_related("account", "playbook").prefetch_related(
        "tasks"
    )
    if filters.status:
        plans = plans.filter(status__in=filters.status)
    if filters.account:
        plans = plans.filter(account__key=filters.account)
    return [plan_out(plan) for plan in plans[: filters.limit]]


@router.get("/plans/{plan_id}", response=PlanOut, summary="One recovery plan")
def get_plan(request: HttpRequest, plan_id: int) -> PlanOut:
    return plan_out(_plan_or_404(plan_id))


@router.post("/plans/{plan_id}/close", response=PlanOut, summary="Close a plan")
def post_close(request: HttpRequest, plan_id: int) -> PlanOut:
    plan = close_plan(plan=_plan_or_404(plan_id), by=_who(request), now=timezone.now())
    return plan_out(plan)


@router.post(
    "/plans/{plan_id}/tasks/{position}/done",
    response=PlanOut,
    summary="Mark a task of a plan done",
)
def post_task_done(request: HttpRequest, plan_id: int, position: int) -> PlanOut:
    plan = _plan_or_404(plan_id)
    task = plan.tasks.filter(position=position).first()
    if task is None:
        raise Http404(f"plan {plan_id} has no task {position}")
    complete_task(task=task, by=_who(request), now=timezone.now())
    return plan_out(plan)


def _plan_or_404(plan_id: int) -> RecoveryPlan:
    plan = (
        RecoveryPlan.objects.select_related("account", "playbook")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise Http404(f"no recovery plan {plan_id}")
    return plan
