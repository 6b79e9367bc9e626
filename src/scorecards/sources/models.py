"""Where data comes from: a named source, its key, its settings, what it sent.

A source's name is the ``source`` of every signal it brings. Its key (a
Segment write key, the secret part of a webhook's address) is shown once and
stored only as a hash, as API tokens are.
"""

from django.db import models


class SourceKind(models.TextChoices):
    SEGMENT = "segment"
    DELIGHTED = "delighted"
    TYPEFORM = "typeform"
    SALESFORCE = "salesforce"


class Source(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    key_prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    # A secret the other side signs with (Typeform's); needed in the clear to
    # check signatures, so it is never shown back.
    signing_secret = models.CharField(max_length=200, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    # What a source that is fetched from remembers between runs (how far a
    # sync got), and when the schedule next runs it.
    state = models.JSONField(default=dict, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.kind} source {self.name}"


class SyncStatus(models.TextChoices):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SyncRun(models.Model):
    """One run of a connector that fetches (Salesforce): what it did, or why not."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="syncs")
    status = models.CharField(max_length=20, choices=SyncStatus.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]


class ProductEvent(models.Model):
    """One Segment-style call, kept so that daily metrics can be computed again
    as late events and late ``group`` calls arrive."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="events")
    message_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)  # track, page, screen
    event = models.CharField(max_length=200, blank=True)
    user_id = models.CharField(max_length=200, blank=True)
    anonymous_id = models.CharField(max_length=200, blank=True)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE
    )
    properties = models.JSONField(default=dict, blank=True)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "message_id"], name="event_once_per_message"
            )
        ]
        indexes = [
            models.Index(fields=["account", "timestamp"], name="event_account_time"),
            models.Index(fields=["source", "user_id"], name="event_user"),
        ]


class Membership(models.Model):
    """A product user belongs to an account, as a ``group`` call said."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE)
    user_id = models.CharField(max_length=200)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "user_id"], name="one_account_per_user"
            )
        ]
