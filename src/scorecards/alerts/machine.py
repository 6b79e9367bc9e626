"""How an alert moves between states as verdicts come in and time passes.

Pure, so every path can be tested with frozen time. An alert of a rule on an
account is, in turn:

    (none) -> pending -> firing -> cleared
                |
                +-> dismissed   (the condition stopped before the dwell ran out)

- A verdict to fire opens an alert: ``pending`` while the condition has held
  for less than the rule's dwell, ``firing`` once it has held that long (at
  once with no dwell). Not within the cooldown after the last alert cleared.
- A firing alert clears on a verdict to clear; a ``hold`` (between a trigger
  and its clear level) changes nothing. A pending one is dismissed on anything
  but a verdict to fire.
- A firing alert with a repeat period reminds again each period, unless it is
  acknowledged or snoozed (until its snooze date).

Each step returns the transitions to store (and notify), never more than one
per alert per step.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from scorecards.alerts.conditions import Verdict


class AlertState(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    CLEARED = "cleared"
    DISMISSED = "dismissed"


# A transition's name for the open of a new alert; it has no old state.
NEW = "ok"
REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class Timing:
    dwell: timedelta = timedelta(0)
    cooldown: timedelta = timedelta(0)
    repeat: timedelta | None = None


@dataclass(frozen=True, slots=True)
class AlertView:
    """The open alert of a rule on an account, as the machine needs it."""

    state: AlertState
    opened_at: datetime
    last_notified_at: datetime | None = None
    acknowledged: bool = False
    snoozed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    old: str  # NEW, or an AlertState
    new: str  # an AlertState, or REMINDER
    notify: bool


def step(
    alert: AlertView | None,
    verdict: Verdict,
    *,
    now: datetime,
    timing: Timing,
    last_cleared_at: datetime | None = None,
) -> Step | None:
    """What happens to ``alert`` (the open one, or None) on ``verdict`` at ``now``."""
    if alert is None:
        return _open(verdict, now, timing, last_cleared_at)
    if alert.state == AlertState.PENDING:
        return _pending(alert, verdict, now, timing)
    if alert.state == AlertState.FIRING:
        return _firing(alert, verdict, now, timing)
    return None


def _open(
    verdict: Verdict, now: datetime, timing: Timing, last_cleared_at: datetime | None
) -> Step | None:
    if verdict != Verdict.FIRE:
        return None
    if last_cleared_at is not None and now - last_cleared_at < timing.cooldown:
        return None  # cooling down: a flapping account is not news every hour
    if timing.dwell > timedelta(0):
        return Step(NEW, AlertState.PENDING, notify=False)
    return Step(NEW, AlertState.FIRING, notify=True)


def _pending(
    alert: AlertView, verdict: Verdict, now: datetime, timing: Timing
) -> Step | None:
    if verdict != Verdict.FIRE:
        return Step(AlertState.PENDING, AlertState.DISMISSED, notify=False)
    if now - alert.opened_at >= timing.dwell:
        return Step(AlertState.PENDING, AlertState.FIRING, notify=True)
    return None


def _firing(
    alert: AlertView, verdict: Verdict, now: datetime, timing: Timing
) -> Step | None:
    if verdict == Verdict.CLEAR:
        return Step(AlertState.FIRING, AlertState.CLEARED, notify=True)
    if timing.repeat is None or alert.acknowledged:
        return None
    if alert.snoozed_until is not None and now < alert.snoozed_until:
        return None
    last = alert.last_notified_at or alert.opened_at
    if now - last >= timing.repeat:
        return Step(AlertState.FIRING, REMINDER, notify=True)
    return None
