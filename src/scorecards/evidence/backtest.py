"""A backtest: the scorecard's scores a lead time before each outcome, measured
against what happened; and the same for a scorecard with the suggested weights.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scorecards.engine import History, Scorecard
from scorecards.engine.serialize import iso
from scorecards.evidence.cases import (
    BAD_KINDS,
    NO_SCORECARD,
    OTHER_SCORECARD,
    Case,
    LeftOut,
    Outcome,
    score_cases,
)
from scorecards.evidence.metrics import (
    Bucket,
    auc_interval,
    deciles,
    roc_auc,
    roc_points,
    score_bands,
)
from scorecards.evidence.weights import (
    Suggestion,
    reweighted,
    suggest_weights,
    suggestion_json,
)

# Below this many churned, or retained, cases the figures are shown with a
# warning: with 20 churned accounts an AUC of 0.75 is only known to within
# about +/- 0.1, and one account moves a decile's churn rate by several points.
MIN_CHURNED = 20
MIN_RETAINED = 20


@dataclass(frozen=True, slots=True)
class CriterionAuc:
    path: str
    auc: float | None
    cases: int  # cases in which the criterion had a score
    churned: int


@dataclass(frozen=True, slots=True)
class Measures:
    """How well one scorecard's scores foretold the outcomes of the cases."""

    scorecard: str
    cases: int
    churned: int
    auc: float | None
    auc_low: float | None
    auc_high: float | None
    roc: tuple[tuple[float, float], ...]
    by_grade: tuple[Bucket, ...]
    by_decile: tuple[Bucket, ...]
    bands: tuple[Bucket, ...]
    churn_rate: float | None
    worst_decile_lift: float | None
    healthy_grade: str | None
    churned_but_healthy: int
    criteria: tuple[CriterionAuc, ...]

    @property
    def retained(self) -> int:
        return self.cases - self.churned


@dataclass(frozen=True, slots=True)
class Backtest:
    scorecard: Scorecard
    lead: timedelta
    cases: tuple[Case, ...]
    left_out: tuple[LeftOut, ...]
    current: Measures
    suggestion: Suggestion
    fitted: Measures | None  # the scorecard with the suggested weights
    warnings: tuple[str, ...]

    @property
    def left_out_count(self) -> int:
        return sum(item.count for item in self.left_out)


def backtest(
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
    resamples: int = 200,
) -> Backtest:
    """Score every outcome's account ``lead`` before it, measure, suggest weights,
    and measure the scorecard with those weights on the same outcomes."""
    outcomes = list(outcomes)
    common: dict[str, Any] = {
        "outcomes": outcomes,
        "accounts": accounts,
        "histories": histories,
        "roles": roles,
        "others": others,
        "lead": lead,
        "now": now,
        "bad_kinds": bad_kinds,
    }
    cases, left_out = score_cases(scorecard=scorecard, **common)
    current = measure(scorecard, cases)
    suggestion = suggest_weights(scorecard, cases, resamples=resamples)

    fitted = None
    if suggestion.fitted:
        card = reweighted(scorecard, suggestion.as_weights())
        # The same outcomes, scored again under the draft; its scorecard key
        # is the same, so it governs the same accounts.
        refitted, _ = score_cases(scorecard=card, **common)
        fitted = measure(card, refitted)

    return Backtest(
        scorecard=scorecard,
        lead=lead,
        cases=tuple(cases),
        left_out=tuple(left_out),
        current=current,
        suggestion=suggestion,
        fitted=fitted,
        warnings=tuple(_warnings(current, left_out)),
    )


def _warnings(current: Measures, left_out: Sequence[LeftOut]) -> list[str]:
    warnings = []
    if current.churned < MIN_CHURNED or current.retained < MIN_RETAINED:
        warnings.append(
            f"too few outcomes to trust these figures: {current.churned} churned "
            f"and {current.retained} retained accounts were scored; at least "
            f"{MIN_CHURNED} churned and {MIN_RETAINED} retained are needed"
        )
    # Outcomes of accounts another scorecard governs are not this one's to
    # foretell; the others say something is missing from the data.
    elsewhere = {NO_SCORECARD, OTHER_SCORECARD}
    skipped = sum(item.count for item in left_out if item.reason not in elsewhere)
    if skipped and skipped >= current.cases:
        warnings.append(
            f"{skipped} outcomes of accounts this scorecard governs were left out, "
            f"as many as or more than the {current.cases} scored: see why below"
        )
    return warnings


def measure(scorecard: Scorecard, cases: Sequence[Case]) -> Measures:
    churned = [case.churned for case in cases]
    scores = [case.total for case in cases]
    bad = sum(churned)

    auc = roc_auc(churned, scores)
    low = high = None
    if auc is not None:
        low, high = auc_interval(auc, bad, len(cases) - bad)

    by_decile = deciles(churned, scores)
    rate = bad / len(cases) if cases else None
    lift = None
    if by_decile and rate:
        worst = by_decile[0].churn_rate
        lift = worst / rate if worst is not None else None

    healthy = scorecard.grades[0].name if scorecard.grades else None
    return Measures(
        scorecard=scorecard.key,
        cases=len(cases),
        churned=bad,
        auc=auc,
        auc_low=low,
        auc_high=high,
        roc=tuple(roc_points(churned, scores)),
        by_grade=tuple(_by_grade(scorecard, cases)),
        by_decile=tuple(by_decile),
        bands=tuple(score_bands(churned, scores)),
        churn_rate=rate,
        worst_decile_lift=lift,
        healthy_grade=healthy,
        churned_but_healthy=sum(
            1
            for case in cases
            if case.churned and case.result.grade and case.result.grade.name == healthy
        ),
        criteria=tuple(_criterion_aucs(scorecard, cases)),
    )


def _by_grade(scorecard: Scorecard, cases: Sequence[Case]) -> list[Bucket]:
    names = [grade.name for grade in scorecard.grades]
    buckets = []
    for name in names:
        inside = [c for c in cases if c.result.grade and c.result.grade.name == name]
        buckets.append(
            Bucket(
                label=name,
                cases=len(inside),
                churned=sum(1 for c in inside if c.churned),
            )
        )
    ungraded = [c for c in cases if c.result.grade is None]
    if ungraded:
        churned = sum(1 for c in ungraded if c.churned)
        buckets.append(Bucket("no grade", len(ungraded), churned))
    return buckets


def _criterion_aucs(scorecard: Scorecard, cases: Sequence[Case]) -> list[CriterionAuc]:
    found = []
    for path, _ in scorecard.leaves():
        pairs = [
            (case.churned, score)
            for case in cases
            if (score := case.criterion_scores().get(path)) is not None
        ]
        churned = [c for c, _ in pairs]
        scores = [s for _, s in pairs]
        found.append(
            CriterionAuc(path, roc_auc(churned, scores), len(pairs), sum(churned))
        )
    return found


def _bucket_json(bucket: Bucket) -> dict[str, Any]:
    return {
        "label": bucket.label,
        "cases": bucket.cases,
        "churned": bucket.churned,
        "churn_rate": bucket.churn_rate,
        "low": bucket.low,
        "high": bucket.high,
        "mean_score": bucket.mean_score,
    }


def measures_json(measures: Measures) -> dict[str, Any]:
    return {
        "cases": measures.cases,
        "churned": measures.churned,
        "retained": measures.retained,
        "auc": measures.auc,
        "auc_interval": [measures.auc_low, measures.auc_high]
        if measures.auc is not None
        else None,
        "churn_rate": measures.churn_rate,
        "worst_decile_lift": measures.worst_decile_lift,
        "healthy_grade": measures.healthy_grade,
        "churned_but_healthy": measures.churned_but_healthy,
        "by_grade": [_bucket_json(b) for b in measures.by_grade],
        "by_decile": [_bucket_json(b) for b in measures.by_decile],
        "criteria": [
            {"path": c.path, "auc": c.auc, "cases": c.cases, "churned": c.churned}
            for c in measures.criteria
        ],
        "roc": [list(point) for point in measures.roc],
    }


def backtest_json(result: Backtest) -> dict[str, Any]:
    return {
        "scorecard": result.scorecard.key,
        "lead_days": result.lead.days,
        "outcomes": len(result.cases) + result.left_out_count,
        "scored": len(result.cases),
        "left_out": [
            {"reason": item.reason, "count": item.count} for item in result.left_out
        ],
        "warnings": list(result.warnings),
        "current": measures_json(result.current),
        "suggested_weights": suggestion_json(result.suggestion),
        "fitted": measures_json(result.fitted) if result.fitted else None,
        "cases": [
            {
                "account": case.outcome.account,
                "outcome": case.outcome.kind,
                "decided_at": iso(case.outcome.decided_at),
                "as_of": iso(case.as_of),
                "score": case.total,
                "grade": case.result.grade.name if case.result.grade else None,
            }
            for case in result.cases
        ],
    }
