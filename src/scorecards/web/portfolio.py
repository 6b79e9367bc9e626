"""The portfolio, the home page: every account with its score, grade, trend,
ARR, renewal and open alerts; filters in the URL; saved views; CSV export.

With htmx the filters apply as they change and the table refreshes itself
every few seconds; without script the same form submits and the same links
sort, so the page works either way.
"""

import csv
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from scorecards.accounts.models import Account
from scorecards.audit.log import record
from scorecards.lib.spreadsheet import safe_cell
from scorecards.people.access import access
from scorecards.people.models import SavedView
from scorecards.scoring.models import ScorecardVersion, stored_score
from scorecards.web import book
from scorecards.web.grades import label, tone

PAGE_SIZE = 50
REFRESH_SECONDS = 5
SPARK_WIDTH, SPARK_HEIGHT = 90, 24
COLUMNS = [
    ("account", "Account"),
    ("score", "Score"),
    (None, "Grade"),
    (None, "90 days"),
    ("delta", "30-day change"),
    ("arr", "ARR"),
    ("renewal", "Renewal"),
    ("csm", "CSM"),
    ("alerts", "Open alerts"),
]


@dataclass(frozen=True, slots=True)
class Row:
    href: str
    key: str
    name: str
    segment: str
    csm: str
    score: str
    grade: str
    tone: str
    overridden: bool
    spark: str  # SVG polyline points
    spark_label: str
    delta: str
    direction: str
    arr: str
    renewal: str
    alerts: int


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    href: str | None
    sorted: str  # "ascending", "descending" or "" for aria-sort


@login_required
@require_safe
def portfolio(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    filters = book.Filters(request.GET)
    filters.is_valid()  # what is valid applies; the rest is shown as errors
    chosen = filters.cleaned_data
    sort = chosen.get("sort") or "score"
    accounts = book.filtered(chosen, access=access(request), today=now.date())
    summary = book.kept_summary(accounts, key=_summary_key(request, chosen))

    paginator = Counted(accounts, PAGE_SIZE, count=summary.accounts)
    page = paginator.get_page(request.GET.get("page"))
    shown = rows_of(page, paginator, sort)
    context = {
        "filters": filters,
        "page": page,
        "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2),
        "rows": rows_for(shown, now=now),
        "columns": columns(request.GET, sort),
        "summary": summary,
        "query": _query(request.GET),
        "page_query": _query(request.GET, drop=("page",)),
        "views": SavedView.objects.filter(user=request.user),
        "refresh_seconds": REFRESH_SECONDS,
    }
    # htmx asks for the table alone; on "back" it asks for the whole page again.
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    response = render(
        request, "web/_book.html" if partial else "web/portfolio.html", context
    )
    navigated = request.headers.get("HX-Trigger") == "filters" or request.headers.get(
        "HX-Boosted"
    )
    if partial and navigated:  # not the table refreshing itself
        # The address bar shows the filters in use, not every empty field.
        query = _query(request.GET)
        response["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
    patch_vary_headers(response, ["HX-Request"])
    return response


class Counted(Paginator):
    """A paginator told the count, which the summary has just read."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached property


def rows_of(page: Any, paginator: Counted, sort: str) -> list[Account]:
    """The page's accounts; any page costs about what the first does."""
    count = paginator.count
    if count == 0:
        return []
    return book.page(
        paginator.object_list,
        sort,
        start=page.start_index() - 1,  # 1-based, inclusive
        stop=page.end_index(),
        count=count,
    )


def _summary_key(request: HttpRequest, chosen: dict[str, Any]) -> str:
    """What the summary depends on: the filters, and for "mine" whose."""
    filters = {k: v for k, v in chosen.items() if k != "sort" and v not in ("", None)}
    who = request.user.pk if chosen.get("owner") else ""
    return f"{sorted(filters.items())!r}:{who}"


def rows_for(accounts: list[Account], *, now: datetime) -> list[Row]:
    alerts = book.alerts_by_account(account.pk for account in accounts)
    definitions = dict(
        ScorecardVersion.objects.filter(
            pk__in={score.version_id for a in accounts if (score := stored_score(a))}
        ).values_list("pk", "definition")
    )
    return [
        _row(account, alerts.get(account.pk, 0), definitions) for account in accounts
    ]


def _row(account: Account, alerts: int, definitions: dict[int, Any]) -> Row:
    score = stored_score(account)
    trend = getattr(account, "trend", None)
    # The daily totals kept with the trends, then the score as it is now.
    spark = list(trend.spark) if trend else []
    if spark and score is not None and score.total is not None:
        spark.append(score.total)
    scored = score is not None and score.total is not None
    delta = trend.delta_30 if trend else None
    return Row(
        href=f"/accounts/{quote(account.key, safe='')}/",
        key=account.key,
        name=account.name,
        segment=account.segment,
        csm=account.csm,
        score=f"{score.total:.1f}" if score and score.total is not None else "—",
        grade=label(score.status if score else None, score.grade if score else ""),
        tone=tone(definitions.get(score.version_id), score.grade)
        if score and scored and score.version_id
        else "none",
        overridden=bool(score and score.overridden),
        spark=_points(spark),
        spark_label=(
            f"from {spark[0]:.0f} to {spark[-1]:.0f} over 90 days"
            if len(spark) > 1
            else "no history yet"
        ),
        delta="—" if delta is None else f"{delta:+.1f}",
        direction=trend.direction if trend and trend.direction else "",
        arr=_money(account.arr),
        renewal=account.renewal_date.isoformat() if account.renewal_date else "—",
        alerts=alerts,
    )


def _points(totals: list[float]) -> str:
    """A sparkline's points on a fixed 0-100 scale, so lines compare by eye.

    Ninety days drawn 90 units wide: a point every other day shows the same
    line, for half the markup; the last day is always drawn.
    """
    if len(totals) < 2:
        return ""
    last = len(totals) - 1
    step = SPARK_WIDTH / last
    scale = SPARK_HEIGHT / 100
    kept = [*range(0, last, 2), last]
    return " ".join(
        f"{index * step:.1f},{SPARK_HEIGHT - totals[index] * scale:.1f}"
        for index in kept
    )


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def columns(query: QueryDict, sort: str) -> list[Column]:
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    found = []
    for key, title in COLUMNS:
        if key is None:
            found.append(Column(title, None, ""))
            continue
        is_current = key == current
        # A second click on the sorted column turns it round.
        next_sort = f"-{key}" if is_current and not descending else key
        sorted_ = ("descending" if descending else "ascending") if is_current else ""
        found.append(Column(title, "?" + _query(query, sort=next_sort), sorted_))
    return found


def _query(query: QueryDict, *, drop: tuple[str, ...] = (), **changes: str) -> str:
    """The query string with ``changes``, without empty filters (a form sends
    every field), the page number dropped when anything else changes."""
    kept = QueryDict(mutable=True)
    for name, values in query.lists():
        kept.setlist(name, [value for value in values if value])
    for name in (*drop, *changes):
        kept.pop(name, None)
    if changes:
        kept.pop("page", None)
    for name, value in changes.items():
        kept[name] = value
    return kept.urlencode()


EXPORT_HEADER = [
    "account", "name", "segment", "tier", "csm", "score", "grade", "status",
    "coverage", "delta_30", "direction", "arr", "renewal_date", "open_alerts",
]  # fmt: skip


@login_required
@require_safe
def export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV, in the page's order, every page of it."""
    now = timezone.now()
    filters = book.Filters(request.GET)
    filters.is_valid()
    chosen = filters.cleaned_data
    accounts = (
        book.ordered(
            book.filtered(chosen, access=access(request), today=now.date()),
            chosen.get("sort") or "score",
        )
        .select_related("score", "trend")
        .annotate(alerting=book.open_alerts())
    )
    record("accounts.exported", detail={"filters": request.GET.urlencode()}, at=now)
    response = StreamingHttpResponse(
        _csv_lines(accounts), content_type="text/csv; charset=utf-8"
    )
    stamp = now.strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="accounts-{stamp}.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(accounts: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_HEADER)
    for account in accounts.iterator(chunk_size=2000):
        score = stored_score(account)
        trend = getattr(account, "trend", None)
        yield writer.writerow(
            [
                safe_cell(account.key),
                safe_cell(account.name),
                safe_cell(account.segment),
                safe_cell(account.tier),
                safe_cell(account.csm),
                _two(score.total if score else None),
                safe_cell(score.grade) if score else "",
                score.status if score else "",
                f"{score.coverage:.4f}" if score else "",
                _two(trend.delta_30 if trend else None),
                trend.direction if trend else "",
                "" if account.arr is None else str(account.arr),
                account.renewal_date.isoformat() if account.renewal_date else "",
                "yes" if account.alerting else "no",
            ]
        )


def _two(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@login_required
@require_http_methods(["POST"])
def save_view(request: HttpRequest) -> HttpResponse:
    """Keep the current filters under a name, for this user."""
    name = request.POST.get("name", "").strip()
    query = QueryDict(request.POST.get("query", ""))
    query = QueryDict(_query(query, drop=("page",)))
    if not name or len(name) > 100:
        messages.error(request, "name: give the view a name of up to 100 characters.")
        return redirect(_home(query.urlencode()))
    # The same name saved twice at once: the first stands.
    with suppress(IntegrityError):
        SavedView.objects.update_or_create(
            user=request.user, name=name, defaults={"query": query.urlencode()}
        )
    messages.success(request, f"View “{name}” saved.")
    return redirect(_home(query.urlencode()))


@login_required
@require_http_methods(["POST"])
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=view_id, user=request.user)
    view.delete()
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect("web:accounts")


def _home(query: str) -> str:
    return "/" + (f"?{query}" if query else "")
