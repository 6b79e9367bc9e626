"""Storing signals: all or nothing, once per (source, id), scored before returning."""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from scorecards.accounts.models import Account, Contact
from scorecards.ingest.models import Signal
from scorecards.scoring.rescore import rescore

logger = logging.getLogger(__name__)

MAX_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class IncomingSignal:
    account: str
    metric: str
    value: float
    observed_at: datetime
    contact: str | None = None
    source: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemError:
    """A problem with item ``index`` of a batch, in ``field``."""

    index: int
    field: str
    message: str


class RejectedBatch(Exception):
    def __init__(self, errors: Sequence[ItemError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} problems in the batch")


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    duplicates: int
    rescored: int


def derived_id(item: IncomingSignal) -> str:
    """A stable id for a signal sent without one, so that a retry is recognised.

    Two signals alike in account, metric, value, time and contact are the same
    observation, and counting it once is what a retry needs.
    """
    content = "\x1f".join(
        [
            item.account,
            item.metric,
            repr(float(item.value)),
            item.observed_at.isoformat(),
            item.contact or "",
        ]
    )
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def ingest_signals(
    items: Sequence[IncomingSignal], *, now: datetime, default_source: str = "api"
) -> IngestResult:
    """Store a batch of signals and re-score the accounts they touch.

    1. Resolve every account and contact; any unknown one refuses the batch.
    2. Lock the touched accounts (in key order, so two batches cannot deadlock)
       so concurrent batches for one account score one after the other.
    3. Skip signals whose (source, id) is already stored or repeated in the
       batch; store the rest.
    4. Re-score the accounts that received something, in the same transaction.
    """
    if len(items) > MAX_BATCH:
        message = f"at most {MAX_BATCH} signals per batch, got {len(items)}"
        raise RejectedBatch([ItemError(-1, "signals", message)])

    accounts, contacts = _resolve(items)

    with transaction.atomic():
        ids = sorted({accounts[item.account].pk for item in items})
        list(Account.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        rows, duplicates = _new_rows(items, accounts, contacts, now, default_source)
        Signal.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        touched = {row.account_id for row in rows}
        if touched:
            rescore(Account.objects.filter(pk__in=touched), now=now)

    return IngestResult(len(rows), duplicates, len(touched))


def _resolve(
    items: Sequence[IncomingSignal],
) -> tuple[dict[str, Account], dict[tuple[int, str], int]]:
    keys = {item.account for item in items}
    accounts = {a.key: a for a in Account.objects.filter(key__in=keys)}
    wanted = {(item.account, item.contact) for item in items if item.contact}
    contacts = {
        (account_id, key): pk
        for account_id, key, pk in Contact.objects.filter(
            account__key__in={account for account, _ in wanted},
            key__in={contact for _, contact in wanted},
        ).values_list("account_id", "key", "pk")
    }

    errors = []
    for index, item in enumerate(items):
        account = accounts.get(item.account)
        if account is None:
            errors.append(
                ItemError(index, "account", f"unknown account {item.account!r}")
            )
        elif item.contact and (account.pk, item.contact) not in contacts:
            message = f"unknown contact {item.contact!r} of account {item.account!r}"
            errors.append(ItemError(index, "contact", message))
    if errors:
        raise RejectedBatch(errors)
    return accounts, contacts


def _new_rows(
    items: Sequence[IncomingSignal],
    accounts: dict[str, Account],
    contacts: dict[tuple[int, str], int],
    now: datetime,
    default_source: str,
) -> tuple[list[Signal], int]:
    keyed = [
        (item, item.source or default_source, item.id or derived_id(item))
        for item in items
    ]
    stored = _stored_pairs({(source, ident) for _, source, ident in keyed})

    rows, seen = [], set(stored)
    for item, source, ident in keyed:
        if (source, ident) in seen:
            continue
        seen.add((source, ident))
        account = accounts[item.account]
        rows.append(
            Signal(
                account_id=account.pk,
                contact_id=contacts[(account.pk, item.contact)]
                if item.contact
                else None,
                metric=item.metric,
                value=float(item.value),
                observed_at=item.observed_at,
                received_at=now,
                source=source,
                external_id=ident,
            )
        )
    return rows, len(items) - len(rows)


def _stored_pairs(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    by_source: dict[str, list[str]] = {}
    for source, ident in pairs:
        by_source.setdefault(source, []).append(ident)

    stored: set[tuple[str, str]] = set()
    for source, idents in by_source.items():
        for start in range(0, len(idents), 2000):
            found = Signal.objects.filter(
                source=source, external_id__in=idents[start : start + 2000]
            ).values_list("external_id", flat=True)
            stored.update((source, ident) for ident in found)
    return stored
