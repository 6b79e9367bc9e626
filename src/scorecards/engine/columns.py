"""Rolling up many accounts at once, a column per leaf: the bulk path of a
scorecard preview, where only status, total and grade are wanted.

A column holds one leaf's score for every account, NaN where it is missing.
The arithmetic is ``scoring._roll_up``'s, step for step, on whole columns;
numpy rounds each float64 operation as Python does, so every total is the
very float ``summarize_leaves`` gives (a property test holds them to it).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scorecards.engine.scorecard import Group, Item, Scorecard
from scorecards.engine.scoring import Status, Summary

type Column = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Totals:
    """What ``summarize_leaves`` says of many accounts, a column each."""

    scored: npt.NDArray[np.bool_]  # else too little data
    total: Column  # NaN where not scored
    grade: npt.NDArray[np.int64]  # index into the grades; -1 for none

    def summaries(self, scorecard: Scorecard) -> list[Summary]:
        """Each account's ``Summary``, as ``summarize_leaves`` gives it."""
        grades = [*scorecard.grades, None]  # index -1: no grade
        return [
            Summary(Status.SCORED, total, grades[grade])
            if is_scored
            else Summary(Status.INSUFFICIENT_DATA, None, None)
            for is_scored, total, grade in zip(
                self.scored.tolist(), self.total.tolist(), self.grade.tolist(),
                strict=True,
            )
        ]  # fmt: skip


def total_columns(
    scorecard: Scorecard, scores: Mapping[str, Column], size: int
) -> Totals:
    """What ``summarize_leaves`` says of each of ``size`` accounts, given
    every leaf path's scores as a column (no overrides: an account with one
    is summarized on its own)."""
    score, coverage = _roll_up(scorecard.criteria, scores, "", size)
    scored = ~np.isnan(score) & (coverage >= scorecard.min_coverage)
    # As ``Scorecard.grade_for``: the first grade the total reaches; walking
    # them backwards, the first one reached is the last one written.
    grades = np.full(size, -1)
    for index in reversed(range(len(scorecard.grades))):
        reached = score >= scorecard.grades[index].min - 1e-9
        grades[scored & reached] = index
    return Totals(scored, np.where(scored, score, np.nan), grades)


def _roll_up(
    items: tuple[Item, ...], scores: Mapping[str, Column], prefix: str, size: int
) -> tuple[Column, Column]:
    """Each account's weighted mean of its present children's scores (NaN
    with none present), and its weighted coverage."""
    weighted, present_weight, covered = np.zeros(size), np.zeros(size), np.zeros(size)
    all_weight = 0.0
    for item in items:
        path = f"{prefix}{item.key}"
        if isinstance(item, Group):
            score, coverage = _roll_up(item.criteria, scores, f"{path}/", size)
        else:
            score = scores[path]
            coverage = np.where(np.isnan(score), 0.0, 1.0)
        present = ~np.isnan(score)
        all_weight += item.weight
        covered += item.weight * coverage
        # Adding 0.0 where a child is absent leaves a sum exactly as it was.
        present_weight += np.where(present, item.weight, 0.0)
        weighted += np.where(present, item.weight * score, 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.minimum(100.0, np.maximum(0.0, weighted / present_weight))
    return np.where(present_weight > 0, mean, np.nan), covered / all_weight
