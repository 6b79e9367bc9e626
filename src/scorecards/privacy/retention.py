"""Keeping raw data no longer than the settings say.

- Signals observed more than ``SCORECARDS_RETAIN_SIGNALS_DAYS`` ago are deleted,
  with the product events (Segment calls) of that age they were counted from.
- Survey comments written more than ``SCORECARDS_RETAIN_COMMENTS_DAYS`` ago are
  blanked; the answers' numbers stay.
- Audit entries older than ``SCORECARDS_RETAIN_AUDIT_DAYS`` are deleted.

0 keeps a kind for ever. Daily score points, current scores and trends are
never touched, so history survives every signal behind it.

A score reads the signals inside its scorecard's windows, so removing older
ones changes nothing, as long as the retention is longer than the longest
window in use. A shorter setting is stretched to that (plus a month, for
yesterday's point and the account page's explanation of the last 30 days), and
a scorecard with a criterion without a window, which reads every signal, stops
signals from being removed at all; each run says so. The latest signal of each
metric of each account is kept however old, since staleness reads it.
"""

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from scorecards.alerts.models import AlertRule
from scorecards.alerts.service import ROLE_ANSWER_DAYS
from scorecards.audit.log import record
from scorecards.audit.models import AuditEntry
from scorecards.feedback.models import Answer
from scorecards.ingest.models import Signal
from scorecards.scoring.scorecards import current_versions, parsed
from scorecards.sources.models import ProductEvent

logger = logging.getLogger(__name__)

# Beyond the longest window: the daily point of yesterday is scored as of its
# end, and the account page explains the last 30 days by scoring their start.
MARGIN_DAYS = 31
BATCH = 10_000  # rows deleted per transaction, so no run holds a lock for long

KINDS = ("signals", "product_events", "comments", "audit_entries")


@dataclass(frozen=True, slots=True)
class SignalFloor:
    """The fewest days of signals that leave every score as it is; None when no
    number of days does."""

    days: int | None
    why: str


@dataclass
class RetentionRun:
    dry_run: bool
    removed: dict[str, int] = field(default_factory=dict)
    cutoffs: dict[str, datetime] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def configured() -> bool:
    return any(
        (
            settings.RETAIN_SIGNALS_DAYS,
            settings.RETAIN_COMMENTS_DAYS,
            settings.RETAIN_AUDIT_DAYS,
        )
    )


def signal_floor() -> SignalFloor:
    longest, which = timedelta(0), ""
    for version in current_versions():
        card = parsed(version)
        lookback = card.lookback()
        if lookback is None:
            why = f"scorecard {card.key} has a criterion without a window, which "
            return SignalFloor(None, why + "reads every signal")
        if lookback > longest:
            longest, which = lookback, card.key
    days = math.ceil(longest / timedelta(days=1))
    why = f"the longest window in use is {days} days (scorecard {which or 'none'})"

    criteria = AlertRule.objects.filter(enabled=True, kind="criterion")
    if any(rule.params.get("role") for rule in criteria) and days < ROLE_ANSWER_DAYS:
        days = ROLE_ANSWER_DAYS
        why = f"alert rules on a role's answer look back {days} days"
    return SignalFloor(days + MARGIN_DAYS, f"{why}, plus {MARGIN_DAYS} days")


def apply_retention(*, now: datetime, dry_run: bool = False) -> RetentionRun:
    """Remove what the settings no longer keep (or count it, on a dry run)."""
    run = RetentionRun(dry_run)
    _signals(run, now)
    _comments(run, now)
    _audit_entries(run, now)

    for note in run.notes:
        logger.info("retention: %s", note)
    if dry_run:
        return run
    logger.info("retention: removed %s", _counts(run.removed))
    if configured():
        record(
            "retention.applied",
            detail={
                "removed": run.removed,
                "before": {kind: cut.isoformat() for kind, cut in run.cutoffs.items()},
                "notes": run.notes,
            },
            at=now,
        )
    return run


def _signals(run: RetentionRun, now: datetime) -> None:
    days = settings.RETAIN_SIGNALS_DAYS
    if not days:
        return
    floor = signal_floor()
    if floor.days is None:
        run.notes.append(f"signals are all kept: {floor.why}")
        return
    if days < floor.days:
        run.notes.append(f"signals are kept {floor.days} days, not {days}: {floor.why}")
        days = floor.days

    cutoff = now - timedelta(days=days)
    run.cutoffs["signals"] = run.cutoffs["product_events"] = cutoff
    newer = Signal.objects.filter(
        account_id=OuterRef("account_id"),
        metric=OuterRef("metric"),
        observed_at__gt=OuterRef("observed_at"),
    )
    old = Signal.objects.filter(observed_at__lt=cutoff).filter(Exists(newer))
    run.removed["signals"] = _remove(old, dry_run=run.dry_run)
    events = ProductEvent.objects.filter(timestamp__lt=cutoff)
    run.removed["product_events"] = _remove(events, dry_run=run.dry_run)


def _comments(run: RetentionRun, now: datetime) -> None:
    days = settings.RETAIN_COMMENTS_DAYS
    if not days:
        return
    cutoff = now - timedelta(days=days)
    run.cutoffs["comments"] = cutoff
    old = Answer.objects.filter(updated_at__lt=cutoff).exclude(comment="")
    run.removed["comments"] = old.count() if run.dry_run else old.update(comment="")


def _audit_entries(run: RetentionRun, now: datetime) -> None:
    days = settings.RETAIN_AUDIT_DAYS
    if not days:
        return
    cutoff = now - timedelta(days=days)
    run.cutoffs["audit_entries"] = cutoff
    old = AuditEntry.objects.filter(at__lt=cutoff)
    run.removed["audit_entries"] = _remove(old, dry_run=run.dry_run)


def _remove(rows: QuerySet[Any], *, dry_run: bool) -> int:
    if dry_run:
        return int(rows.count())
    removed = 0
    for ids in _id_batches(rows):
        with transaction.atomic():
            # A raw delete, as one query: an audit entry refuses to be deleted
            # one by one, and retention is the one path allowed to remove it.
            doomed = rows.model._base_manager.filter(pk__in=ids)
            removed += doomed._raw_delete(doomed.db)
    return removed


def _id_batches(rows: QuerySet[Any]) -> Iterator[list[int]]:
    """The ids of ``rows`` a batch at a time, walking up the primary key, so
    each batch's query starts where the last one ended."""
    last = 0
    while ids := list(
        rows.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
    ):
        yield ids
        last = ids[-1]


def _counts(removed: dict[str, int]) -> str:
    shown = [f"{count} {kind.replace('_', ' ')}" for kind, count in removed.items()]
    return ", ".join(shown) or "nothing"
