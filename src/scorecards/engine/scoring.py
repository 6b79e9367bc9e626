"""Scoring one account as of a moment, exactly as the scoring contract says."""

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from scorecards.engine.aggregates import Window
from scorecards.engine.scorecard import (
    Criterion,
    FillScore,
    FillValue,
    Grade,
    Group,
    Item,
    Scorecard,
)
from scorecards.engine.signals import (
    History,
    MetricSeries,
    from_timestamp,
    to_timestamp,
)


class Status(StrEnum):
    SCORED = "scored"
    INSUFFICIENT_DATA = "insufficient_data"
    UNSCORED = "unscored"


@dataclass(frozen=True, slots=True)
class CriterionScore:
    """One criterion's part in a score.

    ``missing`` says the data fell short of the criterion; ``filled`` says its
    ``missing`` rule stood in, which makes it present all the same. ``share`` is
    the criterion's effective share of the total, ``contribution`` its points.
    """

    key: str
    path: str
    label: str
    metric: str
    weight: float
    raw: float | None
    score: float | None
    share: float | None
    contribution: float | None
    count: int
    latest_at: datetime | None
    stale: bool
    missing: bool
    filled: bool
    overridden: bool = False

    @property
    def present(self) -> bool:
        return self.score is not None


@dataclass(frozen=True, slots=True)
class GroupScore:
    key: str
    path: str
    label: str
    weight: float
    score: float | None
    coverage: float
    share: float | None


@dataclass(frozen=True, slots=True)
class AccountScore:
    scorecard: Scorecard | None
    as_of: datetime
    status: Status
    total: float | None
    grade: Grade | None
    coverage: float
    criteria: tuple[CriterionScore, ...] = ()
    groups: tuple[GroupScore, ...] = ()
    overridden: bool = False  # the total was set by hand

    @property
    def scored(self) -> bool:
        return self.status is Status.SCORED

    def criterion(self, path: str) -> CriterionScore | None:
        return next((c for c in self.criteria if c.path == path), None)


@dataclass(frozen=True, slots=True)
class Leaf:
    """A criterion evaluated on its own, before weights are known."""

    raw: float | None
    score: float | None
    count: int
    latest_at: float | None
    stale: bool
    missing: bool
    filled: bool
    overridden: bool = False


# The key of ``overrides`` that sets the total itself, not a criterion.
OVERRIDE_TOTAL = "*"


@dataclass(frozen=True, slots=True)
class _Node:
    score: float | None
    coverage: float


def unscored(as_of: datetime) -> AccountScore:
    """The result for an account that no scorecard applies to."""
    return AccountScore(None, as_of, Status.UNSCORED, None, None, 0.0)


def score_account(
    scorecard: Scorecard,
    history: History,
    *,
    as_of: datetime,
    roles: Mapping[str, str] | None = None,
    overrides: Mapping[str, float] | None = None,
) -> AccountScore:
    """Score one account's history under ``scorecard`` as of ``as_of``.

    ``roles`` maps a contact's key to its role, for the stakeholder roll-up.
    Signals observed after ``as_of`` are ignored. ``overrides`` sets scores by
    hand: a criterion's (by its path), which then weighs in the total like any
    other score; or, under OVERRIDE_TOTAL, the total itself, which keeps the
    data's breakdown beside it.
    """
    t = to_timestamp(as_of)
    leaves = {
        path: evaluate_criterion(
            criterion, history[criterion.metric], t=t, roles=roles or {}
        )
        for path, criterion in scorecard.leaves()
    }
    return score_leaves(scorecard, leaves, as_of=as_of, overrides=overrides)


def score_leaves(
    scorecard: Scorecard,
    leaves: Mapping[str, Leaf],
    *,
    as_of: datetime,
    overrides: Mapping[str, float] | None = None,
) -> AccountScore:
    """The score from criteria already evaluated, one Leaf per leaf path of
    ``scorecard``: weights, groups, coverage, grade and overrides.

    A criterion's evaluation does not depend on its weight, so a scorecard
    that only reweighs or regrades can reuse the leaves of an earlier one.
    """
    leaves = dict(leaves)
    for path, value in (overrides or {}).items():
        if path in leaves:
            leaves[path] = replace(
                leaves[path], score=value, missing=False, filled=False, overridden=True
            )
    nodes: dict[str, _Node] = {}
    scores = {path: leaf.score for path, leaf in leaves.items()}
    top = _roll_up(scorecard.criteria, scores, nodes, prefix="")

    scored = top.score is not None and top.coverage >= scorecard.min_coverage
    status = Status.SCORED if scored else Status.INSUFFICIENT_DATA
    shares = _effective_shares(scorecard.criteria, leaves, nodes) if scored else {}

    criteria = tuple(
        _criterion_score(path, criterion, leaves[path], shares.get(path))
        for path, criterion in scorecard.leaves()
    )
    groups = tuple(
        GroupScore(
            key=group.key,
            path=path,
            label=group.label,
            weight=group.weight,
            score=nodes[path].score,
            coverage=nodes[path].coverage,
            share=shares.get(path),
        )
        for path, group in _groups(scorecard.criteria, prefix="")
    )
    total = top.score if scored else None
    by_hand = (overrides or {}).get(OVERRIDE_TOTAL)
    if by_hand is not None:
        total, status = by_hand, Status.SCORED
    grade = scorecard.grade_for(total) if total is not None else None
    return AccountScore(
        scorecard,
        as_of,
        status,
        total,
        grade,
        top.coverage,
        criteria,
        groups,
        overridden=by_hand is not None,
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """An account's status, total and grade, without the breakdown."""

    status: Status
    total: float | None
    grade: Grade | None


def summarize_leaves(
    scorecard: Scorecard,
    scores: Mapping[str, float | None],
    *,
    overrides: Mapping[str, float] | None = None,
) -> Summary:
    """What ``score_leaves`` says of status, total and grade, from each leaf
    path's score alone: all a preview of many accounts needs, at a fraction
    of the cost."""
    scores = dict(scores)
    for path, value in (overrides or {}).items():
        if path in scores:
            scores[path] = value
    top = _roll_up(scorecard.criteria, scores, {}, prefix="")
    scored = top.score is not None and top.coverage >= scorecard.min_coverage
    status = Status.SCORED if scored else Status.INSUFFICIENT_DATA
    total = top.score if scored else None
    by_hand = (overrides or {}).get(OVERRIDE_TOTAL)
    if by_hand is not None:
        total, status = by_hand, Status.SCORED
    grade = scorecard.grade_for(total) if total is not None else None
    return Summary(status, total, grade)


def evaluate_criterion(
    criterion: Criterion,
    series: MetricSeries | None,
    *,
    t: float,
    roles: Mapping[str, str],
) -> Leaf:
    """Window, aggregate, missing rule, normalize and staleness for one criterion."""
    window, latest_at = _window(criterion, series, t)
    raw, count = criterion.aggregate(window, roles)

    stale = (
        criterion.stale_after is not None
        and latest_at is not None
        and t - latest_at > criterion.stale_after.total_seconds()
    )
    raw, score, missing, filled = _judged(criterion, raw, count)
    return Leaf(raw, score, count, latest_at, stale, missing, filled)


def window_score(
    criterion: Criterion, window: Window, roles: Mapping[str, str]
) -> float | None:
    """The score ``evaluate_criterion`` gives ``criterion`` when ``window``
    holds exactly the signals inside its window: all a bulk preview needs."""
    raw, count = criterion.aggregate(window, roles)
    return _judged(criterion, raw, count)[1]


def _judged(
    criterion: Criterion, raw: float | None, count: int
) -> tuple[float | None, float | None, bool, bool]:
    """Raw value, score, missing and filled, once the missing rule has had
    its say on an aggregate's answer."""
    missing = raw is None or count < criterion.min_count
    match (missing, criterion.missing):
        case (False, _) if raw is not None:
            return raw, criterion.normalize(raw), False, False
        case (True, FillValue(value=value)):
            return value, criterion.normalize(value), True, True
        case (True, FillScore(score=score)):
            return None, score, True, True
        case _:
            return None, None, True, False


def _window(
    criterion: Criterion, series: MetricSeries | None, t: float
) -> tuple[Window, float | None]:
    """The signals inside ``t - window < observed_at <= t`` and the latest up to t."""
    if series is None:
        return Window((), (), (), t), None

    end = bisect_right(series.times, t)
    start = 0
    if criterion.window is not None:
        start = bisect_right(series.times, t - criterion.window.total_seconds(), 0, end)

    latest_at = series.times[end - 1] if end else series.earlier
    window = Window(
        series.times[start:end],
        series.values[start:end],
        series.contacts[start:end],
        t,
    )
    return window, latest_at


def _roll_up(
    items: tuple[Item, ...],
    scores: Mapping[str, float | None],
    nodes: dict[str, _Node],
    prefix: str,
) -> _Node:
    """Weighted mean of present children's scores, and the weighted coverage."""
    weighted = present_weight = covered = all_weight = 0.0
    for item in items:
        path = f"{prefix}{item.key}"
        if isinstance(item, Group):
            node = _roll_up(item.criteria, scores, nodes, prefix=f"{path}/")
            nodes[path] = node
            score, coverage = node.score, node.coverage
        else:
            score = scores[path]
            coverage = 1.0 if score is not None else 0.0

        all_weight += item.weight
        covered += item.weight * coverage
        if score is not None:
            present_weight += item.weight
            weighted += item.weight * score

    if present_weight <= 0:
        return _Node(None, covered / all_weight)
    # A weighted mean of scores within 0-100 can land a rounding error outside.
    score = min(100.0, max(0.0, weighted / present_weight))
    return _Node(score, covered / all_weight)


def _effective_shares(
    items: tuple[Item, ...],
    leaves: Mapping[str, Leaf],
    nodes: Mapping[str, _Node],
    prefix: str = "",
    share: float = 1.0,
) -> dict[str, float]:
    """Each present item's share of the total: the product of renormalized weights."""

    def score_of(path: str, item: Item) -> float | None:
        return nodes[path].score if isinstance(item, Group) else leaves[path].score

    present = [
        (f"{prefix}{item.key}", item)
        for item in items
        if score_of(f"{prefix}{item.key}", item) is not None
    ]
    present_weight = sum(item.weight for _, item in present)

    shares: dict[str, float] = {}
    for path, item in present:
        item_share = share * item.weight / present_weight
        shares[path] = item_share
        if isinstance(item, Group):
            shares.update(
                _effective_shares(item.criteria, leaves, nodes, f"{path}/", item_share)
            )
    return shares


def _groups(items: tuple[Item, ...], prefix: str) -> list[tuple[str, Group]]:
    found: list[tuple[str, Group]] = []
    for item in items:
        if isinstance(item, Group):
            path = f"{prefix}{item.key}"
            found.append((path, item))
            found.extend(_groups(item.criteria, prefix=f"{path}/"))
    return found


def _criterion_score(
    path: str, criterion: Criterion, leaf: Leaf, share: float | None
) -> CriterionScore:
    contribution = None
    if share is not None and leaf.score is not None:
        contribution = share * leaf.score
    return CriterionScore(
        key=criterion.key,
        path=path,
        label=criterion.label,
        metric=criterion.metric,
        weight=criterion.weight,
        raw=leaf.raw,
        score=leaf.score,
        share=share if leaf.score is not None else None,
        contribution=contribution,
        count=leaf.count,
        latest_at=from_timestamp(leaf.latest_at)
        if leaf.latest_at is not None
        else None,
        stale=leaf.stale,
        missing=leaf.missing,
        filled=leaf.filled,
        overridden=leaf.overridden,
    )
