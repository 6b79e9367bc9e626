"""A webhook receiver that is down, answers 500, or is too slow: the worker keeps
trying, with its growing pause, and once the receiver recovers the message
arrives, under one delivery id, and is marked sent, so it never goes again.

The receiver is the real HTTP endpoint on loopback (scorecards.testing.loopback);
delivery runs as a worker runs it, with the clock moved past each pause.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from scorecards.alerts import delivery
from scorecards.alerts.delivery import deliver_due
from scorecards.alerts.models import AlertRule, DeliveryStatus, Notification
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.testing.loopback import Receiver, receiver

__all__ = ["receiver"]

pytestmark = pytest.mark.usefixtures("book")

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def a_change(clock: Any, receiver: Receiver) -> Notification:
    """acc-00 falls below 50: one alert, one webhook notification to send."""
    AlertRule.objects.create(
        name="low-score",
        kind="threshold",
        params={"trigger": 50, "clear": 60},
        notify=[{"kind": "webhook", "url": receiver.url}],
        created_at=NOW,
        updated_at=NOW,
    )
    ingest_signals(
        [
            IncomingSignal("acc-00", "usage", 10.0, NOW),
            IncomingSignal("acc-00", "qbr_score", 1.0, NOW),
        ],
        now=NOW,
    )
    [notification] = Notification.objects.all()
    return notification


def deliver_until_sent(clock: Any, *, attempts: int) -> list[int]:
    """Run the worker's delivery at each time the notification is due; how
    many went each time."""
    sent = []
    for _ in range(attempts):
        due = Notification.objects.get().next_attempt_at
        now = max(datetime.now(UTC), due)
        clock.move_to(now, tick=False)
        sent.append(deliver_due(worker="worker-1", now=now))
    return sent


def delivery_ids(receiver: Receiver) -> set[str]:
    return {call.headers["X-Scorecards-Delivery"] for call in receiver.received}


def test_a_receiver_that_is_down_gets_it_once_when_it_is_back(
    a_change: Notification, receiver: Receiver, clock: Any
) -> None:
    receiver.stop()
    assert deliver_until_sent(clock, attempts=3) == [0, 0, 0]
    a_change.refresh_from_db()
    assert a_change.status == DeliveryStatus.PENDING
    assert "ConnectionError" in a_change.last_error

    receiver.start()
    assert deliver_until_sent(clock, attempts=3) == [1, 0, 0]

    a_change.refresh_from_db()
    assert (a_change.status, a_change.attempts) == (DeliveryStatus.SENT, 4)
    assert len(receiver.received) == 1
    assert delivery_ids(receiver) == {str(a_change.pk)}


def test_a_receiver_answering_500_gets_it_once_when_it_recovers(
    a_change: Notification, receiver: Receiver, clock: Any
) -> None:
    receiver.failures, receiver.failing_status = 3, 500

    assert deliver_until_sent(clock, attempts=6) == [0, 0, 0, 1, 0, 0]

    a_change.refresh_from_db()
    assert (a_change.status, a_change.attempts) == (DeliveryStatus.SENT, 4)
    assert receiver.calls == 4
    assert len(receiver.received) == 1
    assert delivery_ids(receiver) == {str(a_change.pk)}


def test_a_receiver_too_slow_gets_it_again_under_the_same_delivery_id(
    a_change: Notification,
    receiver: Receiver,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.3)
    receiver.slow, receiver.delay = 1, 1.5

    assert deliver_until_sent(clock, attempts=3) == [0, 1, 0]

    a_change.refresh_from_db()
    assert (a_change.status, a_change.attempts) == (DeliveryStatus.SENT, 2)
    # The slow receiver took the first call after we had given up on it: it
    # sees the message twice, and one delivery id tells it to keep one.
    assert len(receiver.received) == 2
    assert delivery_ids(receiver) == {str(a_change.pk)}
