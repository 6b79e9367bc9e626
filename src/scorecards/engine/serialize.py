"""Scores as plain data: the one JSON shape the command line, the API and the
database all use."""

from datetime import datetime
from typing import Any

from scorecards.engine.scoring import AccountScore, CriterionScore


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or None."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def _weight(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def criterion_json(criterion: CriterionScore) -> dict[str, Any]:
    """A criterion's part; ``overridden`` appears only on one set by hand, so
    the offline command's output keeps the shape it has always had."""
    data = {
        "key": criterion.key,
        "path": criterion.path,
        "raw": criterion.raw,
        "score": criterion.score,
        "weight": _weight(criterion.weight),
        "share": criterion.share,
        "contribution": criterion.contribution,
        "count": criterion.count,
        "latest_at": iso(criterion.latest_at),
        "stale": criterion.stale,
        "missing": criterion.missing,
        "filled": criterion.filled,
    }
    if criterion.overridden:
        data["overridden"] = True
    return data


def account_json(account: str, result: AccountScore) -> dict[str, Any]:
    data = {
        "account": account,
        "scorecard": result.scorecard.key if result.scorecard else None,
        "score": result.total,
        "grade": result.grade.name if result.grade else None,
        "coverage": result.coverage,
        "status": str(result.status),
        "criteria": [criterion_json(c) for c in result.criteria],
    }
    if result.overridden:
        data["overridden"] = True
    return data
