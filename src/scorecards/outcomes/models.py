"""What became of an account at a renewal: renewed, churned, downgraded, expanded."""

from django.db import models

from scorecards.accounts.models import Account


class OutcomeKind(models.TextChoices):
    RENEWAL = "renewal"
    CHURN = "churn"
    DOWNGRADE = "downgrade"
    EXPANSION = "expansion"


class Outcome(models.Model):
    """One outcome, stored once per (source, external id).

    An outcome sent without an id gets one made from its account and time, so a
    retried import or sync, or the same row sent again with its kind corrected,
    updates the one outcome instead of counting it twice.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="outcomes"
    )
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    decided_at = models.DateTimeField()
    source = models.CharField(max_length=100)
    external_id = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [
            models.Index(fields=["account", "decided_at"], name="outcome_account_at")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="one_outcome_per_source_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account.key} {self.kind} {self.decided_at:%Y-%m-%d}"
