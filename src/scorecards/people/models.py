"""Roles and teams.

A user's role says what they may change; everyone signed in may read. A team
groups CSMs under a manager, who may change everything their CSMs may and set
overrides on those accounts. A CSM is tied to accounts by name: an account's
``csm`` is the CSM's username or email address.
"""

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    CSM = "csm", "CSM"
    VIEWER = "viewer", "Viewer"


class Member(models.Model):
    """A user's role; a user without one is a viewer (a superuser, an admin)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="member",
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A portfolio filter a user keeps under a name: the page's query string."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="views"
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="view_name_per_user")
        ]

    def __str__(self) -> str:
        return self.name
