"""A record of every import: what was asked, by whom, and what it did."""

from django.db import models


class ImportStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"  # bad rows and no --skip-bad: nothing was written
    FAILED = "failed"  # stopped by an error; see ``error``


class ImportRun(models.Model):
    kind = models.CharField(max_length=20)
    file_name = models.CharField(max_length=300)
    # Where an uploaded file waits for the worker; removed once imported.
    stored_file = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=False)
    skip_bad = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    requested_by = models.CharField(max_length=200)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    rejects_file = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved on every few seconds while the import runs: a run silent for long
    # lost its process (see ``runs.mark_interrupted``).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.kind} from {self.file_name}"
