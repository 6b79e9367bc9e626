"""Storing signals: all or nothing, once per (source, id), scored before returning."""

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction

from scorecards.accounts.models import Account, Contact
from scorecards.engine.signals import Signal as EngineSignal
from scorecards.engine.signals import derived_id
from scorecards.ingest.models import Signal
from scorecards.lib.pgbulk import bulk_insert
from scorecards.lib.retry import retry_deadlocks
from scorecards.lib.sql import fetch, marks
from scorecards.scoring.rescore import rescore

logger = logging.getLogger(__name__)

MAX_BATCH = 10_000


# A signal as a client sends it is the engine's own Signal: keys, not ids.
IncomingSignal = EngineSignal


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


def ingest_signals(
    items: Sequence[IncomingSignal],
    *,
    now: datetime,
    default_source: str = "api",
    replace: bool = False,
) -> IngestResult:
    """Store a batch of signals and re-score the accounts they touch.

    1. Resolve every account and contact; any unknown one refuses the batch.
    2. Skip signals whose (source, id) is already stored or repeated in the
       batch; store the rest. With ``replace``, a signal whose (source, id) is
       stored replaces it instead (an answer edited at its source), and of
       repeats in the batch the last one counts.
    3. Lock the batch's accounts (in id order, so two batches cannot deadlock
       on them) so that concurrent batches for one account score one after
       the other, each seeing what the one before it committed. An account
       deleted meanwhile refuses the batch.
    4. Re-score the accounts that received something, in the same transaction.

    New signals are stored before the locks are taken, so batches for the same
    accounts store side by side and wait only for each other's re-scoring.
    Replacing signals locks first and then reads what it overwrites, so that
    two deliveries of one edited answer replace one after the other.
    """
    if len(items) > MAX_BATCH:
        message = f"at most {MAX_BATCH} signals per batch, got {len(items)}"
        raise RejectedBatch([ItemError(-1, "signals", message)])

    accounts, contacts = _resolve(items)
    if connection.in_atomic_block:  # the caller's transaction: it decides
        return _ingest(items, accounts, contacts, now, default_source, replace)
    return retry_deadlocks(
        lambda: _ingest(items, accounts, contacts, now, default_source, replace)
    )


def _ingest(
    items: Sequence[IncomingSignal],
    accounts: dict[str, int],
    contacts: dict[tuple[int, str], int],
    now: datetime,
    default_source: str,
    replace: bool,
) -> IngestResult:
    with transaction.atomic():
        if replace:
            rows = _new_rows(items[::-1], accounts, contacts, now, default_source)
            rows.reverse()
            earlier, by_pk = _stored_and_locked(rows, _lock_batch(items, accounts))
            stored, touched = _replace_signals(rows, earlier, now)
        else:
            rows = _new_rows(items, accounts, contacts, now, default_source)
            stored = insert_signals(rows)
            by_pk = _lock_batch(items, accounts)
            touched = set(stored)
        if touched:
            rescore([by_pk[pk] for pk in sorted(touched) if pk in by_pk], now=now)

    return IngestResult(len(stored), len(items) - len(stored), len(touched))


def _stored_and_locked(
    rows: Sequence["SignalRow"], by_pk: dict[int, Account]
) -> tuple[dict[tuple[str, str], Signal], dict[int, Account]]:
    """The stored signals the rows would replace, read under the locks of the
    batch's accounts (``by_pk``) and of any other account one of them is on,
    so that none moves or appears before this transaction commits."""
    tried: set[int] = set()
    while True:
        earlier = _stored_signals(rows)
        others = {signal.account_id for signal in earlier.values()} - by_pk.keys()
        if not others - tried:  # all locked, or gone for good
            return earlier, by_pk
        tried |= others
        # Another account's lock, out of id order: a deadlock this makes is
        # broken by PostgreSQL and the batch run again (retry_deadlocks).
        by_pk = {**by_pk, **_lock(others)}
        # An account deleted meanwhile took its signals with it: read again.


def _lock_batch(
    items: Sequence[IncomingSignal], accounts: dict[str, int]
) -> dict[int, Account]:
    """The batch's accounts, locked; an account deleted since the batch was
    read refuses it (the database does not check a signal's account)."""
    ids = set(accounts.values())
    by_pk = _lock(ids)
    _refuse_gone(items, accounts, ids - by_pk.keys())
    return by_pk


def _lock(ids: set[int]) -> dict[int, Account]:
    """The accounts that still exist, locked for re-scoring until commit. NO KEY
    UPDATE, on PostgreSQL, leaves their keys alone: an import holding them
    FOR KEY SHARE (``_keep``) does not have to wait."""
    locked = Account.objects.select_for_update(no_key=True).filter(pk__in=ids)
    return {account.pk: account for account in locked.order_by("pk")}


def _refuse_gone(
    items: Sequence[IncomingSignal], accounts: dict[str, int], gone: set[int]
) -> None:
    """Refuse the batch if an account it names was deleted since it was read."""
    if gone:
        raise RejectedBatch(
            [
                ItemError(index, "account", f"unknown account {item.account!r}")
                for index, item in enumerate(items)
                if accounts[item.account] in gone
            ]
        )


def _stored_signals(rows: Sequence["SignalRow"]) -> dict[tuple[str, str], Signal]:
    pairs = {(row.source, row.external_id) for row in rows}
    return {
        (signal.source, signal.external_id): signal
        for source, idents in _by_source(pairs)
        for signal in Signal.objects.filter(source=source, external_id__in=idents)
    }


_REPLACED = ("account_id", "contact_id", "metric", "value", "observed_at")


def _replace_signals(
    rows: Sequence["SignalRow"], earlier: dict[tuple[str, str], Signal], now: datetime
) -> tuple[list[int], set[int]]:
    """Store new rows; overwrite stored ones that say something else. Returns the
    account of each row stored or changed, and every account touched (a signal
    moved to another account touches both)."""
    new = [row for row in rows if (row.source, row.external_id) not in earlier]
    stored = insert_signals(new)
    touched = set(stored)
    changed = []
    for row in rows:
        signal = earlier.get((row.source, row.external_id))
        if signal is None:
            continue
        if all(getattr(signal, name) == getattr(row, name) for name in _REPLACED):
            continue
        touched.update((signal.account_id, row.account_id))
        for name in _REPLACED:
            setattr(signal, name, getattr(row, name))
        signal.received_at = now
        changed.append(signal)
    Signal.objects.bulk_update(changed, [*_REPLACED, "received_at"])
    return stored + [signal.account_id for signal in changed], touched


@dataclass(frozen=True, slots=True)
class Stored:
    accounts: set[int]  # every account the batch names
    stored: list[int]  # the account of each signal stored (not a duplicate)


def store_signals(
    items: Sequence[IncomingSignal], *, now: datetime, default_source: str = "api"
) -> Stored:
    """Store a batch as ``ingest_signals`` does, but score nothing: for bulk
    imports, which re-score every account they touched once, at the end."""
    accounts, contacts = _resolve(items)
    with transaction.atomic():
        rows = _new_rows(items, accounts, contacts, now, default_source)
        ids = set(accounts.values())
        _refuse_gone(items, accounts, ids - _keep(ids))
        return Stored(ids, insert_signals(rows))


def check_references(items: Sequence[IncomingSignal]) -> list[ItemError]:
    """The batch's unknown accounts and contacts, found without storing anything."""
    try:
        _resolve(items)
    except RejectedBatch as rejected:
        return rejected.errors
    return []


def _resolve(
    items: Sequence[IncomingSignal],
) -> tuple[dict[str, int], dict[tuple[int, str], int]]:
    keys = list({item.account for item in items})
    accounts: dict[str, int] = {}
    if keys:
        found = fetch(
            f'SELECT "key", id FROM {Account._meta.db_table}'
            f' WHERE "key" IN ({marks(keys)})',
            keys,
        )
        accounts = dict(found)
    wanted = {(item.account, item.contact) for item in items if item.contact}
    owners = list({accounts[key] for key, _ in wanted if key in accounts})
    names = list({contact for _, contact in wanted})
    contacts: dict[tuple[int, str], int] = {}
    if owners:
        rows = fetch(
            f'SELECT account_id, "key", id FROM {Contact._meta.db_table}'
            f' WHERE account_id IN ({marks(owners)}) AND "key" IN ({marks(names)})',
            [*owners, *names],
        )
        contacts = {(account_id, key): pk for account_id, key, pk in rows}

    errors = []
    for index, item in enumerate(items):
        account_id = accounts.get(item.account)
        if account_id is None:
            errors.append(
                ItemError(index, "account", f"unknown account {item.account!r}")
            )
        elif item.contact and (account_id, item.contact) not in contacts:
            message = f"unknown contact {item.contact!r} of account {item.account!r}"
            errors.append(ItemError(index, "contact", message))
    if errors:
        raise RejectedBatch(errors)
    return accounts, contacts


class SignalRow(NamedTuple):
    """A signal ready to store, in the order of the table's columns below."""

    account_id: int
    contact_id: int | None
    metric: str
    value: float
    observed_at: datetime
    received_at: datetime
    source: str
    external_id: str


def _new_rows(
    items: Sequence[IncomingSignal],
    accounts: dict[str, int],
    contacts: dict[tuple[int, str], int],
    now: datetime,
    default_source: str,
) -> list[SignalRow]:
    """The batch's rows, without the repeats of a (source, id) inside it."""
    rows, seen = [], set()
    for item in items:
        source = item.source or default_source
        ident = item.id or derived_id(
            item.account, item.metric, item.value, item.observed_at, item.contact
        )
        if (source, ident) in seen:
            continue
        seen.add((source, ident))
        account_id = accounts[item.account]
        contact_id = contacts[(account_id, item.contact)] if item.contact else None
        rows.append(
            SignalRow(
                account_id,
                contact_id,
                item.metric,
                float(item.value),
                item.observed_at,
                now,
                source,
                ident,
            )
        )
    return rows


def _keep(ids: set[int]) -> set[int]:
    """Of these accounts, the ones that exist, locked until the transaction
    ends so that none can be deleted under signals being stored (the database
    does not check a signal's account: see the model). FOR KEY SHARE lets
    other batches for the same accounts go on; deleting one waits."""
    if connection.vendor != "postgresql":  # one writer at a time: nothing to lock
        return set(Account.objects.filter(pk__in=ids).values_list("pk", flat=True))
    table = Account._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",
            [sorted(ids)],
        )
        return {pk for (pk,) in cursor.fetchall()}


def insert_signals(rows: Sequence[SignalRow]) -> list[int]:
    """Insert rows in order, skipping any (source, id) already stored; return the
    account of each row stored.

    The database does not check that the rows' accounts exist: the caller does,
    under a lock held until its transaction commits (``_lock_batch``, ``_keep``).
    """
    if connection.vendor == "postgresql":
        stored = bulk_insert(
            Signal,
            columns=SignalRow._fields,
            rows=rows,
            on_conflict="ON CONFLICT (source, external_id) DO NOTHING",
            returning="account_id",
        )
        return [account_id for (account_id,) in stored]

    stored = stored_pairs({(row.source, row.external_id) for row in rows})
    new = [row for row in rows if (row.source, row.external_id) not in stored]
    Signal.objects.bulk_create(
        [Signal(**row._asdict()) for row in new], ignore_conflicts=True, batch_size=2000
    )
    return [row.account_id for row in new]


def stored_pairs(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (source, id) pairs are stored already."""
    stored: set[tuple[str, str]] = set()
    for source, idents in _by_source(pairs):
        found = Signal.objects.filter(
            source=source, external_id__in=idents
        ).values_list("external_id", flat=True)
        stored.update((source, ident) for ident in found)
    return stored


def _by_source(
    pairs: set[tuple[str, str]], size: int = 2000
) -> Iterator[tuple[str, list[str]]]:
    """The ids of ``pairs`` grouped by source, in lists short enough for one
    query's parameters on either database."""
    by_source: dict[str, list[str]] = {}
    for source, ident in pairs:
        by_source.setdefault(source, []).append(ident)
    for source, idents in by_source.items():
        for start in range(0, len(idents), size):
            yield source, idents[start : start + size]
