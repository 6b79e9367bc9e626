"""Why a score moved between two moments: the recipe, then each criterion."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from scorecards.engine.scorecard import Scorecard
from scorecards.engine.scoring import AccountScore, score_account
from scorecards.engine.signals import History


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """How much one criterion's contribution moved, in points of the total."""

    path: str
    label: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass(frozen=True, slots=True)
class Explanation:
    """The change of the total split into a recipe part and one line per criterion.

    ``delta`` is None when either end has no score; then nothing is split.
    ``scorecard_changed`` is None when both ends used the same scorecard.
    """

    before: AccountScore
    after: AccountScore
    rescored_before: AccountScore | None
    delta: float | None
    scorecard_changed: float | None
    lines: tuple[ChangeLine, ...]


def explain_change(
    *,
    history: History,
    earlier: Scorecard,
    later: Scorecard,
    t0: datetime,
    t1: datetime,
    roles: Mapping[str, str] | None = None,
) -> Explanation:
    """Explain the score at ``t1`` under ``later`` against ``t0`` under ``earlier``."""
    if t0 >= t1:
        raise ValueError("the earlier moment must come before the later one")

    before = score_account(earlier, history, as_of=t0, roles=roles)
    after = score_account(later, history, as_of=t1, roles=roles)
    rescored = None
    if earlier != later:
        rescored = score_account(later, history, as_of=t0, roles=roles)
    return explain_scores(before, after, rescored)


def explain_scores(
    before: AccountScore, after: AccountScore, rescored_before: AccountScore | None
) -> Explanation:
    """Split ``after.total - before.total``, given the earlier data re-scored
    under the later scorecard when the two scorecards differ."""
    if before.total is None or after.total is None:
        return Explanation(before, after, rescored_before, None, None, ())

    delta = after.total - before.total
    base = before
    recipe = None
    if rescored_before is not None:
        if rescored_before.total is None:
            # The earlier data scores nothing under the new recipe, so the move
            # cannot be split by criterion: it is all put down to the recipe.
            return Explanation(before, after, rescored_before, delta, delta, ())
        recipe = rescored_before.total - before.total
        base = rescored_before

    return Explanation(
        before, after, rescored_before, delta, recipe, _lines(base, after)
    )


def _lines(base: AccountScore, after: AccountScore) -> tuple[ChangeLine, ...]:
    earlier = {c.path: c.contribution for c in base.criteria}
    lines = [
        ChangeLine(c.path, c.label, earlier.get(c.path), c.contribution)
        for c in after.criteria
    ]
    later_paths = {c.path for c in after.criteria}
    lines.extend(
        ChangeLine(c.path, c.label, c.contribution, None)
        for c in base.criteria
        if c.path not in later_paths
    )
    return tuple(lines)
