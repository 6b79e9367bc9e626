"""The evidence page: how well a scorecard foretold renewals and churn, and the
weights the outcomes suggest, beside the current ones.

Charts are SVG drawn on the server, as on the account page. The suggestion is
shown and offered as a draft file to download; nothing here publishes it.
"""

import math
from typing import Any

import yaml
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from scorecards.outcomes.models import Outcome

CHART = 240  # the ROC chart's side, in SVG units
CALIBRATION_WIDTH, CALIBRATION_HEIGHT = 360, 200
LEAD_CHOICES = (30, 60, 90, 180)
DEFAULT_LEAD = 90


def _lead_days(request: HttpRequest) -> int:
    try:
        lead = int(request.GET.get("lead_days", DEFAULT_LEAD))
    except ValueError:
        return DEFAULT_LEAD
    return lead if 0 <= lead <= 730 else DEFAULT_LEAD


def roc_path(points: Any) -> str:
    """The ROC curve's points in the chart's units (its origin at the foot)."""
    return " ".join(f"{CHART * x:.1f},{CHART * (1 - y):.1f}" for x, y in points)


def calibration_top(*measures: Any) -> float:
    """The top of the churn-by-score chart: the highest churn rate of a band,
    rounded up to a tenth, so a book that churns little still shows its slope."""
    rates = [
        band.churn_rate
        for found in measures
        if found is not None
        for band in found.bands
        if band.cases
    ]
    return max(0.1, math.ceil(max(rates, default=0.1) * 10) / 10)


def calibration_points(bands: Any, top: float) -> list[dict[str, Any]]:
    """Each band of score with cases, placed at its mean score and churn rate."""
    return [
        {
            "x": round(CALIBRATION_WIDTH * band.mean_score / 100, 1),
            "y": round(CALIBRATION_HEIGHT * (1 - band.churn_rate / top), 1),
            "label": f"{band.label}: {band.churned} of {band.cases} churned",
        }
        for band in bands
        if band.cases
    ]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _rows(buckets: Any) -> list[dict[str, Any]]:
    return [
        {
            "label": bucket.label.replace("_", " "),
            "cases": bucket.cases,
            "churned": bucket.churned,
            "rate": _percent(bucket.churn_rate),
            "scores": f"{bucket.low:.1f}–{bucket.high:.1f}"
            if bucket.low is not None
            else "",
        }
        for bucket in buckets
    ]


def _measures(measures: Any, top: float) -> dict[str, Any]:
    return {
        "auc": _number(measures.auc),
        "auc_low": _number(measures.auc_low),
        "auc_high": _number(measures.auc_high),
        "churn_rate": _percent(measures.churn_rate),
        "lift": _number(measures.worst_decile_lift, 1),
        "roc": roc_path(measures.roc),
        "calibration": calibration_points(measures.bands, top),
        "by_grade": _rows(measures.by_grade),
        "by_decile": _rows(measures.by_decile),
        "raw": measures,
    }


def _weights(result: Any) -> list[dict[str, Any]]:
    """The suggested weights beside the current ones and each criterion's AUC."""
    aucs = {c.path: c.auc for c in result.current.criteria}
    return [
        {
            "path": weight.path,
            "auc": _number(aucs.get(weight.path)),
            "current": f"{weight.current:.1f}",
            "suggested": f"{weight.suggested:.1f}",
            "range": f"{weight.low:.1f}–{weight.high:.1f}",
            "note": weight.note,
        }
        for weight in result.suggestion.weights
    ]


def _draft(stored: Any) -> dict[str, Any] | None:
    from scorecards.evidence import draft_definition

    suggestion = stored.result.suggestion
    if not suggestion.fitted:
        return None
    return draft_definition(stored.version.definition, suggestion.as_weights())


@login_required
@require_safe
def evidence(request: HttpRequest, key: str) -> HttpResponse:
    # The evidence package brings in numpy and scikit-learn: only this page
    # and the backtest API pay for loading them.
    from scorecards.outcomes.backtest import backtest_stored

    lead_days = _lead_days(request)
    stored = backtest_stored(key=key, lead_days=lead_days, now=timezone.now())
    result = stored.result
    draft = _draft(stored)
    top = calibration_top(result.current, result.fitted)
    context = {
        "key": key,
        "version": stored.version,
        "lead_days": lead_days,
        "lead_choices": LEAD_CHOICES,
        "outcomes": Outcome.objects.count(),
        "result": result,
        "current": _measures(result.current, top),
        "fitted": _measures(result.fitted, top) if result.fitted else None,
        "calibration_top": f"{top:.0%}",
        "suggestion": result.suggestion,
        "weights": _weights(result),
        "draft_yaml": yaml.safe_dump(draft, sort_keys=False) if draft else "",
        "chart": CHART,
        "calibration_width": CALIBRATION_WIDTH,
        "calibration_height": CALIBRATION_HEIGHT,
    }
    return render(request, "outcomes/evidence.html", context)


@login_required
@require_safe
def draft(request: HttpRequest, key: str) -> HttpResponse:
    """The scorecard with the suggested weights, as a file to review and publish."""
    from scorecards.outcomes.backtest import backtest_stored

    lead_days = _lead_days(request)
    stored = backtest_stored(key=key, lead_days=lead_days, now=timezone.now())
    found = _draft(stored)
    if found is None:
        message = "Too few outcomes to suggest weights; see the evidence page.\n"
        return HttpResponse(message, status=404, content_type="text/plain")

    text = (
        f"# Draft: {key} with weights fitted to {len(stored.result.cases)} "
        f"outcomes, {lead_days} days ahead. Not published.\n"
        + yaml.safe_dump(found, sort_keys=False)
    )
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}-draft.yaml"'
    return response
