"""The scoring API: scorecards published and read, and scores through time."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from scorecards import engine
from scorecards.accounts.api import CriterionOut, account_or_404, stored_score
from scorecards.accounts.models import Account
from scorecards.api.errors import InvalidInput, MalformedBody
from scorecards.engine import OVERRIDE_TOTAL
from scorecards.engine.parsing import Format
from scorecards.engine.serialize import account_json
from scorecards.engine.signals import check_moment
from scorecards.scoring import history
from scorecards.scoring.models import Override, Scorecard, ScorecardVersion, ScorePoint
from scorecards.scoring.models import Status as ScoreStatus
from scorecards.scoring.overrides import OverrideError, end_override, set_override
from scorecards.scoring.publish import publish

router = Router()

FORMATS: dict[str, Format] = {
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
    "application/json": "json",
}

SCORECARD_BODY = {
    "requestBody": {
        "required": True,
        "description": "the scorecard file, as YAML or JSON (docs/scorecard-format.md)",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


class VersionSummary(BaseModel):
    key: str
    number: int
    name: str
    current: bool
    published_at: datetime
    published_by: str = Field(description="the name of the token that published it")


class VersionOut(VersionSummary):
    format: str
    source: str = Field(description="the file exactly as it was sent")
    definition: Any = Field(description="the file, decoded")


class VersionList(BaseModel):
    key: str
    versions: list[VersionSummary]


class ScoreOut(BaseModel):
    account: str
    scorecard: str | None
    score: float | None
    grade: str | None
    coverage: float
    status: ScoreStatus
    criteria: list[CriterionOut]
    as_of: datetime
    version: int | None


class PointOut(BaseModel):
    at: datetime
    kind: str = Field(description="daily (end of a UTC day) or change")
    score: float | None
    grade: str | None
    status: ScoreStatus
    coverage: float
    scorecard: str | None
    version: int | None


class HistoryOut(BaseModel):
    account: str
    days: int
    score: float | None = Field(description="the current score")
    delta_30: float | None
    slope_30: float | None = Field(description="points per 30 days")
    delta_60: float | None
    slope_60: float | None
    delta_90: float | None
    slope_90: float | None
    direction: str | None = Field(description="improving, stable or declining")
    points: list[PointOut]


class End(BaseModel):
    at: datetime
    score: float | None
    grade: str | None
    status: ScoreStatus
    scorecard: str | None
    version: int | None


class LineOut(BaseModel):
    path: str
    label: str
    before: float | None = Field(description="the criterion's points before")
    after: float | None
    delta: float


class ExplanationOut(BaseModel):
    account: str
    before: End
    after: End
    delta: float | None = Field(description="null when either end has no score")
    scorecard_changed: float | None = Field(
        description="the part of the change due to a new scorecard version"
    )
    lines: list[LineOut]


def version_json(version: ScorecardVersion, *, source: bool = True) -> dict[str, Any]:
    scorecard = version.scorecard
    found = {
        "key": scorecard.key,
        "number": version.number,
        "name": version.name,
        "current": scorecard.current_id == version.pk,
        "published_at": version.published_at,
        "published_by": version.published_by,
    }
    if source:
        found |= {
            "format": version.format,
            "source": version.source,
            "definition": version.definition,
        }
    return found


def _scorecard_or_404(key: str) -> Scorecard:
    scorecard = Scorecard.objects.select_related("current").filter(key=key).first()
    if scorecard is None or scorecard.current is None:
        raise Http404(f"no scorecard {key!r}")
    return scorecard


@router.put(
    "/scorecards/{key}",
    response={200: VersionOut, 201: VersionOut},
    tags=["scorecards"],
    summary="Publish a new version of a scorecard",
    openapi_extra=SCORECARD_BODY,
)
def put_scorecard(request: HttpRequest, key: str) -> Status[dict[str, Any]]:
    """The body is the scorecard file as YAML (``application/yaml``) or JSON. It
    becomes the next version at once and every account is scored again; a file
    with problems is refused with every problem by its path, and nothing
    changes. 201 for a new scorecard, 200 for a new version."""
    now = timezone.now()
    text, format = _scorecard_text(request)
    _check_scorecard(text, format, key)

    version = publish(source=text, format=format, author=request.auth.name, now=now)
    return Status(201 if version.number == 1 else 200, version_json(version))


def _scorecard_text(request: HttpRequest) -> tuple[str, Format]:
    format = FORMATS.get(request.content_type)
    if format is None:
        message = "send the scorecard as application/yaml or application/json"
        raise MalformedBody(message, status=415)
    try:
        return request.body.decode("utf-8"), format
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8 text") from None


def _check_scorecard(text: str, format: Format, key: str) -> None:
    """Raise ScorecardError with every problem of the file, the key's included."""
    data = engine.decode_scorecard(text, format=format)
    problems: list[engine.Problem] = []
    try:
        engine.build_scorecard(data)
    except engine.ScorecardError as error:
        problems += error.problems

    found = data.get("key") if isinstance(data, dict) else None
    if isinstance(found, str) and found != key:
        message = f"is {found!r}, but the URL says {key!r}"
        problems.append(engine.Problem("key", message))
    if problems:
        raise engine.ScorecardError(problems)


@router.get(
    "/scorecards",
    response=list[VersionSummary],
    tags=["scorecards"],
    summary="List scorecards",
)
def list_scorecards(request: HttpRequest) -> list[dict[str, Any]]:
    """The current version of every scorecard."""
    versions = ScorecardVersion.objects.filter(
        pk__in=Scorecard.objects.values("current")
    ).select_related("scorecard")
    return [version_json(v, source=False) for v in versions.order_by("scorecard__key")]


@router.get(
    "/scorecards/{key}",
    response=VersionOut,
    tags=["scorecards"],
    summary="The current version of a scorecard",
)
def get_scorecard(request: HttpRequest, key: str) -> dict[str, Any]:
    scorecard = _scorecard_or_404(key)
    return version_json(scorecard.current)


@router.get(
    "/scorecards/{key}/versions",
    response=VersionList,
    tags=["scorecards"],
    summary="Every version of a scorecard",
)
def list_versions(request: HttpRequest, key: str) -> dict[str, Any]:
    scorecard = _scorecard_or_404(key)
    versions = scorecard.versions.select_related("scorecard").order_by("number")
    return {"key": key, "versions": [version_json(v, source=False) for v in versions]}


@router.get(
    "/scorecards/{key}/versions/{number}",
    response=VersionOut,
    tags=["scorecards"],
    summary="One version of a scorecard",
)
def get_version(request: HttpRequest, key: str, number: int) -> dict[str, Any]:
    version = (
        ScorecardVersion.objects.select_related("scorecard")
        .filter(scorecard__key=key, number=number)
        .first()
    )
    if version is None:
        raise Http404(f"no version {number} of scorecard {key!r}")
    return version_json(version)


def _not_after(field: str, moment: datetime, now: datetime) -> datetime:
    # A score as of a moment still to come would change as data arrives, so
    # it would not be the score "as of" anything.
    if moment > now:
        raise InvalidInput(field, "is in the future")
    try:
        return check_moment(moment)
    except ValueError as error:
        raise InvalidInput(field, str(error)) from None


@router.get(
    "/accounts/{key}/score",
    response=ScoreOut,
    tags=["scores"],
    summary="An account's score as of a moment",
)
def get_score(
    request: HttpRequest, key: str, as_of: AwareDatetime | None = None
) -> dict[str, Any]:
    """The score as of ``as_of`` (ISO 8601 with a zone; default now), from the
    signals observed by then, under the scorecard versions then in force."""
    now = timezone.now()
    moment = _not_after("as_of", as_of or now, now)
    account = account_or_404(key)

    scored = history.score_as_of(account, moment)
    return {
        **account_json(account.key, scored.result),
        "as_of": moment,
        "version": scored.version.number if scored.version else None,
    }


@router.get(
    "/accounts/{key}/history",
    response=HistoryOut,
    tags=["scores"],
    summary="An account's score history and trends",
)
def get_history(
    request: HttpRequest, key: str, days: Annotated[int, Query(ge=1, le=3660)] = 90
) -> dict[str, Any]:
    """The points of the last ``days`` days (one at the end of each UTC day, and
    one at every change), with the 30, 60 and 90-day deltas and slopes and the
    direction, as SCORING.md defines them."""
    now = timezone.now()
    account = account_or_404(key)
    score = stored_score(account)
    current = score.total if score is not None else None

    trends = history.account_trends(account, now=now, current=current)
    windows = {}
    for trend in trends.windows:
        windows[f"delta_{trend.days}"] = trend.delta
        windows[f"slope_{trend.days}"] = trend.slope
    return {
        "account": account.key,
        "days": days,
        "score": current,
        **windows,
        "direction": trends.direction,
        "points": _points(account, since=now - timedelta(days=days), until=now),
    }


def _points(account: Account, *, since: datetime, until: datetime) -> list[Any]:
    points = (
        ScorePoint.objects.filter(account=account, at__gt=since, at__lte=until)
        .select_related("version__scorecard")
        .order_by("at", "pk")
    )
    return [
        {
            "at": point.at,
            "kind": point.kind,
            "score": point.total,
            "grade": point.grade or None,
            "status": point.status,
            "coverage": point.coverage,
            "scorecard": point.version.scorecard.key if point.version else None,
            "version": point.version.number if point.version else None,
        }
        for point in points
    ]


@router.get(
    "/accounts/{key}/explain",
    response=ExplanationOut,
    tags=["scores"],
    summary="Why an account's score moved between two moments",
)
def explain(
    request: HttpRequest,
    key: str,
    start: Annotated[AwareDatetime, Query(alias="from")],
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """The change from ``from`` to ``to`` (default now), split into the part due
    to a new scorecard version and one line per criterion: its points of the
    total before and after. The lines and ``scorecard_changed`` add up to
    ``delta``."""
    now = timezone.now()
    end = _not_after("to", end or now, now)
    start = _not_after("from", start, now)
    if start >= end:
        raise InvalidInput("from", "must be before to")
    account = account_or_404(key)

    found = history.explain(account, start=start, end=end)
    return {
        "account": account.key,
        "before": _end(found.before, start),
        "after": _end(found.after, end),
        "delta": found.delta,
        "scorecard_changed": found.scorecard_changed,
        "lines": [
            {
                "path": line.path,
                "label": line.label,
                "before": line.before,
                "after": line.after,
                "delta": line.delta,
            }
            for line in found.lines
        ],
    }


def _end(result: engine.AccountScore, moment: datetime) -> dict[str, Any]:
    card = result.scorecard
    return {
        "at": moment,
        "score": result.total,
        "grade": result.grade.name if result.grade else None,
        "status": str(result.status),
        "scorecard": card.key if card else None,
        "version": card.version if card else None,
    }


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None, description="a criterion's path; left out, the total"
    )
    score: float = Field(ge=0, le=100)
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    expires_at: AwareDatetime | None = Field(
        default=None, description="when it ends by itself (default: in 30 days)"
    )


class OverrideOut(BaseModel):
    id: int
    criterion: str | None = Field(description="null: the total")
    score: float
    reason: str
    set_by: str
    set_at: datetime
    expires_at: datetime
    replaced: float | None = Field(description="the score it stood over")
    active: bool
    ended_at: datetime | None
    ended_by: str
    ended_reason: str = Field(description="expired, ended, or replaced")


def override_out(override: Override, now: datetime) -> OverrideOut:
    return OverrideOut(
        id=override.pk,
        criterion=None if override.target == OVERRIDE_TOTAL else override.target,
        score=override.value,
        reason=override.reason,
        set_by=override.set_by,
        set_at=override.set_at,
        expires_at=override.expires_at,
        replaced=override.replaced,
        active=override.ended_at is None and override.expires_at > now,
        ended_at=override.ended_at,
        ended_by=override.ended_by,
        ended_reason=override.ended_reason,
    )


@router.post(
    "/accounts/{key}/overrides",
    response={201: OverrideOut},
    summary="Set an account's score, or one criterion's, by hand",
)
def post_override(
    request: HttpRequest, key: str, body: OverrideIn
) -> Status[OverrideOut]:
    """The account is re-scored at once; the override holds until it expires
    (30 days unless said), is ended, or is replaced by another of the same
    target. It shows as ``overridden`` on the score and the criterion."""
    now = timezone.now()
    account = account_or_404(key)
    token = getattr(request, "auth", None)
    try:
        override = set_override(
            account=account,
            target=body.criterion or OVERRIDE_TOTAL,
            value=body.score,
            reason=body.reason,
            by=f"token {token.name}" if token is not None else "unknown",
            now=now,
            expires_at=body.expires_at,
        )
    except OverrideError as error:
        raise InvalidInput(error.field, error.message) from None
    return Status(201, override_out(override, now))


@router.get(
    "/accounts/{key}/overrides",
    response=list[OverrideOut],
    summary="An account's overrides, newest first, ended ones too",
)
def list_overrides(request: HttpRequest, key: str) -> list[OverrideOut]:
    now = timezone.now()
    return [override_out(o, now) for o in account_or_404(key).overrides.all()]


@router.delete(
    "/accounts/{key}/overrides/{override_id}",
    response=OverrideOut,
    summary="End an override now",
)
def delete_override(request: HttpRequest, key: str, override_id: int) -> OverrideOut:
    now = timezone.now()
    override = account_or_404(key).overrides.filter(pk=override_id).first()
    if override is None:
        raise Http404(f"account {key!r} has no override {override_id}")
    token = getattr(request, "auth", None)
    by = f"token {token.name}" if token is not None else "unknown"
    return override_out(end_override(override=override, by=by, now=now), now)
