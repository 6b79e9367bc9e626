"""The scoring engine: signals and a scorecard in, an explained score out.

Pure Python with no I/O beyond reading a scorecard file, and no Django: the web
app, the workers and the offline command all call this same code.
"""

from scorecards.engine.columns import Totals, total_columns
from scorecards.engine.durations import format_duration, parse_duration
from scorecards.engine.explain import (
    ChangeLine,
    Explanation,
    explain_change,
    explain_scores,
)
from scorecards.engine.parsing import (
    build_scorecard,
    decode_scorecard,
    load_scorecard,
    parse_scorecard,
)
from scorecards.engine.portfolio import score_portfolio
from scorecards.engine.problems import Problem, ScorecardError
from scorecards.engine.scorecard import (
    Criterion,
    Grade,
    Group,
    Scorecard,
    choose_scorecard,
)
from scorecards.engine.scoring import (
    OVERRIDE_TOTAL,
    AccountScore,
    CriterionScore,
    GroupScore,
    Leaf,
    Status,
    Summary,
    evaluate_criterion,
    score_account,
    score_leaves,
    summarize_leaves,
    unscored,
    window_score,
)
from scorecards.engine.signals import (
    History,
    HistoryBuilder,
    MetricSeries,
    Signal,
    histories_by_account,
    to_timestamp,
)

__all__ = [
    "OVERRIDE_TOTAL",
    "AccountScore",
    "ChangeLine",
    "Criterion",
    "CriterionScore",
    "Explanation",
    "Grade",
    "Group",
    "GroupScore",
    "History",
    "HistoryBuilder",
    "Leaf",
    "MetricSeries",
    "Problem",
    "Scorecard",
    "ScorecardError",
    "Signal",
    "Status",
    "Summary",
    "Totals",
    "build_scorecard",
    "choose_scorecard",
    "decode_scorecard",
    "evaluate_criterion",
    "explain_change",
    "explain_scores",
    "format_duration",
    "histories_by_account",
    "load_scorecard",
    "parse_duration",
    "parse_scorecard",
    "score_account",
    "score_leaves",
    "score_portfolio",
    "summarize_leaves",
    "to_timestamp",
    "total_columns",
    "unscored",
    "window_score",
]
