"""Alert notifications, delivered to a real SMTP server and a real HTTP receiver
on loopback, once per change, with retries.

globex's CSM is csm-2, a user with the address csm-2@vendor.example. The rule
`low-score` fires below 50 and clears above 60 (see test_alerts.py for how
usage sets globex's total).
"""

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
from django.db import connections

from scorecards.alerts.delivery import MAX_ATTEMPTS, deliver_due
from scorecards.alerts.models import AlertRule, Notification
from scorecards.ingest.service import ingest_signals
from scorecards.testing.loopback import mailbox, receiver

__all__ = ["mailbox", "receiver"]

pytestmark = pytest.mark.django_db

SECRET = "a-webhook-signing-secret"


@pytest.fixture
def rule(clock, receiver, monkeypatch, django_user_model):
    django_user_model.objects.create_user("csm-2", email="csm-2@vendor.example")
    django_user_model.objects.create_user("cs-lead", email="cs-lead@vendor.example")
    monkeypatch.setenv("ALERT_HOOK_SECRET", SECRET)
    return AlertRule.objects.create(
        name="low-score",
        kind="threshold",
        params={"trigger": 50, "clear": 60},
        notify=[
            {"kind": "webhook", "url": receiver.url,
             "secret": {"env": "ALERT_HOOK_SECRET"}},
            {"kind": "email", "to": ["csm", "user:cs-lead", "ops@vendor.example"]},
        ],
        created_at=clock.now,
        updated_at=clock.now,
    )  # fmt: skip


def deliver(clock):
    return deliver_due(worker="test-worker", now=clock.now)


def test_a_crossing_sends_one_email_to_each_and_one_signed_webhook(
    rule, usage, clock, mailbox, receiver, signal, caplog
):
    # A month ago globex scored 90 on usage alone (its QBR rating of then is
    # outside the QBR window of 10 days).
    month_ago = [signal("globex", "weekly_active_users", 90, days_ago=35)]
    ingest_signals(month_ago, now=clock.now)
    usage(40)  # 45: below the trigger

    assert deliver(clock) == 4
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == [
        "cs-lead@vendor.example",
        "csm-2@vendor.example",
        "ops@vendor.example",
    ]
    email = mailbox.messages[0]
    assert email["Subject"] == (
        "[alert] Globex: low-score (score 45.0 is below 50; score 45.0)"
    )
    body = email.get_payload()
    assert (
        "What moved it (30 days):\r\n  - usage: -70.0 points\r\n  - qbr: +25.0" in body
    )
    assert "explaining the change failed" not in caplog.text

    [call] = receiver.received
    payload = json.loads(call.body)
    assert (payload["event"], payload["account"]["key"], payload["score"]) == (
        "firing", "globex", 45.0,
    )  # fmt: skip
    assert payload["moved"] == [
        {"criterion": "usage", "points": -70.0},
        {"criterion": "qbr", "points": 25.0},
    ]
    timestamp = call.headers["X-Scorecards-Timestamp"]
    expected = hmac.new(
        SECRET.encode(), timestamp.encode() + b"." + call.body, hashlib.sha256
    ).hexdigest()
    assert call.headers["X-Scorecards-Signature"] == f"v1={expected}"
    assert deliver(clock) == 0  # nothing twice


def test_oscillating_sends_nothing_more_and_recovery_sends_one_cleared(
    rule, usage, clock, mailbox, receiver
):
    usage(40)
    deliver(clock)
    for value in (66, 44, 68, 42):  # 58, 47, 59, 46: between the levels
        clock.days_later(0.1)
        usage(value)
        deliver(clock)
    assert len(receiver.received) == 1

    usage(80)  # 65: cleared
    deliver(clock)

    events = [json.loads(call.body)["event"] for call in receiver.received]
    assert events == ["firing", "cleared"]
    assert len(mailbox.messages) == 6
    assert mailbox.messages[-1]["Subject"].startswith("[cleared] Globex")


def test_a_receiver_down_three_times_gets_it_on_the_fourth_try(
    rule, usage, clock, receiver, mailbox
):
    receiver.failures = 3
    usage(40)

    for _ in range(3):
        deliver(clock)
        clock.days_later(1 / 24)  # past the growing pause
    webhook = Notification.objects.get(channel="webhook")
    assert (webhook.status, webhook.attempts) == ("pending", 3)
    assert webhook.last_error == "the receiver answered 503"

    deliver(clock)

    webhook.refresh_from_db()
    assert (webhook.status, webhook.attempts) == ("sent", 4)
    assert receiver.calls == 4
    assert len(receiver.received) == 1


def test_a_retry_waits_for_its_pause(rule, usage, clock, receiver, mailbox):
    receiver.failures = 1
    usage(40)
    deliver(clock)

    clock.move_to(clock.now + timedelta(seconds=29))
    deliver(clock)
    assert receiver.calls == 1

    clock.move_to(clock.now + timedelta(seconds=1))
    deliver(clock)
    assert len(receiver.received) == 1


def test_a_receiver_that_never_answers_is_given_up_on(
    rule, usage, clock, receiver, mailbox, caplog
):
    receiver.failures = 100
    usage(40)

    for _ in range(MAX_ATTEMPTS + 2):
        deliver(clock)
        clock.days_later(1)

    webhook = Notification.objects.get(channel="webhook")
    assert (webhook.status, webhook.attempts) == ("failed", MAX_ATTEMPTS)
    assert "giving up after 8 attempts" in caplog.text


def test_the_change_asks_for_a_delivery_once_it_commits(
    rule, usage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        usage(40)

    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_once(
    rule, usage, clock, receiver, mailbox
):
    usage(40)
    start = threading.Barrier(2)
    sent = []

    def worker(name):
        try:
            start.wait()
            sent.append(deliver_due(worker=name, now=clock.now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(sent) == 4
    assert len(receiver.received) == 1
    assert len(mailbox.messages) == 3


def test_a_slack_compatible_hook_gets_one_line_and_a_link(
    rule, usage, clock, receiver, mailbox, settings
):
    settings.BASE_URL = "https://cs.example.com"
    rule.notify = [{"kind": "slack", "url": receiver.url}]
    rule.save()

    usage(40)
    deliver(clock)

    [call] = receiver.received
    text = json.loads(call.body)["text"]
    assert text == (
        "[alert] Globex: low-score (score 45.0 is below 50; score 45.0)\n"
        "<https://cs.example.com/accounts/globex/|Open the account>"
    )


def test_a_signing_secret_gone_missing_holds_the_webhook_and_says_why(
    rule, usage, clock, receiver, mailbox, monkeypatch
):
    monkeypatch.delenv("ALERT_HOOK_SECRET")
    usage(40)

    deliver(clock)

    webhook = Notification.objects.get(channel="webhook")
    assert webhook.status == "pending"  # not sent unsigned
    assert webhook.last_error == (
        "the signing secret: the environment variable ALERT_HOOK_SECRET is empty"
    )
    assert receiver.calls == 0
