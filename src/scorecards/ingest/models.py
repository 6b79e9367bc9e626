"""A signal: one numeric observation about an account, stored once."""

from django.db import models

from scorecards.accounts.models import Account, Contact


class Signal(models.Model):
    """Receipt order is the primary key's order: on a tie of ``observed_at``, the
    signal received last is the latest."""

    # Neither key gets an index of its own: ``signal_series`` starts with the
    # account, and most signals have no contact. Each index is paid for on
    # every insert, the busiest write of the service.
    #
    # Nor does the account get a constraint in the database: checking it row
    # by row at commit cost a third of storing a batch. ``insert_signals``
    # checks it per account instead, under a lock that keeps the accounts
    # from being deleted until the signals are committed; deleting an account
    # locks it first and deletes its signals with it.
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="signals",
        db_index=False,
        db_constraint=False,
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signals",
        db_index=False,
    )
    metric = models.CharField(max_length=200)
    value = models.FloatField()
    observed_at = models.DateTimeField()
    received_at = models.DateTimeField()
    source = models.CharField(max_length=100)
    external_id = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="signal_once_per_source_id"
            )
        ]
        indexes = [
            # An account's series of a metric in time and receipt order,
            # read from the index alone (PostgreSQL keeps the value and the
            # contact in it; SQLite, without INCLUDE, reads the rows): what
            # re-scoring reads, and a preview for a changed criterion.
            models.Index(
                fields=["account", "metric", "observed_at", "id"],
                include=["value", "contact"],
                name="signal_series",
            ),
            models.Index(
                fields=["contact"],
                name="signal_contact",
                condition=models.Q(contact__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.metric}={self.value} @ {self.observed_at}"
