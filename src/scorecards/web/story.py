"""An account's story for its page: the score over a chosen range with markers
where the scorecard version changed or a score was set by hand, why the score
moved between two dates, each contact's latest answer, and a timeline of what
happened (signals, alert changes, overrides, tasks done).

Charts are SVG drawn on the server: no script, nothing for a content security
policy to allow.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.alerts.models import AlertEvent, PlanTask
from scorecards.ingest.models import Signal
from scorecards.scoring.history import explain
from scorecards.scoring.models import Override, PointKind, ScorePoint

RANGES = (30, 60, 90, 365)
CHART_WIDTH, CHART_HEIGHT = 600, 160
TIMELINE = 30


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    at: datetime
    text: str
    kind: str  # "version" or "override"


def chart(account: Account, *, days: int, now: datetime) -> dict[str, Any]:
    """The daily points of the last ``days`` as a polyline, x by time, y by
    score (0 at the foot), with markers."""
    start = now - timedelta(days=days)
    points = list(
        ScorePoint.objects.filter(account=account, kind=PointKind.DAILY, at__gt=start)
        .order_by("at")
        .values_list("at", "total", "version__number", "version__scorecard__key")
    )
    scored = [(at, total) for at, total, _, _ in points if total is not None]
    if len(scored) < 2:
        return {"points": "", "first": None, "last": None, "markers": []}
    begin = scored[0][0]
    span = max((scored[-1][0] - begin).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return round(CHART_WIDTH * (at - begin).total_seconds() / span, 1)

    markers = []
    previous = None
    for at, _, number, key in points:
        version = (key, number)
        if previous is not None and version != previous and number is not None:
            markers.append(Marker(x(at), at, f"{key} version {number}", "version"))
        previous = version
    for override in Override.objects.filter(
        account=account, set_at__gt=begin, set_at__lte=scored[-1][0]
    ).order_by("set_at"):
        what = "score" if override.target == "*" else override.target
        text = f"{what} set to {override.value:.0f} by {override.set_by}"
        markers.append(Marker(x(override.set_at), override.set_at, text, "override"))
    coordinates = " ".join(
        f"{x(at)},{CHART_HEIGHT * (1 - total / 100):.1f}" for at, total in scored
    )
    return {
        "points": coordinates,
        "first": scored[0],
        "last": scored[-1],
        "markers": sorted(markers, key=lambda marker: marker.at),
    }


@dataclass(frozen=True, slots=True)
class Why:
    start: date
    end: date
    before: float | None
    after: float | None
    delta: float | None
    scorecard_changed: float | None
    lines: list[engine.ChangeLine]


def why(account: Account, *, start: date, end: date) -> Why:
    """Why the score moved from the end of ``start`` to the end of ``end``."""
    found = explain(
        account,
        start=datetime.combine(start, time.max, tzinfo=UTC),
        end=datetime.combine(end, time.max, tzinfo=UTC),
    )
    lines = sorted(found.lines, key=lambda line: -abs(line.delta))
    return Why(
        start=start,
        end=end,
        before=found.before.total,
        after=found.after.total,
        delta=found.delta,
        scorecard_changed=found.scorecard_changed,
        lines=[line for line in lines if abs(line.delta) >= 0.05],
    )


def latest_answers(account: Account) -> dict[int, tuple[str, float, datetime]]:
    """Each contact's latest signal (a survey answer, a QBR rating): metric,
    value and time, by contact id; one query for the whole account."""
    found: dict[int, tuple[str, float, datetime]] = {}
    rows = (
        Signal.objects.filter(account=account, contact__isnull=False)
        .order_by("contact_id", "-observed_at", "-id")
        .values_list("contact_id", "metric", "value", "observed_at")
    )
    for contact_id, metric, value, observed_at in rows:
        found.setdefault(contact_id, (metric, value, observed_at))
    return found


@dataclass(frozen=True, slots=True)
class Moment:
    at: datetime
    kind: str
    text: str


def timeline(account: Account, *, limit: int = TIMELINE) -> list[Moment]:
    """The latest things that happened to the account, newest first."""
    moments = [
        Moment(s.observed_at, "signal", f"{s.metric} = {s.value:g} ({s.source})")
        for s in Signal.objects.filter(account=account).order_by("-observed_at")[:limit]
    ]
    moments += [
        Moment(e.at, "alert", f"{e.alert.rule.name}: {e.old_state} → {e.new_state}, "
               f"{e.reason}")
        for e in AlertEvent.objects.filter(alert__account=account)
        .select_related("alert__rule")
        .order_by("-at")[:limit]
    ]  # fmt: skip
    for override in Override.objects.filter(account=account).order_by("-set_at")[
        :limit
    ]:
        what = "the score" if override.target == "*" else override.target
        moments.append(
            Moment(override.set_at, "override",
                   f"{what} set to {override.value:.1f} by {override.set_by}: "
                   f"{override.reason}")
        )  # fmt: skip
        if override.ended_at:
            moments.append(
                Moment(override.ended_at, "override",
                       f"the override of {what} ended ({override.ended_reason})")
            )  # fmt: skip
    moments += [
        Moment(t.done_at, "task", f"“{t.title}” done by {t.done_by}")
        for t in PlanTask.objects.filter(
            plan__account=account, done_at__isnull=False
        ).order_by("-done_at")[:limit]
        if t.done_at is not None
    ]
    return sorted(moments, key=lambda moment: moment.at, reverse=True)[:limit]
