"""What an alert rule says about an account now: fire, clear, or hold.

Pure: the facts come in as values, so the rules can be tested (and replayed)
without a database. Five kinds of rule:

- ``threshold``: the total below ``trigger`` fires; only a total above the
  higher ``clear`` clears (hysteresis), so a score wobbling around the trigger
  does not fire again and again. In between, nothing changes.
- ``grade``: the account's grade is one of ``grades``.
- ``drop``: the total fell by at least ``points`` within ``days``.
- ``criterion``: a criterion's ``raw`` value or its ``score`` compared with a
  ``value`` (e.g. nps raw <= 6); or, with ``role``, the latest ``metric`` answer
  of a contact in that role (e.g. the executive sponsor's NPS <= 6).
- ``stale``: a criterion flagged stale, or no score for ``days``.
"""

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    FIRE = "fire"  # the condition holds
    CLEAR = "clear"  # it does not
    HOLD = "hold"  # between a trigger and its clear level: no change


OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


@dataclass(frozen=True, slots=True)
class Facts:
    """An account as the rules see it."""

    total: float | None
    grade: str
    status: str
    criteria: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The total as of each look-back a drop rule asks for, by days.
    earlier_totals: Mapping[int, float | None] = field(default_factory=dict)
    # The latest answer per (metric, role), for role conditions.
    role_answers: Mapping[tuple[str, str], float] = field(default_factory=dict)
    # When the account last had a score, for "no score for D days".
    scored_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    reason: str


def check(kind: str, params: Mapping[str, Any], facts: Facts, now: datetime) -> Outcome:
    return CHECKS[kind](params, facts, now)


def _threshold(params: Mapping[str, Any], facts: Facts, now: datetime) -> Outcome:
    total = facts.total
    if total is None:
        # No score is not a low score (SCORING.md): no alert on the total.
        return Outcome(Verdict.HOLD, "no score")
    trigger, clear = params["trigger"], params["clear"]
    if total < trigger:
        return Outcome(Verdict.FIRE, f"score {total:.1f} is below {trigger:g}")
    if total > clear:
        return Outcome(Verdict.CLEAR, f"score {total:.1f} is above {clear:g}")
    return Outcome(
        Verdict.HOLD, f"score {total:.1f} is between {trigger:g} and {clear:g}"
    )


def _grade(params: Mapping[str, Any], facts: Facts, now: datetime) -> Outcome:
    if facts.total is None:
        return Outcome(Verdict.HOLD, "no score")
    if facts.grade in params["grades"]:
        return Outcome(Verdict.FIRE, f"grade is {facts.grade}")
    return Outcome(Verdict.CLEAR, f"grade is {facts.grade or 'none'}")


def _drop(params: Mapping[str, Any], facts: Facts, now: datetime) -> Outcome:
    days, points = params["days"], params["points"]
    before = facts.earlier_totals.get(days)
    if facts.total is None or before is None:
        return Outcome(Verdict.HOLD, "no score to compare")
    fall = before - facts.total
    if fall >= points:
        return Outcome(
            Verdict.FIRE,
            f"score fell {fall:.1f} points in {days} days "
            f"({before:.1f} -> {facts.total:.1f})",
        )
    return Outcome(Verdict.CLEAR, f"score moved {-fall:+.1f} points in {days} days")


def _criterion(params: Mapping[str, Any], facts: Facts, now: datetime) -> Outcome:
    compare = OPERATORS[params["op"]]
    limit = params["value"]
    if params.get("role"):
        metric, role = params["metric"], params["role"]
        answer = facts.role_answers.get((metric, role))
        if answer is None:
            return Outcome(Verdict.CLEAR, f"no {metric} answer from a {role}")
        verdict = Verdict.FIRE if compare(answer, limit) else Verdict.CLEAR
        return Outcome(verdict, f"the {role}'s latest {metric} is {answer:g}")

    key, measure = params["criterion"], params.get("measure", "raw")
    criterion = facts.criteria.get(key)
    value = criterion.get(measure) if criterion else None
    if value is None:
        return Outcome(Verdict.HOLD, f"{key} has no {measure} value")
    verdict = Verdict.FIRE if compare(value, limit) else Verdict.CLEAR
    return Outcome(verdict, f"{key} {measure} is {value:g} ({params['op']} {limit:g})")


def _stale(params: Mapping[str, Any], facts: Facts, now: datetime) -> Outcome:
    if params.get("criterion"):
        key = params["criterion"]
        criterion = facts.criteria.get(key) or {}
        if criterion.get("stale"):
            return Outcome(Verdict.FIRE, f"{key} is stale")
        return Outcome(Verdict.CLEAR, f"{key} is fresh")

    days = params["days"]
    if facts.total is not None:
        return Outcome(Verdict.CLEAR, "the account has a score")
    since = facts.scored_since
    if since is not None and now - since < timedelta(days=days):
        return Outcome(Verdict.CLEAR, "without a score for less than the limit")
    return Outcome(Verdict.FIRE, f"no score for {days} days or more")


CHECKS: dict[str, Callable[[Mapping[str, Any], Facts, datetime], Outcome]] = {
    "threshold": _threshold,
    "grade": _grade,
    "drop": _drop,
    "criterion": _criterion,
    "stale": _stale,
}
