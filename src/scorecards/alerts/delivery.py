"""Notifications of alert changes: made with the change, sent by the workers.

1. ``notify_event`` makes one Notification per target of the rule, in the
   transaction that stored the change, and asks for a delivery run once that
   transaction has committed.
2. ``deliver_due`` claims each due notification with a conditional update (so
   of several workers, exactly one sends it), sends it, and marks it sent; a
   failure is retried later, with a growing pause, up to MAX_ATTEMPTS.

A worker killed between sending and marking leaves the notification claimed;
after STUCK it is claimed again and sent once more. Receivers can tell a
repeat by its delivery id (the ``X-Scorecards-Delivery`` header).
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from scorecards.alerts.models import (
    AlertEvent,
    DeliveryStatus,
    InboxItem,
    Notification,
)
from scorecards.lib.secrets import SecretUnavailable, read_secret
from scorecards.people.recipients import emails_for, users_for
from scorecards.scoring.history import explain
from scorecards.scoring.models import AccountTrend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_PAUSE = timedelta(seconds=30)  # doubled after each failure: 30 s to ~1 h
STUCK = timedelta(minutes=10)
TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The receiver could not take the message; worth trying again later."""


def notify_event(event: AlertEvent, *, now: datetime) -> list[Notification]:
    """Make the notifications of ``event`` (a change marked ``notify``), and its
    items in the users' inboxes."""
    rule, account = event.alert.rule, event.alert.account
    made = []
    for target in rule.notify:
        if target["kind"] == "inbox":
            _to_inboxes(event, target["to"], account, now)
            continue
        for channel, address, secret in _addresses(target, account):
            made.append(
                Notification.objects.create(
                    event=event,
                    channel=channel,
                    target=address[:500],
                    secret=secret,
                    next_attempt_at=now,
                )
            )
    if made:
        from scorecards.alerts.tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications.enqueue())
    return made


def _to_inboxes(event: AlertEvent, to: list[str], account: Any, now: datetime) -> None:
    users = {user.pk: user for name in to for user in users_for(name, account)}
    if not users:
        logger.warning("account %s: no user to tell in the app (%s)", account.key, to)
    InboxItem.objects.bulk_create(
        [InboxItem(user=user, event=event, created_at=now) for user in users.values()],
        ignore_conflicts=True,
    )


def _addresses(target: dict[str, Any], account: Any) -> list[tuple[str, str, Any]]:
    if target["kind"] != "email":
        return [(target["kind"], target["url"], target.get("secret"))]
    addresses: dict[str, None] = {}
    for to in target["to"]:
        found = emails_for(to, account)
        if not found:
            logger.warning("account %s: no email address for %s", account.key, to)
        addresses.update(dict.fromkeys(found))
    return [("email", address, None) for address in addresses]


def deliver_due(*, worker: str, now: datetime | None = None) -> int:
    """Send every due notification this worker can claim; returns how many went."""
    now = now or timezone.now()
    _release_stuck(now)
    due = Notification.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    sent = 0
    # One change goes to several targets; its message (which explains the
    # score over 30 days) is made once for them all.
    messages: dict[int, dict[str, Any]] = {}
    for pk in list(due[:500]):
        claimed = Notification.objects.filter(
            pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(status=DeliveryStatus.SENDING, claimed_by=worker[:200], claimed_at=now)
        if claimed:
            notification = Notification.objects.select_related(
                "event__alert__rule", "event__alert__account"
            ).get(pk=pk)
            if notification.event_id not in messages:
                messages[notification.event_id] = message(notification.event)
            sent += _send_claimed(notification, messages[notification.event_id], now)
    return sent


def _release_stuck(now: datetime) -> None:
    Notification.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - STUCK
    ).update(status=DeliveryStatus.PENDING)


def _send_claimed(
    notification: Notification, data: dict[str, Any], now: datetime
) -> int:
    notification.attempts += 1
    try:
        SENDERS[notification.channel](notification, data)
    except DeliveryError as error:
        _failed(notification, str(error), now)
        return 0

    notification.status, notification.sent_at = DeliveryStatus.SENT, timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    logger.info(
        "notification %d (%s) sent after %d attempts",
        notification.pk,
        notification.channel,
        notification.attempts,
    )
    return 1


def _failed(notification: Notification, error: str, now: datetime) -> None:
    notification.last_error = error[:500]
    if notification.attempts >= MAX_ATTEMPTS:
        notification.status = DeliveryStatus.FAILED
        logger.error(
            "notification %d (%s): giving up after %d attempts: %s",
            notification.pk,
            notification.channel,
            notification.attempts,
            error,
        )
    else:
        notification.status = DeliveryStatus.PENDING
        pause = FIRST_PAUSE * 2 ** (notification.attempts - 1)
        notification.next_attempt_at = now + pause
        logger.warning(
            "notification %d (%s): attempt %d failed, again in %s: %s",
            notification.pk,
            notification.channel,
            notification.attempts,
            pause,
            error,
        )
    notification.save(
        update_fields=["status", "attempts", "next_attempt_at", "last_error"]
    )


def message(event: AlertEvent) -> dict[str, Any]:
    """What every channel says: the account, what crossed, the score and where
    it is heading, the criteria that moved it most in 30 days, and a link."""
    alert = event.alert
    account = alert.account
    trend = AccountTrend.objects.filter(account=account).first()
    return {
        "event": event.new_state,
        "previous": event.old_state,
        "rule": alert.rule.name,
        "account": {"key": account.key, "name": account.name, "csm": account.csm},
        "reason": event.reason,
        "score": event.total,
        "grade": event.grade,
        "delta_30": trend.delta_30 if trend else None,
        "direction": (trend.direction or None) if trend else None,
        "at": event.at.isoformat(),
        "alert": alert.pk,
        "moved": _moved(account, event.at),
        "link": f"{settings.BASE_URL}/accounts/{quote(account.key, safe='')}/",
        "api": f"{settings.BASE_URL}/api/v1/alerts/{alert.pk}",
    }


def _moved(account: Any, now: datetime, *, most: int = 3) -> list[dict[str, Any]]:
    """The criteria whose contribution moved most over the last 30 days."""
    try:
        explanation = explain(account, start=now - timedelta(days=30), end=now)
    except Exception:  # a message without this line beats no message
        logger.exception("account %s: explaining the change failed", account.key)
        return []
    lines = sorted(explanation.lines, key=lambda line: -abs(line.delta))[:most]
    return [
        {"criterion": line.path, "points": round(line.delta, 1)}
        for line in lines
        if abs(line.delta) >= 0.05
    ]


def headline(data: dict[str, Any]) -> str:
    account = data["account"]["name"] or data["account"]["key"]
    what = {"firing": "alert", "cleared": "cleared", "reminder": "still alerting"}
    score = f"{data['score']:.1f}" if data["score"] is not None else "no score"
    return (
        f"[{what.get(data['event'], data['event'])}] {account}: {data['rule']} "
        f"({data['reason']}; score {score})"
    )


def _trend_words(data: dict[str, Any]) -> str:
    if data["delta_30"] is None:
        return "not enough history yet"
    return f"{data['direction']}, {data['delta_30']:+.1f} points in 30 days"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``timestamp.body`` with the secret."""
    signed = timestamp.encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"the receiver answered {response.status_code}")


def send_webhook(notification: Notification, data: dict[str, Any]) -> None:
    body = json.dumps(data, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Scorecards",
        "X-Scorecards-Delivery": str(notification.pk),
        "X-Scorecards-Timestamp": timestamp,
    }
    secret = ""
    if notification.secret:
        try:
            secret = read_secret(notification.secret, "the signing secret")
        except SecretUnavailable as error:
            raise DeliveryError(str(error)) from None
    if secret:
        headers["X-Scorecards-Signature"] = signature(secret, timestamp, body)
    _post(notification.target, body, headers)


def send_slack(notification: Notification, data: dict[str, Any]) -> None:
    text = f"{headline(data)}\n<{data['link']}|Open the account>"
    _post(
        notification.target,
        json.dumps({"text": text}).encode(),
        {"Content-Type": "application/json"},
    )


def send_email(notification: Notification, data: dict[str, Any]) -> None:
    moved = "\n".join(
        f"  - {m['criterion']}: {m['points']:+.1f} points" for m in data["moved"]
    )
    name = data["account"]["name"] or data["account"]["key"]
    body = (
        f"{headline(data)}\n\nAccount: {name}"
        f"\nRule: {data['rule']}\nWhat happened: {data['reason']}\n"
        f"Score: {data['score']}  Grade: {data['grade'] or '-'}\n"
        f"Trend: {_trend_words(data)}\n"
        f"What moved it (30 days):\n{moved or '  (nothing measurable)'}\n\n"
        f"{data['link']}\n"
    )
    try:
        send_mail(headline(data)[:200], body, None, [notification.target])
    except OSError as error:  # smtplib's errors are OSErrors too
        raise DeliveryError(f"{type(error).__name__}: {error}") from None


SENDERS = {"webhook": send_webhook, "slack": send_slack, "email": send_email}
