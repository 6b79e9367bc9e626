"""Outcomes in and out, and the backtest of a scorecard against them.

``POST /outcomes`` records renewals and churns by (source, id), so a retried
batch changes nothing; ``GET /scorecards/{key}/backtest`` says how well the
scorecard foretold them, and ``GET /scorecards/{key}/suggested-weights`` what
weights the outcomes suggest, as a draft that is never published by itself.
"""

from datetime import datetime
from typing import Annotated, Any

import yaml
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from scorecards.api.batches import json_body, read_batch
from scorecards.api.errors import InvalidInput
from scorecards.engine.serialize import iso
from scorecards.lib.outcomes import derived_id, parse_decided, parse_kind
from scorecards.outcomes.models import Outcome, OutcomeKind
from scorecards.outcomes.service import MAX_BATCH, unknown_accounts, upsert_outcomes

router = Router(tags=["outcomes"])

Key = Annotated[str, Field(min_length=1, max_length=200)]
MAX_LEAD_DAYS = 730


class OutcomeIn(BaseModel):
    """What became of an account: renewal, churn, downgrade or expansion."""

    model_config = ConfigDict(extra="forbid")

    account: Key
    outcome: Annotated[str, AfterValidator(parse_kind)]
    decided_at: Annotated[
        str,
        Field(description="a day (2026-03-31) or an ISO 8601 time with a zone"),
        AfterValidator(lambda text: parse_decided(text).isoformat()),
    ]
    source: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    id: Key | None = Field(
        default=None, description="the outcome's id at its source; a retry with "
        "the same source and id updates it instead of adding another"
    )  # fmt: skip


class OutcomeBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcomes: Annotated[list[OutcomeIn], Field(max_length=MAX_BATCH)]


class OutcomesStored(BaseModel):
    created: int
    updated: int = Field(description="outcomes whose kind, time or account changed")
    unchanged: int = Field(description="outcomes already stored as they are")


class OutcomeOut(BaseModel):
    account: str
    outcome: str
    decided_at: datetime
    source: str
    id: str


class OutcomePage(BaseModel):
    total: int
    limit: int
    offset: int
    outcomes: list[OutcomeOut]


class OutcomeFilters(BaseModel):
    account: str | None = None
    outcome: OutcomeKind | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=10**9)


def _item(outcome: OutcomeIn) -> dict[str, Any]:
    decided_at = datetime.fromisoformat(outcome.decided_at)
    return {
        "account": outcome.account,
        "kind": outcome.outcome,
        "decided_at": decided_at,
        "source": outcome.source or "api",
        "id": outcome.id or derived_id(outcome.account, decided_at),
    }


def _check(items: list[OutcomeIn]) -> list[Any]:
    return unknown_accounts([{"account": item.account} for item in items])


@router.post(
    "/outcomes",
    response=OutcomesStored,
    summary="Record a batch of outcomes",
    openapi_extra=json_body(OutcomeBatch),
)
def post_outcomes(request: HttpRequest) -> dict[str, int]:
    """Up to 10,000 outcomes, accepted or refused as a whole; every account must
    exist. An outcome is stored once per (source, id): sent again, it changes
    nothing, or updates the stored one if its kind or time changed. Without an
    id, the account and the time are its identity."""
    now = timezone.now()
    batch = read_batch(request, OutcomeBatch, "outcomes", check=_check)

    return upsert_outcomes([_item(item) for item in batch.outcomes], now=now)


@router.get("/outcomes", response=OutcomePage, summary="List outcomes")
def list_outcomes(
    request: HttpRequest, filters: Query[OutcomeFilters]
) -> dict[str, Any]:
    """Outcomes by the time they were decided, oldest first."""
    outcomes = Outcome.objects.select_related("account").order_by("decided_at", "pk")
    if filters.account:
        outcomes = outcomes.filter(account__key=filters.account)
    if filters.outcome:
        outcomes = outcomes.filter(kind=filters.outcome)

    page = outcomes[filters.offset : filters.offset + filters.limit]
    return {
        "total": outcomes.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "outcomes": [
            {
                "account": o.account.key,
                "outcome": o.kind,
                "decided_at": o.decided_at,
                "source": o.source,
                "id": o.external_id,
            }
            for o in page
        ],
    }


class BacktestParams(BaseModel):
    lead_days: int = Field(
        default=90, description="score each account this many days before its outcome"
    )
    version: int | None = Field(
        default=None, description="the scorecard version (default: the current one)"
    )
    downgrade_is_churn: bool = Field(
        default=False, description="count downgrades with the churns"
    )


def _run(key: str, params: BacktestParams) -> Any:
    # The evidence package brings in numpy and scikit-learn: only a backtest
    # pays for loading them, not every start of the service.
    from scorecards.evidence import BAD_KINDS
    from scorecards.outcomes.backtest import backtest_stored

    if not 0 <= params.lead_days <= MAX_LEAD_DAYS:
        raise InvalidInput("lead_days", f"must be between 0 and {MAX_LEAD_DAYS}")
    bad = BAD_KINDS | {"downgrade"} if params.downgrade_is_churn else BAD_KINDS
    return backtest_stored(
        key=key,
        lead_days=params.lead_days,
        now=timezone.now(),
        number=params.version,
        bad_kinds=frozenset(bad),
    )


@router.api_operation(
    ["GET", "POST"],
    "/scorecards/{key}/backtest",
    tags=["evidence"],
    summary="Backtest a scorecard against the outcomes",
)
def backtest(
    request: HttpRequest, key: str, params: Query[BacktestParams]
) -> dict[str, Any]:
    """Every outcome's account scored ``lead_days`` before it, from the signals
    observed by then: the AUC of the score for churn, churn by grade and by
    decile, the worst decile's lift, the churned accounts graded healthy, each
    criterion's AUC, the outcomes left out and why, and warnings when there are
    too few outcomes to trust. Also the suggested weights, and the same figures
    for a scorecard with them. Nothing is stored."""
    from scorecards.evidence import backtest_json

    stored = _run(key, params)
    return {"version": stored.version.number, **backtest_json(stored.result)}


@router.get(
    "/scorecards/{key}/suggested-weights",
    tags=["evidence"],
    summary="Weights fitted to the outcomes, as a draft scorecard",
)
def suggested_weights(
    request: HttpRequest, key: str, params: Query[BacktestParams]
) -> dict[str, Any]:
    """The weights a logistic regression of churn on the criterion scores
    suggests, with a 90 % bootstrap interval each, and the scorecard with them
    as a draft (``draft``, and as YAML in ``draft_yaml``). Nothing is
    published: to adopt it, ``PUT /scorecards/{key}`` with the draft."""
    from scorecards.evidence import draft_definition, suggestion_json

    stored = _run(key, params)
    result = stored.result
    draft = None
    if result.suggestion.fitted:
        draft = draft_definition(
            stored.version.definition, result.suggestion.as_weights()
        )
    return {
        "scorecard": key,
        "version": stored.version.number,
        "lead_days": params.lead_days,
        "scored": len(result.cases),
        "warnings": [*result.warnings, *result.suggestion.warnings],
        "current_auc": result.current.auc,
        "fitted_auc": result.fitted.auc if result.fitted else None,
        **suggestion_json(result.suggestion),
        "draft": draft,
        "draft_yaml": yaml.safe_dump(draft, sort_keys=False) if draft else None,
        "computed_at": iso(timezone.now()),
    }
