"""Creating and updating accounts and contacts by their keys, in batches."""

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from scorecards.accounts.models import Account, Contact
from scorecards.ingest.service import ItemError, RejectedBatch
from scorecards.scoring.models import AccountTrend
from scorecards.scoring.rescore import rescore

logger = logging.getLogger(__name__)

ACCOUNT_FIELDS = ("name", "segment", "tier", "csm", "arr", "renewal_date", "attributes")
CONTACT_FIELDS = ("role", "name", "email")


def once_more_on_conflict[T](work: Callable[[], T]) -> T:
    """Run ``work``, and once more if a concurrent request created a key first.

    A new key has no row to lock, so two requests creating it at once both
    try to insert; the second fails, and on the retry finds the row and
    updates it instead.
    """
    try:
        return work()
    except IntegrityError:
        logger.info("a concurrent request created the same key; retrying once")
        return work()


def upsert_accounts(
    items: Sequence[Mapping[str, Any]], *, now: datetime
) -> dict[str, int]:
    """Create or update accounts by ``key``; fields left out keep their value.

    Each item is a mapping with ``key`` and any of ACCOUNT_FIELDS. Touched
    accounts are re-scored: a new segment can mean a new scorecard.
    """
    return once_more_on_conflict(lambda: _upsert_accounts(items, now))


def _upsert_accounts(
    items: Sequence[Mapping[str, Any]], now: datetime
) -> dict[str, int]:
    keys = [item["key"] for item in items]
    with transaction.atomic():
        existing = {
            a.key: a
            for a in Account.objects.select_for_update()
            .filter(key__in=keys)
            .order_by("pk")
        }
        created, updated, seen = [], [], set()
        for item in items:
            account = existing.get(item["key"])
            if account is None:
                account = Account(key=item["key"])
                existing[account.key] = account
                created.append(account)
            elif account.key not in seen:
                account.updated_at = now  # bulk_update does not apply auto_now
                updated.append(account)
            seen.add(account.key)
            for field in ACCOUNT_FIELDS:
                if field in item:
                    setattr(account, field, item[field])

        Account.objects.bulk_create(created)
        # Every account has a trend row from its first upsert on, as it has a
        # score row: the portfolio joins both as inner joins.
        AccountTrend.objects.bulk_create(
            [AccountTrend(account=account, computed_at=now) for account in created],
            ignore_conflicts=True,
        )
        Account.objects.bulk_update(updated, [*ACCOUNT_FIELDS, "updated_at"])
        rescore(Account.objects.filter(key__in=keys), now=now)

    if created:
        logger.info("accounts: %d created, %d updated", len(created), len(updated))
    return {"created": len(created), "updated": len(updated)}


def upsert_contacts(
    items: Sequence[Mapping[str, Any]], *, now: datetime
) -> dict[str, int]:
    """Create or update contacts by (``account``, ``key``).

    An unknown account refuses the whole batch. Accounts whose contacts changed
    are re-scored, since a role weighs stakeholder answers.
    """
    return once_more_on_conflict(lambda: _upsert_contacts(items, now))


def _upsert_contacts(
    items: Sequence[Mapping[str, Any]], now: datetime
) -> dict[str, int]:
    account_keys = {item["account"] for item in items}
    accounts = {a.key: a for a in Account.objects.filter(key__in=account_keys)}
    errors = [
        ItemError(i, "account", f"unknown account {item['account']!r}")
        for i, item in enumerate(items)
        if item["account"] not in accounts
    ]
    if errors:
        raise RejectedBatch(errors)

    with transaction.atomic():
        # Lock the accounts first, in id order as ingest does, so a batch of
        # signals scoring meanwhile cannot interleave with the roles changing.
        ids = sorted(account.pk for account in accounts.values())
        locked = Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        list(locked.values_list("pk"))

        existing = {
            (c.account_id, c.key): c
            for c in Contact.objects.select_for_update().filter(
                account__in=accounts.values(), key__in={item["key"] for item in items}
            )
        }
        created, updated, seen = [], [], set()
        for item in items:
            account = accounts[item["account"]]
            contact = existing.get((account.pk, item["key"]))
            if contact is None:
                contact = Contact(account=account, key=item["key"])
                existing[(account.pk, contact.key)] = contact
                created.append(contact)
            elif (account.pk, contact.key) not in seen:
                contact.updated_at = now  # bulk_update does not apply auto_now
                updated.append(contact)
            seen.add((account.pk, contact.key))
            for field in CONTACT_FIELDS:
                if field in item:
                    setattr(contact, field, item[field] or "")

        Contact.objects.bulk_create(created)
        Contact.objects.bulk_update(updated, [*CONTACT_FIELDS, "updated_at"])
        rescore(Account.objects.filter(key__in=account_keys), now=now)

    return {"created": len(created), "updated": len(updated)}
