"""A customer account, and its contacts: the people whose voices the score weighs."""

from typing import Any

from django.db import models


class Account(models.Model):
    key = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=300, blank=True)
    segment = models.CharField(max_length=100, blank=True)
    tier = models.CharField(max_length=100, blank=True)
    csm = models.CharField(max_length=200, blank=True)
    arr = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        # The portfolio's filters and sorts, each with the key as the tie-break
        # (scoring's migration 0007 adds the descending ones PostgreSQL needs).
        indexes = [
            models.Index(fields=["segment", "key"], name="account_segment"),
            models.Index(fields=["csm", "key"], name="account_csm"),
            models.Index(fields=["arr", "key"], name="account_arr"),
            models.Index(fields=["renewal_date", "key"], name="account_renewal"),
            models.Index(fields=["name", "key"], name="account_name"),
        ]

    def __str__(self) -> str:
        return self.key

    def scoring_attributes(self) -> dict[str, str]:
        """What a scorecard's ``applies_to`` matches: lower-case names, text values."""
        found: dict[str, Any] = {
            str(name).lower(): value for name, value in self.attributes.items()
        }
        for name in ("segment", "tier", "csm", "name"):
            value = getattr(self, name)
            if value:
                found[name] = value
        return {name: str(value) for name, value in found.items() if value is not None}


class Contact(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contacts"
    )
    key = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=300, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"], name="contact_key_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account.key}/{self.key}"
