"""The book of accounts as the portfolio shows it: filtered, sorted, summed up.

No HTTP here: the filters arrive as a form's cleaned data and leave as a
queryset, so the page, its CSV export and the benchmarks share one query. Every
filter and sort is one the database answers from an index or a short scan at
100,000 accounts.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.cache import cache
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from scorecards.accounts.models import Account
from scorecards.alerts.machine import AlertState
from scorecards.alerts.models import Alert
from scorecards.people.access import Access
from scorecards.scoring.models import ScorecardVersion, Status
from scorecards.web.grades import label, tone

DIRECTIONS = [("improving", "Improving"), ("stable", "Stable"),
              ("declining", "Declining")]  # fmt: skip
# Grade filter values that name a status rather than a grade.
NO_GRADE = {
    "insufficient_data": Q(score__status=Status.INSUFFICIENT_DATA),
    "unscored": Q(score__status=Status.UNSCORED),
    "not_scored": Q(score__isnull=True),
}
SORTS = {
    "score": "Score",
    "account": "Account",
    "delta": "30-day change",
    "arr": "ARR",
    "renewal": "Renewal",
    "csm": "CSM",
    "segment": "Segment",
    "alerts": "Open alerts",
}
FACETS_SECONDS = 30
SUMMARY_SECONDS = 5


class OpenChoice(forms.ChoiceField):
    """A choice offered from a list that may lag behind the data (the facets
    are kept for a few seconds): a value not listed yet still filters."""

    def valid_value(self, value: Any) -> bool:
        return True


class Filters(forms.Form):
    """The portfolio's filters, as the page's query string carries them."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    segment = OpenChoice(label="Segment", required=False)
    tier = OpenChoice(label="Tier", required=False)
    csm = OpenChoice(label="CSM", required=False)
    owner = forms.ChoiceField(
        label="Whose",
        required=False,
        choices=[("", "Everyone's"), ("mine", "Mine"), ("team", "My teams'")],
    )
    grade = OpenChoice(label="Grade", required=False)
    direction = forms.ChoiceField(
        label="30-day trend", required=False, choices=[("", "Any"), *DIRECTIONS]
    )
    score_min = forms.FloatField(
        label="Score from", required=False, min_value=0, max_value=100
    )
    score_max = forms.FloatField(
        label="Score to", required=False, min_value=0, max_value=100
    )
    renewal_within = forms.IntegerField(
        label="Renews within (days)", required=False, min_value=0, max_value=3660
    )
    alerting = forms.BooleanField(label="Has an open alert", required=False)
    sort = forms.ChoiceField(
        required=False,
        choices=[(f"{sign}{key}", key) for key in SORTS for sign in ("", "-")],
    )

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(data)
        found = facets()
        for name in ("segment", "tier", "csm"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            values = found[name]
            if self.data.get(name) and self.data[name] not in values:
                values = [*values, self.data[name]]
            field.choices = [("", "Any"), *((value, value) for value in values)]
        grade = self.fields["grade"]
        assert isinstance(grade, forms.ChoiceField)
        grade.choices = [
            ("", "Any"),
            *((name, name.replace("_", " ")) for name in found["grade"]),
            ("insufficient_data", "insufficient data"),
            ("unscored", "no scorecard"),
            ("not_scored", "not scored yet"),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("score_min"), cleaned.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "must not be below “Score from”")
        return cleaned


def facets() -> dict[str, list[str]]:
    """The values the choice filters offer, kept for a few seconds: reading the
    distinct segments of 100,000 accounts on every page would cost more than
    the page itself."""
    found: dict[str, list[str]] | None = cache.get("portfolio-facets")
    if found is None:
        found = {
            name: sorted(
                Account.objects.exclude(**{name: ""})
                .order_by()
                .values_list(name, flat=True)
                .distinct()
            )
            for name in ("segment", "tier", "csm")
        }
        found["grade"] = _grade_names()
        cache.set("portfolio-facets", found, FACETS_SECONDS)
    return found


def _grade_names() -> list[str]:
    names: dict[str, None] = {}
    for definition in ScorecardVersion.objects.filter(
        scorecard__current=F("pk")
    ).values_list("definition", flat=True):
        for grade in definition.get("grades", []):
            names.setdefault(str(grade.get("name", "")), None)
    return [name for name in names if name]


def open_alerts() -> Exists:
    return Exists(Alert.objects.filter(account=OuterRef("pk"), state=AlertState.FIRING))


def filtered(
    chosen: Mapping[str, Any], *, access: Access, today: date
) -> QuerySet[Account]:
    """The accounts that pass the ``chosen`` filters (a form's cleaned data)."""
    accounts = Account.objects.all()
    if text := (chosen.get("q") or "").strip():
        accounts = accounts.filter(Q(name__icontains=text) | Q(key__icontains=text))
    for name in ("segment", "tier", "csm"):
        if value := chosen.get(name):
            accounts = accounts.filter(**{name: value})
    if chosen.get("owner") == "mine":
        accounts = accounts.filter(access.mine())
    elif chosen.get("owner") == "team":
        accounts = accounts.filter(access.in_my_teams())
    if grade := chosen.get("grade"):
        accounts = accounts.filter(
            NO_GRADE.get(grade, Q(score__status=Status.SCORED, score__grade=grade))
        )
    if direction := chosen.get("direction"):
        accounts = accounts.filter(trend__direction=direction)
    if (low := chosen.get("score_min")) is not None:
        accounts = accounts.filter(score__total__gte=low)
    if (high := chosen.get("score_max")) is not None:
        accounts = accounts.filter(score__total__lte=high)
    if (days := chosen.get("renewal_within")) is not None:
        accounts = accounts.filter(
            renewal_date__gte=today, renewal_date__lte=today + timedelta(days=days)
        )
    if chosen.get("alerting"):
        accounts = accounts.filter(open_alerts())
    return accounts


def ordered(accounts: QuerySet[Account], sort: str) -> QuerySet[Account]:
    """Sorted by ``sort`` (a key of SORTS, ``-`` first for descending); ties and
    missing values always last, then by key, so pages never shuffle."""
    descending = sort.startswith("-")
    key = sort.removeprefix("-") or "score"

    def by(field: str) -> Any:
        expression = F(field)
        if descending:
            return expression.desc(nulls_last=True)
        return expression.asc(nulls_last=True)

    if key == "score":
        # Accounts without a total (insufficient data, no scorecard) come last
        # by the nulls rule; no computed rank, so an index can serve the sort.
        order = [by("score__total")]
    elif key == "account":
        order = [by("name")]
    elif key == "delta":
        order = [by("trend__delta_30")]
    elif key == "renewal":
        order = [by("renewal_date")]
    elif key == "alerts":
        accounts = accounts.annotate(alerting=open_alerts())
        # "Most alerts first" is what a user sorting on alerts wants to see.
        order = [
            F("alerting").asc() if descending else F("alerting").desc(),
            F("score__total").asc(nulls_last=True),
        ]
    else:
        order = [by(key)]
    # Every account has a score row and a trend row from its first upsert on
    # (the score's status says when no scorecard applies), so a sort on either
    # joins it as an inner join: the database may then walk that table's index
    # instead of sorting every row. Other sorts join neither: a page's ids are
    # then read from the accounts' own indexes (see ``page_of``).
    if key in ("score", "alerts"):
        accounts = accounts.filter(score__isnull=False)
    elif key == "delta":
        accounts = accounts.filter(trend__isnull=False)
    by_score = key in ("score", "alerts")
    ties = ["score__status", "score__account_id"] if by_score else ["key"]
    return accounts.order_by(*order, *ties)


def page(
    accounts: QuerySet[Account], sort: str, *, start: int, stop: int, count: int
) -> list[Account]:
    """Rows ``start`` to ``stop`` of the ``count`` ``accounts`` as ``ordered``
    sorts them.

    Sorted by open alerts, the book is two parts, each by score: the accounts
    with an open alert, then the others ("-alerts": the other way round). Each
    part is paged on its own, walking the scores' index, instead of checking
    every account for alerts before sorting them all.
    """
    if sort.removeprefix("-") != "alerts":
        return page_of(ordered(accounts, sort), start=start, stop=stop, count=count)
    # Few accounts have an open alert: they are found from the alerts' side
    # and counted, and the others follow.
    firing = Alert.objects.filter(state=AlertState.FIRING).values("account_id")
    loud = accounts.filter(pk__in=firing).count()
    alerting = ordered(accounts.filter(pk__in=firing), "score")
    quiet = ordered(accounts.filter(~open_alerts()), "score")
    quiet_size = max(count - loud, 0)
    parts = [(alerting, loud), (quiet, quiet_size)]
    if sort.startswith("-"):
        parts.reverse()
    rows: list[Account] = []
    offset = 0
    for part, size in parts:
        low, high = max(start - offset, 0), min(stop - offset, size)
        if low < high:
            rows += page_of(part, start=low, stop=high, count=size)
        offset += size
    return rows


def page_of(
    accounts: QuerySet[Account], *, start: int, stop: int, count: int
) -> list[Account]:
    """Rows ``start`` to ``stop`` (0-based, stop excluded) of the ``count``
    ``accounts`` in their order, with their scores and trends.

    1. The ids alone first: the rows skipped are read from an index, without
       joining what only the page shows.
    2. Past the middle of the book they are read from its far end, in the
       reverse order, then turned round: the database skips at most half.
    3. Then the page's accounts, by id, with their scores and trends.
    """
    if start >= stop:
        return []
    ids = accounts.values_list("pk", flat=True)
    if start <= count // 2:
        chosen = list(ids[start:stop])
    else:
        chosen = list(ids.reverse()[count - stop : count - start])[::-1]
    found = Account.objects.select_related("score", "trend").in_bulk(chosen)
    return [found[pk] for pk in chosen if pk in found]


@dataclass(frozen=True, slots=True)
class GradeShare:
    label: str
    tone: str
    accounts: int
    arr: Decimal
    offset: float  # where its stretch of the distribution bar starts, 0-1000
    width: float  # its stretch's length, 0-1000

    @property
    def percent(self) -> str:
        return f"{self.width / 10:.0f}%"


@dataclass(frozen=True, slots=True)
class Summary:
    accounts: int
    arr: Decimal
    grades: list[GradeShare]
    improving: int
    declining: int


def summary(accounts: QuerySet[Account]) -> Summary:
    """The grade distribution, ARR by grade, and how many improved or declined
    over 30 days, for the accounts the filters kept: one pass over them."""
    rows = list(
        accounts.order_by()
        .values("score__status", "score__grade", "score__version")
        .annotate(
            count=Count("pk"),
            arr=Sum("arr"),
            average=Avg("score__total"),
            improving=Count("pk", filter=Q(trend__direction="improving")),
            declining=Count("pk", filter=Q(trend__direction="declining")),
        )
        .order_by(F("average").asc(nulls_last=True), "score__status", "score__grade")
    )
    definitions = dict(
        ScorecardVersion.objects.filter(
            pk__in={row["score__version"] for row in rows}
        ).values_list("pk", "definition")
    )
    # One grade may come from several scorecards; it is one line, worst first.
    merged: dict[str, list[Any]] = {}
    for row in rows:
        grade = row["score__grade"] or ""
        shade = tone(definitions.get(row["score__version"]), grade)
        entry = merged.setdefault(
            label(row["score__status"], grade), [shade, 0, Decimal(0)]
        )
        entry[1] += row["count"]
        entry[2] += row["arr"] or Decimal(0)
    total = sum(entry[1] for entry in merged.values())
    shares, offset = [], 0.0
    for text, (shade, count, arr) in merged.items():
        width = 1000 * count / total
        shares.append(GradeShare(text, shade, count, arr, offset, width))
        offset += width
    return Summary(
        accounts=total,
        arr=sum((entry[2] for entry in merged.values()), Decimal(0)),
        grades=shares,
        improving=sum(row["improving"] for row in rows),
        declining=sum(row["declining"] for row in rows),
    )


def kept_summary(accounts: QuerySet[Account], *, key: str) -> Summary:
    """``summary``, kept for SUMMARY_SECONDS under ``key`` (the filters, and
    whose accounts they mean): the one figure on the page that reads every
    account the filters keep, so a page that refreshes itself, or a user paging
    through, does not read them all again each time."""
    cache_key = "portfolio-summary:" + hashlib.sha256(key.encode()).hexdigest()
    found: Summary | None = cache.get(cache_key)
    if found is None:
        found = summary(accounts)
        cache.set(cache_key, found, SUMMARY_SECONDS)
    return found


def alerts_by_account(ids: Iterable[int]) -> dict[int, int]:
    return dict(
        Alert.objects.filter(account_id__in=list(ids), state=AlertState.FIRING)
        .values_list("account_id")
        .annotate(count=Count("pk"))
    )
