"""The accounts list: every account with its score and grade, worst first."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Avg, Case, Count, F, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from scorecards.accounts.models import Account
from scorecards.scoring.models import (
    AccountScore,
    ScorecardVersion,
    Status,
    stored_score,
)

PAGE_SIZE = 50

# The colour words a scorecard's grades may name, and the few tones the style
# sheet draws; any other colour is shown in a neutral tone. The grade's name is
# always written out beside the colour, so no one has to tell colours apart.
TONES = {
    "green": "good",
    "amber": "warn",
    "yellow": "warn",
    "orange": "warn",
    "red": "bad",
}
STATUS_WORDS = {
    Status.INSUFFICIENT_DATA: "insufficient data",
    Status.UNSCORED: "no scorecard",
}


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    name: str
    segment: str
    csm: str
    score: str
    grade: str
    tone: str
    coverage: str
    scorecard: str


@login_required
@require_safe
def accounts(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(worst_first(Account.objects.all()), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    versions = _versions(page.object_list)

    context = {
        "page": page,
        "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2),
        "rows": [_row(account, versions) for account in page.object_list],
        "summary": grade_summary(paginator.count),
    }
    return render(request, "web/accounts.html", context)


def worst_first(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """Scored accounts from the lowest score up, then those with no score."""
    rank = Case(
        When(score__status=Status.SCORED, then=Value(0)),
        When(score__status=Status.INSUFFICIENT_DATA, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        accounts.select_related("score")
        .annotate(rank=rank)
        .order_by("rank", F("score__total").asc(nulls_last=True), "key")
    )


def grade_summary(accounts: int) -> list[tuple[str, int]]:
    """How many of the ``accounts`` have each grade, worst grade first, then how
    many have no score and why."""
    rows = (
        AccountScore.objects.values("status", "grade")
        .annotate(count=Count("pk"), average=Avg("total"))
        .order_by(F("average").asc(nulls_last=True), "status", "grade")
    )
    summary = [(_label(row["status"], row["grade"]), row["count"]) for row in rows]
    waiting = accounts - sum(count for _, count in summary)
    if waiting:
        summary.append((_label(None, ""), waiting))
    return summary


def _versions(accounts: Iterable[Account]) -> dict[int, ScorecardVersion]:
    """The scorecard versions that scored these accounts, for names and colours."""
    scores = [stored_score(account) for account in accounts]
    ids = {score.version_id for score in scores if score and score.version_id}
    return {
        version.pk: version
        for version in ScorecardVersion.objects.filter(pk__in=ids).only(
            "pk", "name", "definition"
        )
    }


def _row(account: Account, versions: dict[int, ScorecardVersion]) -> Row:
    score = stored_score(account)
    version = versions.get(score.version_id) if score and score.version_id else None
    status = score.status if score else None
    scored = score is not None and score.total is not None

    return Row(
        key=account.key,
        name=account.name,
        segment=account.segment,
        csm=account.csm,
        score=f"{score.total:.1f}" if scored else "—",
        grade=_label(status, score.grade if score else ""),
        tone=_tone(version, score.grade) if scored else "none",
        coverage=f"{score.coverage:.0%}" if score and score.version_id else "—",
        scorecard=version.name if version else "—",
    )


def _label(status: str | None, grade: str) -> str:
    """What the grade column says: the grade, or why there is none."""
    if status == Status.SCORED:
        return grade.replace("_", " ") or "no grade"
    if status is None:
        return "not scored yet"
    return STATUS_WORDS.get(status, status.replace("_", " "))


def _tone(version: ScorecardVersion | None, grade: str) -> str:
    if version is None:
        return "none"
    colours = {
        entry.get("name"): str(entry.get("color", "")).lower()
        for entry in version.definition.get("grades", [])
    }
    return TONES.get(colours.get(grade, ""), "none")
