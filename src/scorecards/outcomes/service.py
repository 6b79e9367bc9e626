"""Recording outcomes by (source, id), in batches: a retry changes nothing."""

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from scorecards.accounts.models import Account
from scorecards.accounts.service import once_more_on_conflict
from scorecards.ingest.service import ItemError, RejectedBatch
from scorecards.outcomes.models import Outcome

logger = logging.getLogger(__name__)

MAX_BATCH = 10_000


def unknown_accounts(items: Sequence[Mapping[str, Any]]) -> list[ItemError]:
    keys = {item["account"] for item in items}
    known = set(Account.objects.filter(key__in=keys).values_list("key", flat=True))
    return [
        ItemError(index, "account", f"unknown account {item['account']!r}")
        for index, item in enumerate(items)
        if item["account"] not in known
    ]


def upsert_outcomes(
    items: Sequence[Mapping[str, Any]], *, now: datetime
) -> dict[str, int]:
    """Store outcomes by (``source``, ``id``); an outcome stored before is updated
    when its kind, time or account changed, and left alone when not.

    Each item has ``account``, ``kind``, ``decided_at``, ``source`` and ``id``.
    An unknown account refuses the whole batch, and nothing is written.
    """
    errors = unknown_accounts(items)
    if errors:
        raise RejectedBatch(errors)
    return once_more_on_conflict(lambda: _upsert(items, now))


def _upsert(items: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, int]:
    accounts = dict(
        Account.objects.filter(key__in={item["account"] for item in items}).values_list(
            "key", "pk"
        )
    )
    # The last of two items with one (source, id) wins, as a later sync would.
    latest = {(item["source"], item["id"]): item for item in items}

    with transaction.atomic():
        existing = {
            (outcome.source, outcome.external_id): outcome
            for outcome in Outcome.objects.select_for_update().filter(
                source__in={source for source, _ in latest},
                external_id__in={ident for _, ident in latest},
            )
        }
        created, updated = [], []
        for (source, ident), item in latest.items():
            fields = {
                "account_id": accounts[item["account"]],
                "kind": item["kind"],
                "decided_at": item["decided_at"],
            }
            outcome = existing.get((source, ident))
            if outcome is None:
                created.append(
                    Outcome(
                        source=source,
                        external_id=ident,
                        recorded_at=now,
                        updated_at=now,
                        **fields,
                    )
                )
            elif any(getattr(outcome, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(outcome, name, value)
                outcome.updated_at = now
                updated.append(outcome)
        Outcome.objects.bulk_create(created)
        Outcome.objects.bulk_update(
            updated, ["account_id", "kind", "decided_at", "updated_at"]
        )

    unchanged = len(latest) - len(created) - len(updated)
    if created or updated:
        logger.info(
            "outcomes: %d recorded, %d updated, %d unchanged",
            len(created),
            len(updated),
            unchanged,
        )
    return {"created": len(created), "updated": len(updated), "unchanged": unchanged}
