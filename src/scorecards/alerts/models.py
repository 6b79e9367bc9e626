"""Alert rules, the alerts they open on accounts, and every change of state."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from scorecards.accounts.models import Account
from scorecards.alerts.machine import AlertState


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold"
    GRADE = "grade"
    DROP = "drop"
    CRITERION = "criterion"
    STALE = "stale"


class AlertRule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    # What the kind needs (trigger and clear levels, grades, a criterion...),
    # checked by the API before it is stored; see alerts/conditions.py.
    params = models.JSONField(default=dict)
    # Which accounts: scorecards, segments, tiers (lists; empty is all) and a
    # minimum ARR.
    scope = models.JSONField(default=dict, blank=True)
    dwell_seconds = models.PositiveIntegerField(default=0)
    cooldown_seconds = models.PositiveIntegerField(default=0)
    repeat_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Where its notifications go: webhooks, Slack-compatible webhooks, email
    # addresses (or the account's CSM); secrets are named, never stored.
    notify = models.JSONField(default=list, blank=True)
    # A playbook to open as a recovery plan when an alert of the rule fires.
    playbook = models.ForeignKey(
        "Playbook", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One alert of a rule on an account, from the moment its condition held."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="alerts"
    )
    state = models.CharField(
        max_length=20, choices=[(state.value, state.value) for state in AlertState]
    )
    reason = models.CharField(max_length=300)
    opened_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=200, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # At most one open alert of a rule on an account: a second worker
            # evaluating at the same moment fails to open another.
            models.UniqueConstraint(
                fields=["rule", "account"],
                condition=Q(
                    state__in=[AlertState.PENDING.value, AlertState.FIRING.value]
                ),
                name="one_open_alert_per_rule_account",
            )
        ]
        indexes = [models.Index(fields=["state", "account"], name="alert_open")]

    @property
    def is_open(self) -> bool:
        return self.state in (AlertState.PENDING, AlertState.FIRING)


class AlertEvent(models.Model):
    """A change of an alert's state, with why and the score that caused it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    old_state = models.CharField(max_length=20)
    new_state = models.CharField(max_length=20)
    reason = models.CharField(max_length=300)
    total = models.FloatField(null=True)
    grade = models.CharField(max_length=100, blank=True)
    by = models.CharField(max_length=200, blank=True)  # a person, for ack/snooze
    notify = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # waiting for its first try, or for a retry
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    FAILED = "failed"  # gave up after every retry


class Notification(models.Model):
    """One message about one change of an alert, to one place.

    Made in the transaction that stored the change, so it exists exactly when
    the change does; a worker claims it with a conditional update, so two
    workers never send it twice.
    """

    event = models.ForeignKey(
        AlertEvent, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=20)  # webhook, slack, email
    target = models.CharField(max_length=500)  # a URL or an address
    secret = models.JSONField(null=True, blank=True)  # {env: NAME} or {file: PATH}
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "target"], name="one_message_per_target"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due")
        ]


class Playbook(models.Model):
    """A template of recovery steps: each a title, a description, who does it
    (``csm``, or ``user:<username>``) and how many days after opening it is due."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    steps = models.JSONField(default=list)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlanStatus(models.TextChoices):
    OPEN = "open"
    RECOVERED = "recovered"  # its alert cleared
    CLOSED = "closed"  # closed by hand


class RecoveryPlan(models.Model):
    """A playbook opened on an account: by an alert firing, or by hand."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="recovery_plans"
    )
    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="+")
    alert = models.OneToOneField(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan"
    )
    status = models.CharField(
        max_length=20, choices=PlanStatus.choices, default=PlanStatus.OPEN
    )
    opened_by = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # What came of it, for a manager weighing which playbooks work: the score
    # when it opened and when it closed.
    score_at_open = models.FloatField(null=True)
    score_at_close = models.FloatField(null=True)

    class Meta:
        ordering = ["-opened_at", "-id"]


class PlanTask(models.Model):
    plan = models.ForeignKey(
        RecoveryPlan, on_delete=models.CASCADE, related_name="tasks"
    )
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.CharField(max_length=200, blank=True)  # a username or an address
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=200, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "position"]
        indexes = [models.Index(fields=["done_at", "due_at"], name="task_due")]


class InboxItem(models.Model):
    """An alert change in a user's in-app inbox; made with the change itself,
    so it exists exactly once per user and change."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox"
    )
    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"], name="one_inbox_item_per_user_event"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_unread")]
