"""Outcomes, and each one's account scored as it stood a lead time before it.

A case is one outcome (a renewal, a churn, ...) with the score its account had
at ``decided_at - lead``. Only signals observed by then count: the engine
ignores every later one, so nothing that happened after the as-of time, the
outcome itself included, can leak into the figures.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scorecards.engine import (
    AccountScore,
    History,
    Scorecard,
    choose_scorecard,
    score_account,
)
from scorecards.lib.outcomes import KINDS

# The outcomes a health score exists to foresee. A downgrade is a renewal that
# kept the customer, so by default it counts with the renewals; a team that
# sees it as a loss says so with ``bad_kinds``.
BAD_KINDS = frozenset({"churn"})

_NO_HISTORY = History()


@dataclass(frozen=True, slots=True)
class Outcome:
    account: str
    kind: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class Case:
    """An outcome with its account's score at the as-of time."""

    outcome: Outcome
    as_of: datetime
    churned: bool
    result: AccountScore

    @property
    def total(self) -> float:
        assert self.result.total is not None  # cases are scored ones only
        return self.result.total

    def criterion_scores(self) -> dict[str, float | None]:
        return {c.path: c.score for c in self.result.criteria}


@dataclass(frozen=True, slots=True)
class LeftOut:
    """How many outcomes were left out, for one reason."""

    reason: str
    count: int


UNKNOWN_ACCOUNT = "the account is not in the book"
OTHER_SCORECARD = "another scorecard applies to the account"
NO_SCORECARD = "the scorecard does not apply to the account"
INSUFFICIENT = "not enough data to score the account at the as-of time"
NOT_DECIDED = "decided after the time of the backtest"
UNKNOWN_KIND = "an outcome kind this backtest does not know"


def score_cases(
    *,
    scorecard: Scorecard,
    outcomes: Iterable[Outcome],
    accounts: Mapping[str, Mapping[str, str]],
    histories: Mapping[str, History],
    roles: Mapping[str, Mapping[str, str]] | None = None,
    others: Sequence[Scorecard] = (),
    lead: timedelta,
    now: datetime,
    bad_kinds: frozenset[str] = BAD_KINDS,
) -> tuple[list[Case], list[LeftOut]]:
    """Score each outcome's account under ``scorecard`` at ``decided_at - lead``.

    ``accounts`` maps an account key to its attributes, which decide whether
    the scorecard applies, beside ``others`` (the other scorecards in force).
    An outcome is left out, with its reason counted, when its account is
    unknown, when the scorecard does not govern the account, when the account
    has too little data then to be scored, or when it is still to come.
    """
    roles = roles or {}
    cards = [scorecard, *(card for card in others if card.key != scorecard.key)]
    cases: list[Case] = []
    reasons: Counter[str] = Counter()

    for outcome in sorted(outcomes, key=lambda o: (o.decided_at, o.account)):
        reason = _reason_to_leave_out(outcome, accounts, cards, scorecard, now)
        if reason is not None:
            reasons[reason] += 1
            continue

        as_of = outcome.decided_at - lead
        result = score_account(
            scorecard,
            histories.get(outcome.account, _NO_HISTORY),
            as_of=as_of,
            roles=roles.get(outcome.account, {}),
        )
        if result.total is None:
            reasons[INSUFFICIENT] += 1
            continue
        churned = outcome.kind in bad_kinds
        cases.append(Case(outcome, as_of, churned, result))

    left_out = [LeftOut(reason, count) for reason, count in reasons.most_common()]
    return cases, left_out


def _reason_to_leave_out(
    outcome: Outcome,
    accounts: Mapping[str, Mapping[str, str]],
    cards: Sequence[Scorecard],
    scorecard: Scorecard,
    now: datetime,
) -> str | None:
    if outcome.kind not in KINDS:
        return UNKNOWN_KIND
    if outcome.decided_at > now:
        return NOT_DECIDED
    attributes = accounts.get(outcome.account)
    if attributes is None:
        return UNKNOWN_ACCOUNT
    chosen = choose_scorecard(cards, attributes)
    if chosen is None:
        return NO_SCORECARD
    if chosen.key != scorecard.key:
        return OTHER_SCORECARD
    return None
