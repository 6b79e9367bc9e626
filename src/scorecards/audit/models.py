"""One audit entry: an action, by whom, on what, with the state before and after."""

from typing import Any

from django.db import models

from scorecards.audit.actors import LABELS

ACTOR_KINDS = [(kind.value, label) for kind, label in LABELS.items()]


class ReadOnlyEntry(Exception):
    """Raised when code tries to change or delete an entry already written."""


class AuditEntry(models.Model):
    at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=10, choices=ACTOR_KINDS)
    actor = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    # What was acted on, as "kind:key": "scorecard:b2b-default", "account:acme".
    target = models.CharField(max_length=300, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # Counts and the like that are neither a before nor an after.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor_kind", "actor"], name="audit_actor")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_kind} {self.actor} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ReadOnlyEntry("an audit entry cannot be changed once written")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ReadOnlyEntry("an audit entry cannot be deleted")
