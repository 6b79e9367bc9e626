"""Stored scorecards (immutable numbered versions) and scores (current and past)."""

from django.db import models

from scorecards.accounts.models import Account


class Scorecard(models.Model):
    key = models.CharField(max_length=100, unique=True)
    current = models.ForeignKey(
        "ScorecardVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class ScorecardVersion(models.Model):
    """A published version, never changed afterwards: old scores keep their meaning."""

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    source = models.TextField(help_text="the file as it was given")
    format = models.CharField(max_length=10)
    definition = models.JSONField(help_text="the file, decoded")
    published_at = models.DateTimeField()
    published_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["scorecard", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "number"], name="scorecard_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scorecard.key} v{self.number}"


class Status(models.TextChoices):
    SCORED = "scored"
    INSUFFICIENT_DATA = "insufficient_data"
    UNSCORED = "unscored"


class AccountScore(models.Model):
    """The account's score as of its last change, with the breakdown behind it."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, null=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    total = models.FloatField(null=True)
    grade = models.CharField(max_length=100, blank=True)
    coverage = models.FloatField(default=0.0)
    criteria = models.JSONField(default=list)
    overridden = models.BooleanField(default=False)  # the total was set by hand
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The portfolio's default order: worst first; those without a total
            # by status (insufficient data, then no scorecard), ties by account.
            models.Index(
                fields=["total", "status", "account"], name="score_portfolio_order"
            ),
            models.Index(fields=["grade"], name="score_grade"),
            models.Index(fields=["status"], name="score_status"),
        ]


class PointKind(models.TextChoices):
    CHANGE = "change"
    DAILY = "daily"


class ScorePoint(models.Model):
    """A point of an account's history: at every change, and at the end of each day."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="score_points"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=PointKind.choices)
    version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, null=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    total = models.FloatField(null=True)
    grade = models.CharField(max_length=100, blank=True)
    coverage = models.FloatField(default=0.0)

    class Meta:
        ordering = ["account", "at"]
        indexes = [models.Index(fields=["account", "at"], name="point_account_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "at"],
                condition=models.Q(kind="daily"),
                name="one_daily_point_per_account_day",
            )
        ]


class ScheduledRun(models.Model):
    """One run of a scheduled job, claimed by the first worker to insert this row.

    Every worker keeps the schedule; the unique (job, day) pair is what makes the
    run happen once across all of them, on every machine.
    """

    job = models.CharField(max_length=100)
    day = models.DateField()
    claimed_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=200, help_text="the worker's id")
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-day", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "day"], name="one_run_per_job_day")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.day.isoformat()}"


class Override(models.Model):
    """A score set by hand: the total (target ``*``) or one criterion (its path),
    with the reason, who set it, what it replaced, and until when it holds.

    It is its own audit: nothing is deleted; an override that ends (at its
    expiry, by hand, or replaced by another) keeps its row with why it ended.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="overrides"
    )
    target = models.CharField(max_length=300)
    value = models.FloatField()
    reason = models.TextField()
    set_by = models.CharField(max_length=200)
    set_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    replaced = models.FloatField(null=True, help_text="the score it stood over")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=200, blank=True)
    ended_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [
            models.Index(fields=["account", "set_at"], name="override_account"),
            models.Index(fields=["ended_at", "expires_at"], name="override_expiry"),
        ]


class AccountTrend(models.Model):
    """An account's trends (SCORING.md), kept for the portfolio to filter on.

    The anchors (the score as of 30, 60 and 90 days ago) and the slopes move
    with the days, so the daily job computes them; the deltas and the
    direction follow every score change, from the anchors.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="trend"
    )
    anchor_30 = models.FloatField(null=True)
    anchor_60 = models.FloatField(null=True)
    anchor_90 = models.FloatField(null=True)
    slope_30 = models.FloatField(null=True)
    slope_60 = models.FloatField(null=True)
    slope_90 = models.FloatField(null=True)
    delta_30 = models.FloatField(null=True)
    delta_60 = models.FloatField(null=True)
    delta_90 = models.FloatField(null=True)
    direction = models.CharField(max_length=20, blank=True, db_index=True)
    # The daily totals of the last 90 days, oldest first, for the portfolio's
    # sparkline: they change once a day, so they are kept with the trends.
    spark = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["delta_30"], name="trend_delta_30")]


def stored_score(account: Account) -> AccountScore | None:
    """The account's current score, or None before it was first scored."""
    try:
        return account.score
    except AccountScore.DoesNotExist:
        return None
