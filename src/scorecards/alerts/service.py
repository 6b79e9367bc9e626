"""Evaluating alert rules on accounts: as their scores change, and as time passes.

1. Take the enabled rules and, for each, the accounts in its scope.
2. Gather the facts the rules read, a query per kind of fact for all accounts.
3. Ask each rule for its verdict on each account, and the state machine what
   that does to the open alert.
4. Store each change as it happens: the alert, and a row saying what changed,
   why, and the score behind it. The rows marked ``notify`` are what the
   notifications are made from.

It runs inside the transaction that stored the scores, so an alert never
exists without the score that caused it, nor a score without its alert.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from scorecards.accounts.models import Account
from scorecards.alerts.conditions import Facts, check
from scorecards.alerts.delivery import notify_event
from scorecards.alerts.machine import (
    REMINDER,
    AlertState,
    AlertView,
    Timing,
    step,
)
from scorecards.alerts.models import Alert, AlertEvent, AlertRule
from scorecards.alerts.plans import on_alert_cleared, on_alert_fired
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore, ScorePoint, stored_score

logger = logging.getLogger(__name__)

OPEN = (AlertState.PENDING, AlertState.FIRING)
ROLE_ANSWER_DAYS = 365


def on_scores_stored(
    sender: Any, *, scores: Sequence[AccountScore], now: datetime, **kwargs: Any
) -> None:
    evaluate(account_ids=[score.account_id for score in scores], now=now)


def evaluate(*, account_ids: Iterable[int], now: datetime) -> list[AlertEvent]:
    """Evaluate every enabled rule on these accounts; returns the changes."""
    rules = list(AlertRule.objects.filter(enabled=True))
    ids = sorted(set(account_ids))
    if not rules or not ids:
        return []

    accounts = {
        account.pk: account
        for account in Account.objects.filter(pk__in=ids).select_related(
            "score__version__scorecard"
        )
    }
    facts = _facts(rules, accounts, now)
    opened = {
        (alert.rule_id, alert.account_id): alert
        for alert in Alert.objects.filter(
            rule__in=rules, account_id__in=ids, state__in=OPEN
        )
    }
    cleared = _last_cleared(rules, ids)

    events = []
    for rule in rules:
        timing = _timing(rule)
        for account in accounts.values():
            if not in_scope(rule, account):
                continue
            outcome = check(rule.kind, rule.params, facts[account.pk], now)
            alert = opened.get((rule.pk, account.pk))
            change = step(
                _view(alert) if alert else None,
                outcome.verdict,
                now=now,
                timing=timing,
                last_cleared_at=cleared.get((rule.pk, account.pk)),
            )
            if change is None:
                continue
            event = _apply(rule, account, alert, change, outcome.reason, now)
            if event is not None:
                events.append(event)
    return events


def evaluate_all(*, now: datetime, chunk: int = 1000) -> int:
    """Every account, for what time alone changes: dwell times running out,
    reminders falling due, snoozes ending. Returns how many changes."""
    if not AlertRule.objects.filter(enabled=True).exists():
        return 0
    changes, last = 0, 0
    while True:
        ids = list(
            Account.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return changes
        with transaction.atomic():
            changes += len(evaluate(account_ids=ids, now=now))
        last = ids[-1]


def in_scope(rule: AlertRule, account: Account) -> bool:
    scope = rule.scope or {}
    score = stored_score(account)
    if scope.get("scorecards"):
        version = score.version if score else None
        if version is None or version.scorecard.key not in scope["scorecards"]:
            return False
    if scope.get("segments") and account.segment not in scope["segments"]:
        return False
    if scope.get("tiers") and account.tier not in scope["tiers"]:
        return False
    minimum = scope.get("min_arr")
    if minimum is None:
        return True
    return account.arr is not None and account.arr >= Decimal(str(minimum))


def _timing(rule: AlertRule) -> Timing:
    repeat = rule.repeat_seconds
    return Timing(
        dwell=timedelta(seconds=rule.dwell_seconds),
        cooldown=timedelta(seconds=rule.cooldown_seconds),
        repeat=timedelta(seconds=repeat) if repeat else None,
    )


def _view(alert: Alert) -> AlertView:
    return AlertView(
        state=AlertState(alert.state),
        opened_at=alert.opened_at,
        last_notified_at=alert.last_notified_at,
        acknowledged=alert.acknowledged_at is not None,
        snoozed_until=alert.snoozed_until,
    )


def _facts(
    rules: list[AlertRule], accounts: dict[int, Account], now: datetime
) -> dict[int, Facts]:
    ids = list(accounts)
    lookbacks = {rule.params["days"] for rule in rules if rule.kind == "drop"}
    earlier = {
        days: _total_as_of(ids, now - timedelta(days=days)) for days in lookbacks
    }
    roles = _role_answers(
        ids,
        {
            (rule.params["metric"], rule.params["role"])
            for rule in rules
            if rule.kind == "criterion" and rule.params.get("role")
        },
        now,
    )
    needs_since = any(
        r.kind == "stale" and not r.params.get("criterion") for r in rules
    )
    since = _scored_since(accounts) if needs_since else {}

    facts = {}
    for pk, account in accounts.items():
        score = stored_score(account)
        criteria = {c["key"]: c for c in (score.criteria if score else [])}
        facts[pk] = Facts(
            total=score.total if score else None,
            grade=score.grade if score else "",
            status=score.status if score else "",
            criteria=criteria,
            earlier_totals={days: totals.get(pk) for days, totals in earlier.items()},
            role_answers=roles.get(pk, {}),
            scored_since=since.get(pk),
        )
    return facts


def _total_as_of(ids: list[int], moment: datetime) -> dict[int, float | None]:
    """Each account's total as of ``moment``: its last history point by then.
    Points are at least daily, so two days back is enough to look."""
    points = (
        ScorePoint.objects.filter(
            account_id__in=ids, at__lte=moment, at__gt=moment - timedelta(days=2)
        )
        .order_by("account_id", "at", "id")
        .values_list("account_id", "total")
    )
    return dict(points)  # the last point of each account wins


def _role_answers(
    ids: list[int], wanted: set[tuple[str, str]], now: datetime
) -> dict[int, dict[tuple[str, str], float]]:
    answers: dict[int, dict[tuple[str, str], float]] = defaultdict(dict)
    since = now - timedelta(days=ROLE_ANSWER_DAYS)
    for metric, role in wanted:
        rows = (
            Signal.objects.filter(
                account_id__in=ids,
                metric=metric,
                contact__role=role,
                observed_at__gt=since,
                observed_at__lte=now,
            )
            .order_by("account_id", "observed_at", "id")
            .values_list("account_id", "value")
        )
        for account_id, value in rows:
            answers[account_id][(metric, role)] = value  # the latest wins
    return answers


def _scored_since(accounts: dict[int, Account]) -> dict[int, datetime]:
    """When each account last had a score; for one never scored, its creation."""
    last = dict(
        ScorePoint.objects.filter(account_id__in=list(accounts), total__isnull=False)
        .values("account_id")
        .annotate(at=Max("at"))
        .values_list("account_id", "at")
    )
    return {pk: last.get(pk) or account.created_at for pk, account in accounts.items()}


def _last_cleared(
    rules: list[AlertRule], ids: list[int]
) -> dict[tuple[int, int], datetime]:
    rows = (
        Alert.objects.filter(
            rule__in=rules, account_id__in=ids, state=AlertState.CLEARED
        )
        .values("rule_id", "account_id")
        .annotate(at=Max("closed_at"))
        .values_list("rule_id", "account_id", "at")
    )
    return {(rule, account): at for rule, account, at in rows}


def _apply(
    rule: AlertRule,
    account: Account,
    alert: Alert | None,
    change: Any,
    reason: str,
    now: datetime,
) -> AlertEvent | None:
    score = stored_score(account)
    if alert is None:
        alert = Alert(rule=rule, account=account, opened_at=now, reason=reason[:300])
    if change.new == REMINDER:
        alert.last_notified_at = now
    else:
        alert.state = change.new
        alert.reason = reason[:300]
        if change.new == AlertState.FIRING:
            alert.fired_at = alert.last_notified_at = now
        if change.new in (AlertState.CLEARED, AlertState.DISMISSED):
            alert.closed_at = now

    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        # Another worker opened this rule's alert on the account a moment ago;
        # theirs stands, and this evaluation leaves it alone.
        logger.info(
            "alert %s on %s: opened elsewhere meanwhile", rule.name, account.key
        )
        return None

    event = AlertEvent.objects.create(
        alert=alert,
        at=now,
        old_state=change.old,
        new_state=change.new,
        reason=reason[:300],
        total=score.total if score else None,
        grade=score.grade if score else "",
        notify=change.notify,
    )
    if change.new == AlertState.FIRING:
        on_alert_fired(alert, now=now)
    elif change.new == AlertState.CLEARED:
        on_alert_cleared(alert, now=now)
    if change.notify:
        notify_event(event, now=now)
    if change.new != REMINDER:
        logger.info(
            "alert %s on %s: %s -> %s (%s)",
            rule.name,
            account.key,
            change.old,
            change.new,
            reason,
        )
    return event


def acknowledge(*, alert: Alert, by: str, now: datetime) -> AlertEvent:
    alert.acknowledged_at, alert.acknowledged_by = now, by[:200]
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return _note(alert, "acknowledged", f"acknowledged by {by}", by, now)


def snooze(*, alert: Alert, until: datetime, by: str, now: datetime) -> AlertEvent:
    alert.snoozed_until = until
    alert.save(update_fields=["snoozed_until"])
    return _note(
        alert, "snoozed", f"snoozed until {until.isoformat()} by {by}", by, now
    )


def _note(alert: Alert, what: str, reason: str, by: str, now: datetime) -> AlertEvent:
    score = stored_score(alert.account)
    logger.info("alert %s on %s: %s", alert.rule.name, alert.account.key, reason)
    return AlertEvent.objects.create(
        alert=alert,
        at=now,
        old_state=alert.state,
        new_state=what,
        reason=reason[:300],
        total=score.total if score else None,
        grade=score.grade if score else "",
        by=by[:200],
    )
