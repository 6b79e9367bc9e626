"""Surveys we send ourselves: forms with versioned questions, campaigns that ask
contacts by email, each contact's personal invitation, and the answers."""

from django.db import models

from scorecards.accounts.models import Account, Contact


class FormKind(models.TextChoices):
    NPS = "nps"  # one 0-10 question and a comment
    STAKEHOLDER = "stakeholder"  # weighted 1-5 questions: stakeholder_rating
    QBR = "qbr"  # a weighted 1-5 rubric: qbr_score


class SurveyForm(models.Model):
    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=FormKind.choices)
    title = models.CharField(max_length=200)
    # The version new campaigns use; earlier ones keep their answers' meaning.
    current = models.ForeignKey(
        "FormVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class FormVersion(models.Model):
    """The questions of a form as they were: [{key, text, weight}]."""

    form = models.ForeignKey(
        SurveyForm, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    questions = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["form", "number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="one_form_number")
        ]


class CampaignStatus(models.TextChoices):
    OPEN = "open"
    CLOSED = "closed"


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    # Which accounts ({segments, csms, accounts}: lists; empty is all) and roles.
    audience = models.JSONField(default=dict)
    roles = models.JSONField(default=list)
    remind_after_days = models.PositiveIntegerField(default=5)
    max_reminders = models.PositiveIntegerField(default=2)
    closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]


class Invitation(models.Model):
    """One contact asked in one campaign, by a link only they were sent."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="invitations"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # The link's token is an HMAC of (id, nonce) under the secret key: the
    # worker that sends it can make it again, and only its hash is stored.
    nonce = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True, null=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"], name="one_invitation_per_contact"
            )
        ]


class Answer(models.Model):
    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="answer"
    )
    values = models.JSONField()  # {question key: number}
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class Unsubscribe(models.Model):
    """A contact who asked not to be surveyed again."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="unsubscribed"
    )
    at = models.DateTimeField()


class Qbr(models.Model):
    """A quarterly business review as a CSM recorded it, with their rating of
    the form's rubric."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="qbrs")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    held_at = models.DateTimeField()
    attendees = models.JSONField(default=list)  # contact keys
    notes = models.TextField(blank=True)
    ratings = models.JSONField()  # {item key: 1-5}
    recorded_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-held_at", "-id"]
