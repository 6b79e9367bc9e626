"""The accounts API: batch upserts of accounts and contacts, the book, one account."""

import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.api.batches import json_body, read_batch
from scorecards.ingest.service import MAX_BATCH, ItemError
from scorecards.scoring.models import AccountScore, AccountTrend, Status, stored_score

router = Router(tags=["accounts"])

# A key travels in URLs (/accounts/{key}), where a slash would split it.
AccountKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/]+$")]
Key = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str, Field(max_length=100)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


def _scalar(value: Any) -> Any:
    # Checked by hand rather than as a union of types, which would report one
    # complaint per type tried instead of saying what is wanted.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, str) and len(value) > 1000:
        raise ValueError("must be at most 1000 characters")
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError("must be text, a number, true, false or null")
    return value


AttributeValue = Annotated[Any, AfterValidator(_scalar)]


def _statuses(values: list[str] | None) -> list[str] | None:
    if any(value not in Status.values for value in values or ()):
        raise ValueError("must be one of " + ", ".join(Status.values))
    return values


def _email(value: str | None) -> str | None:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("is not an email address") from None
    return value


class AccountIn(BaseModel):
    """An account by its key; a field left out keeps its stored value, and null
    clears it."""

    model_config = ConfigDict(extra="forbid")

    key: AccountKey
    name: Annotated[str, Field(max_length=300)] | None = None
    segment: Label | None = None
    tier: Label | None = None
    csm: Annotated[str, Field(max_length=200)] | None = None
    arr: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)] | None = None
    renewal_date: date | None = None
    attributes: dict[Label, AttributeValue] | None = Field(
        default=None, description="replaces the stored attributes as a whole"
    )


class AccountBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: Annotated[list[AccountIn], Field(max_length=MAX_BATCH)]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: Key
    key: Key
    role: Label | None = None
    name: Annotated[str, Field(max_length=300)] | None = None
    email: Annotated[str | None, Field(max_length=254), AfterValidator(_email)] = None


class ContactBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: Annotated[list[ContactIn], Field(max_length=MAX_BATCH)]


class UpsertOut(BaseModel):
    created: int
    updated: int


class CriterionOut(BaseModel):
    """One criterion's part in a score, as ``scorecards score --format json``
    shows it."""

    key: str
    path: str
    raw: float | None
    score: float | None
    weight: int | float
    share: float | None
    contribution: float | None
    count: int
    latest_at: str | None
    stale: bool
    missing: bool
    filled: bool
    overridden: bool = Field(default=False, description="its score was set by hand")


class AccountOut(BaseModel):
    account: str
    scorecard: str | None
    score: float | None
    grade: str | None
    coverage: float
    status: Status
    overridden: bool = Field(description="the score was set by hand")
    name: str
    segment: str
    tier: str
    csm: str
    arr: float | None
    renewal_date: date | None
    attributes: dict[str, Any]
    version: int | None = Field(description="the scorecard version scored under")
    scored_at: datetime | None
    delta_30: float | None = Field(description="the score's change over 30 days")
    direction: str | None = Field(description="improving, stable or declining")


class AccountDetail(AccountOut):
    criteria: list[CriterionOut]


class AccountPage(BaseModel):
    total: int = Field(description="accounts matching the filters, on every page")
    limit: int
    offset: int
    accounts: list[AccountOut]


SORTS = {
    "score": "score__total",
    "coverage": "score__coverage",
    "key": "key",
    "name": "name",
    "segment": "segment",
    "csm": "csm",
    "arr": "arr",
    "renewal_date": "renewal_date",
    "delta_30": "trend__delta_30",
}
Sort = Literal[
    "score", "-score", "coverage", "-coverage", "key", "-key", "name", "-name",
    "segment", "-segment", "csm", "-csm", "arr", "-arr",
    "renewal_date", "-renewal_date", "delta_30", "-delta_30",
]  # fmt: skip


class AccountFilters(BaseModel):
    direction: list[Literal["improving", "stable", "declining"]] | None = Field(
        default=None, description="the 30-day trend (SCORING.md)"
    )
    segment: list[str] | None = None
    csm: list[str] | None = None
    grade: list[str] | None = None
    status: Annotated[list[str] | None, AfterValidator(_statuses)] = None
    min_score: Finite | None = None
    max_score: Finite | None = None
    sort: Sort = Field(
        default="score", description="a field, with - for descending; worst first"
    )
    limit: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=10**9)


def account_or_404(key: str) -> Account:
    account = (
        Account.objects.select_related("score__version__scorecard")
        .filter(key=key)
        .first()
    )
    if account is None:
        raise Http404(f"no account {key!r}")
    return account


def score_json(score: AccountScore | None) -> dict[str, Any]:
    """The stored score in the offline command's shape, less the account key."""
    if score is None:
        # Not scored yet: what the engine says of an account no scorecard fits.
        return {
            "scorecard": None,
            "score": None,
            "grade": None,
            "coverage": 0.0,
            "status": Status.UNSCORED,
            "overridden": False,
            "criteria": [],
        }

    version = score.version
    return {
        "scorecard": version.scorecard.key if version else None,
        "score": score.total,
        "grade": score.grade or None,
        "coverage": score.coverage,
        "status": score.status,
        "overridden": score.overridden,
        "criteria": score.criteria,
    }


def account_json(account: Account) -> dict[str, Any]:
    score = stored_score(account)
    return {
        "account": account.key,
        **score_json(score),
        "name": account.name,
        "segment": account.segment,
        "tier": account.tier,
        "csm": account.csm,
        "arr": float(account.arr) if account.arr is not None else None,
        "renewal_date": account.renewal_date,
        "attributes": account.attributes,
        "version": score.version.number if score and score.version else None,
        "scored_at": score.scored_at if score else None,
        **_trend_json(account),
    }


def _trend_json(account: Account) -> dict[str, Any]:
    try:
        trend = account.trend
    except AccountTrend.DoesNotExist:
        return {"delta_30": None, "direction": None}
    return {"delta_30": trend.delta_30, "direction": trend.direction or None}


@router.post(
    "/accounts",
    response=UpsertOut,
    summary="Create or update accounts by key",
    openapi_extra=json_body(AccountBatch),
)
def post_accounts(request: HttpRequest) -> dict[str, int]:
    """Up to 10,000 accounts, accepted or refused as a whole. The accounts are
    scored at once: a new segment can mean a new scorecard."""
    now = timezone.now()
    batch = read_batch(request, AccountBatch, "accounts")

    return upsert_accounts([_account_fields(item) for item in batch.accounts], now=now)


def _account_fields(item: AccountIn) -> dict[str, Any]:
    fields = item.model_dump(exclude_unset=True)
    for name in ("name", "segment", "tier", "csm"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    if "attributes" in fields and fields["attributes"] is None:
        fields["attributes"] = {}
    return fields


@router.post(
    "/contacts",
    response=UpsertOut,
    summary="Create or update contacts by account and key",
    openapi_extra=json_body(ContactBatch),
)
def post_contacts(request: HttpRequest) -> dict[str, int]:
    """Up to 10,000 contacts, accepted or refused as a whole; every account must
    exist. Their accounts are scored again, since a role weighs answers."""
    now = timezone.now()
    batch = read_batch(request, ContactBatch, "contacts", check=unknown_accounts)

    items = [item.model_dump(exclude_unset=True) for item in batch.contacts]
    return upsert_contacts(items, now=now)


def unknown_accounts(items: Sequence[ContactIn]) -> list[ItemError]:
    known = set(
        Account.objects.filter(key__in={item.account for item in items}).values_list(
            "key", flat=True
        )
    )
    return [
        ItemError(index, "account", f"unknown account {item.account!r}")
        for index, item in enumerate(items)
        if item.account not in known
    ]


@router.get("/accounts", response=AccountPage, summary="List accounts")
def list_accounts(
    request: HttpRequest, filters: Query[AccountFilters]
) -> dict[str, Any]:
    """The book, filtered and sorted (worst score first by default), a page at a
    time. Repeat a filter to allow several values: ``?segment=smb&segment=enterprise``.
    Accounts without a score sort last either way."""
    accounts = _filtered(filters)
    total = accounts.count()

    page = accounts[filters.offset : filters.offset + filters.limit]
    return {
        "total": total,
        "limit": filters.limit,
        "offset": filters.offset,
        "accounts": [account_json(account) for account in page],
    }


def _filtered(filters: AccountFilters) -> QuerySet[Account]:
    accounts = Account.objects.select_related("score__version__scorecard", "trend")
    if filters.direction:
        accounts = accounts.filter(trend__direction__in=filters.direction)
    if filters.segment:
        accounts = accounts.filter(segment__in=filters.segment)
    if filters.csm:
        accounts = accounts.filter(csm__in=filters.csm)
    if filters.grade:
        accounts = accounts.filter(score__grade__in=filters.grade)
    if filters.status:
        accounts = accounts.filter(_status_is(filters.status))
    if filters.min_score is not None:
        accounts = accounts.filter(score__total__gte=filters.min_score)
    if filters.max_score is not None:
        accounts = accounts.filter(score__total__lte=filters.max_score)

    field = SORTS[filters.sort.removeprefix("-")]
    if filters.sort.startswith("-"):
        order = F(field).desc(nulls_last=True)
    else:
        order = F(field).asc(nulls_last=True)
    return accounts.order_by(order, "key")


def _status_is(statuses: list[str]) -> Q:
    condition = Q(score__status__in=statuses)
    if Status.UNSCORED in statuses:
        condition |= Q(score__isnull=True)  # never scored is unscored too
    return condition


@router.get(
    "/accounts/{key}",
    response=AccountDetail,
    summary="One account with its current score",
)
def get_account(request: HttpRequest, key: str) -> dict[str, Any]:
    """The account's fields and its current score, criterion by criterion, in the
    shape of one object of ``scorecards score --format json``."""
    return account_json(account_or_404(key))
