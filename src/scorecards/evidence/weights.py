"""Suggesting weights: a regularized logistic regression of churn on the criteria.

The model is ``logit P(churn) = b0 + sum(b_i * s_i / 100)`` over the criterion
scores ``s_i`` (0-100) at the as-of time. A total that weighs the criteria by
``-b_i`` ranks accounts exactly as the fitted model does, so ``-b_i``, scaled
to add up to 100, is the suggested weight of criterion ``i``. A criterion whose
higher score went with *more* churn gets no weight from the model: it is kept
at the smallest weight in the draft, with a note, for a person to decide on.

- The penalty (L2) is chosen by stratified cross-validation on the log loss.
- The fitted model's own AUC is measured out of fold, so it is not flattered
  by scoring the cases it was fitted to.
- The uncertainty of each weight is the 5th to 95th percentile of the weights
  fitted to bootstrap resamples of the cases.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict

from scorecards.engine import Criterion, Group, Scorecard
from scorecards.engine.scorecard import Item
from scorecards.evidence.cases import Case

# Below this many cases of either kind no weights are suggested at all: the
# folds of the cross-validation would hold almost nothing.
MIN_FIT = 5
# The usual rule of thumb for a logistic regression: fewer than ten churned
# cases per criterion and the weights are rough. They are still shown, with
# their wide intervals and a warning.
MIN_EVENTS_PER_CRITERION = 10
# The smallest weight (of 100) a criterion keeps in a draft: a scorecard's
# weights must be positive, and dropping a criterion would change coverage.
MIN_DRAFT_WEIGHT = 0.5
PENALTIES = np.logspace(-2, 3, 12)


def _model(penalty: float = 1.0) -> Any:
    # Newton steps suit a handful of criteria: a few exact steps, where L-BFGS
    # takes dozens of small ones.
    return LogisticRegression(C=penalty, solver="newton-cholesky", max_iter=200)


@dataclass(frozen=True, slots=True)
class SuggestedWeight:
    path: str
    current: float  # its share of the total today, in points of 100
    suggested: float  # in points of 100
    low: float  # 5th percentile over the bootstrap resamples
    high: float  # 95th percentile
    coefficient: float  # change of the log-odds of churn per 100 points
    cases: int  # cases in which the criterion had a score
    note: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    weights: tuple[SuggestedWeight, ...]
    penalty: float | None
    cv_auc: float | None
    folds: int
    resamples: int
    warnings: tuple[str, ...]
    predicted: tuple[float, ...] = ()  # out-of-fold churn probability per case

    @property
    def fitted(self) -> bool:
        return bool(self.weights)

    def as_weights(self) -> dict[str, float]:
        return {w.path: max(w.suggested, MIN_DRAFT_WEIGHT) for w in self.weights}


def nominal_shares(scorecard: Scorecard) -> dict[str, float]:
    """Each criterion's share of the total, in points of 100, when all are present."""
    shares: dict[str, float] = {}

    def walk(items: tuple[Item, ...], prefix: str, share: float) -> None:
        total = sum(item.weight for item in items)
        for item in items:
            path = f"{prefix}{item.key}"
            part = share * item.weight / total
            if isinstance(item, Group):
                walk(item.criteria, f"{path}/", part)
            else:
                shares[path] = 100 * part

    walk(scorecard.criteria, "", 1.0)
    return shares


def suggest_weights(
    scorecard: Scorecard,
    cases: Sequence[Case],
    *,
    resamples: int = 200,
    seed: int = 0,
) -> Suggestion:
    """Fit weights for ``scorecard``'s criteria to the outcomes of ``cases``."""
    churned = sum(1 for case in cases if case.churned)
    retained = len(cases) - churned
    if churned < MIN_FIT or retained < MIN_FIT:
        warning = (
            f"too few outcomes to fit weights: {churned} churned and {retained} "
            f"retained; at least {MIN_FIT} of each are needed"
        )
        return Suggestion((), None, None, 0, 0, (warning,))

    paths = [path for path, _ in scorecard.leaves()]
    matrix, present = _features(cases, paths)
    fitted = [i for i, count in enumerate(present) if count > 0]
    x = matrix[:, fitted]
    y = np.array([case.churned for case in cases], dtype=int)
    folds = min(5, churned, retained)
    fit = _fit(x, y, folds, seed)
    spread = _bootstrap(x, y, fit.penalty, resamples, seed)

    warnings = []
    if churned < MIN_EVENTS_PER_CRITERION * len(fitted):
        warnings.append(
            f"{churned} churned accounts for {len(fitted)} criteria: fewer than "
            f"{MIN_EVENTS_PER_CRITERION} per criterion, so these weights are rough"
        )
    suggested = _normalized(fit.coefficients)
    if suggested is None:
        warnings.append("no criterion's score went with less churn")
        return Suggestion((), fit.penalty, fit.cv_auc, folds, 0, tuple(warnings))

    current = nominal_shares(scorecard)
    weights = []
    for i, path in enumerate(paths):
        if i not in fitted:
            note = "never had a score in these cases; kept at the smallest weight"
            weights.append(SuggestedWeight(path, current[path], 0, 0, 0, 0, 0, note))
            continue
        column = fitted.index(i)
        low, high = np.percentile(spread[:, column], [5, 95]) if len(spread) else (0, 0)
        weights.append(
            SuggestedWeight(
                path=path,
                current=current[path],
                suggested=float(suggested[column]),
                low=float(low),
                high=float(high),
                coefficient=float(fit.coefficients[column]),
                cases=present[i],
                note=_note(float(fit.coefficients[column])),
            )
        )
    return Suggestion(
        tuple(weights),
        fit.penalty,
        fit.cv_auc,
        folds,
        len(spread),
        tuple(warnings),
        fit.predicted,
    )


@dataclass(frozen=True, slots=True)
class _Fit:
    penalty: float
    coefficients: Any
    cv_auc: float
    predicted: tuple[float, ...]  # out of fold


def _fit(x: Any, y: Any, folds: int, seed: int) -> _Fit:
    """The penalty by cross-validated log loss, the out-of-fold predictions and
    their AUC, and the coefficients fitted to every case."""
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    search = GridSearchCV(
        _model(), {"C": PENALTIES}, cv=splitter, scoring="neg_log_loss"
    ).fit(x, y)
    penalty = float(search.best_params_["C"])

    model = _model(penalty)
    predicted = cross_val_predict(model, x, y, cv=splitter, method="predict_proba")
    coefficients = model.fit(x, y).coef_[0]
    return _Fit(
        penalty,
        coefficients,
        float(roc_auc_score(y, predicted[:, 1])),
        tuple(float(p) for p in predicted[:, 1]),
    )


def _note(coefficient: float) -> str:
    if coefficient > 0:
        return "a higher score went with more churn: check how it is normalized"
    return ""


def _features(cases: Sequence[Case], paths: list[str]) -> tuple[Any, list[int]]:
    """Criterion scores in 0-1, one row per case. A criterion missing from a
    case takes its mean over the cases that have it: the engine leaves such a
    criterion out of the total, and the mean neither helps nor hurts."""
    rows = [case.criterion_scores() for case in cases]
    matrix = np.zeros((len(cases), len(paths)))
    present = []
    for j, path in enumerate(paths):
        values = [row.get(path) for row in rows]
        known = [v for v in values if v is not None]
        present.append(len(known))
        mean = sum(known) / len(known) if known else 0.0
        matrix[:, j] = [(mean if v is None else v) / 100 for v in values]
    return matrix, present


def _normalized(coefficients: Any) -> Any:
    """Weights in points of 100 from coefficients: ``-b``, none below zero."""
    raw = np.clip(-np.asarray(coefficients, dtype=float), 0, None)
    total = raw.sum()
    if total <= 0:
        return None
    return 100 * raw / total


def _bootstrap(x: Any, y: Any, penalty: float, resamples: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(resamples):
        picked = rng.integers(0, len(y), len(y))
        if y[picked].min() == y[picked].max():
            continue  # a resample of one kind fits nothing
        model = LogisticRegression(
            C=penalty, solver="newton-cholesky", max_iter=200
        ).fit(x[picked], y[picked])
        weights = _normalized(model.coef_[0])
        if weights is not None:
            found.append(weights)
    return np.array(found) if found else np.zeros((0, x.shape[1]))


def reweighted(scorecard: Scorecard, weights: Mapping[str, float]) -> Scorecard:
    """``scorecard`` with these criterion weights (by path); a group weighs the
    sum of its criteria, so each criterion's share of the total is its weight."""

    def walk(items: tuple[Item, ...], prefix: str) -> tuple[Item, ...]:
        changed: list[Item] = []
        for item in items:
            path = f"{prefix}{item.key}"
            if isinstance(item, Group):
                children = walk(item.criteria, f"{path}/")
                weight = sum(child.weight for child in children)
                changed.append(replace(item, criteria=children, weight=weight))
            elif isinstance(item, Criterion):
                changed.append(replace(item, weight=weights.get(path, item.weight)))
        return tuple(changed)

    return replace(scorecard, criteria=walk(scorecard.criteria, ""), version=None)


def draft_definition(
    definition: Mapping[str, Any], weights: Mapping[str, float]
) -> dict[str, Any]:
    """The scorecard file's data with the suggested weights written in, rounded
    to one decimal; everything else is kept as it was."""

    def walk(items: list[Any], prefix: str) -> tuple[list[Any], float]:
        changed, total = [], 0.0
        for item in items:
            item = dict(item)
            if "group" in item:
                path = f"{prefix}{item['group']}"
                item["criteria"], weight = walk(item["criteria"], f"{path}/")
            else:
                path = f"{prefix}{item['key']}"
                weight = round(float(weights.get(path, item["weight"])), 1)
            item["weight"] = round(weight, 1)
            total += weight
            changed.append(item)
        return changed, total

    draft = dict(definition)
    draft["criteria"], _ = walk(list(definition["criteria"]), "")
    return draft


def suggestion_json(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "fitted": suggestion.fitted,
        "penalty": suggestion.penalty,
        "cv_auc": suggestion.cv_auc,
        "folds": suggestion.folds,
        "resamples": suggestion.resamples,
        "warnings": list(suggestion.warnings),
        "weights": [
            {
                "path": w.path,
                "current": w.current,
                "suggested": w.suggested,
                "low": w.low,
                "high": w.high,
                "coefficient": w.coefficient,
                "cases": w.cases,
                "note": w.note or None,
            }
            for w in suggestion.weights
        ],
    }
