"""Evidence: how well a scorecard predicted renewals and churn, and better weights.

Pure Python on top of the engine, with no Django: the web page, the API and the
offline ``scorecards backtest`` command all call this same code.
"""

from scorecards.evidence.backtest import (
    MIN_CHURNED,
    MIN_RETAINED,
    Backtest,
    Measures,
    backtest,
    backtest_json,
    measure,
)
from scorecards.evidence.cases import (
    BAD_KINDS,
    Case,
    LeftOut,
    Outcome,
    score_cases,
)
from scorecards.evidence.metrics import (
    auc_interval,
    pairwise_auc,
    roc_auc,
    roc_points,
)
from scorecards.evidence.weights import (
    MIN_EVENTS_PER_CRITERION,
    Suggestion,
    draft_definition,
    reweighted,
    suggest_weights,
    suggestion_json,
)
from scorecards.lib.outcomes import KINDS

__all__ = [
    "BAD_KINDS",
    "KINDS",
    "MIN_CHURNED",
    "MIN_EVENTS_PER_CRITERION",
    "MIN_RETAINED",
    "Backtest",
    "Case",
    "LeftOut",
    "Measures",
    "Outcome",
    "Suggestion",
    "auc_interval",
    "backtest",
    "backtest_json",
    "draft_definition",
    "measure",
    "pairwise_auc",
    "reweighted",
    "roc_auc",
    "roc_points",
    "score_cases",
    "suggest_weights",
    "suggestion_json",
]
