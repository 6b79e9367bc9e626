"""How well a score separates the accounts that churned from those that stayed.

The score is a health score: a low score should go with churn. So every figure
here reads "low score predicts churn": the ROC curve and its area are those of
the score turned upside down.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def roc_auc(churned: Sequence[bool], scores: Sequence[float]) -> float | None:
    """The area under the ROC curve of a low score for churn; None without both
    a churned and a retained case. 1 is perfect, 0.5 is a coin toss."""
    labels = np.asarray(churned, dtype=bool)
    if labels.all() or not labels.any():
        return None
    return float(roc_auc_score(labels, -np.asarray(scores, dtype=float)))


def pairwise_auc(churned: Sequence[bool], scores: Sequence[float]) -> float | None:
    """The same area counted directly: of every (churned, retained) pair, the
    share where the churned account scored lower, ties counting half."""
    bad = [s for s, c in zip(scores, churned, strict=True) if c]
    good = [s for s, c in zip(scores, churned, strict=True) if not c]
    if not bad or not good:
        return None
    wins = sum(1.0 if b < g else 0.5 if b == g else 0.0 for b in bad for g in good)
    return wins / (len(bad) * len(good))


def auc_interval(auc: float, churned: int, retained: int) -> tuple[float, float]:
    """A 95 % interval for an AUC, from Hanley and McNeil's standard error."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (churned - 1) * (q1 - auc**2) + (retained - 1) * (q2 - auc**2)
    ) / (churned * retained)
    error = 1.96 * math.sqrt(max(variance, 0.0))
    return max(0.0, auc - error), min(1.0, auc + error)


def roc_points(
    churned: Sequence[bool], scores: Sequence[float]
) -> list[tuple[float, float]]:
    """The ROC curve as (false positive rate, true positive rate) points."""
    labels = np.asarray(churned, dtype=bool)
    if labels.all() or not labels.any():
        return []
    fpr, tpr, _ = roc_curve(labels, -np.asarray(scores, dtype=float))
    return [(float(x), float(y)) for x, y in zip(fpr, tpr, strict=True)]


@dataclass(frozen=True, slots=True)
class Bucket:
    """A slice of the cases: its label, size, churned count and score range."""

    label: str
    cases: int
    churned: int
    low: float | None = None
    high: float | None = None
    mean_score: float | None = None
    predicted: float | None = None  # the fitted model's mean churn probability

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.cases if self.cases else None


def deciles(churned: Sequence[bool], scores: Sequence[float]) -> list[Bucket]:
    """The cases in ten groups of (nearly) equal size by score, the lowest first.

    With fewer than ten cases there are as many groups as cases.
    """
    order = np.argsort(np.asarray(scores, dtype=float), kind="stable")
    groups = np.array_split(order, min(10, len(order))) if len(order) else []
    buckets = []
    for number, group in enumerate(groups, start=1):
        values = [scores[i] for i in group]
        buckets.append(
            Bucket(
                label=str(number),
                cases=len(group),
                churned=sum(1 for i in group if churned[i]),
                low=min(values),
                high=max(values),
                mean_score=sum(values) / len(values),
            )
        )
    return buckets


def score_bands(
    churned: Sequence[bool],
    scores: Sequence[float],
    predicted: Sequence[float] | None = None,
    width: int = 10,
) -> list[Bucket]:
    """Churn by band of score (0-10, 10-20, ... 90-100), for the calibration
    chart: what share of the accounts at each score went on to churn."""
    buckets = []
    for low in range(0, 100, width):
        high = low + width
        inside = [
            i
            for i, score in enumerate(scores)
            if low <= score < high or (high == 100 and score == 100)
        ]
        mean = sum(scores[i] for i in inside) / len(inside) if inside else None
        mean_predicted = None
        if predicted is not None and inside:
            mean_predicted = sum(predicted[i] for i in inside) / len(inside)
        buckets.append(
            Bucket(
                label=f"{low}-{high}",
                cases=len(inside),
                churned=sum(1 for i in inside if churned[i]),
                low=float(low),
                high=float(high),
                mean_score=mean,
                predicted=mean_predicted,
            )
        )
    return buckets
