"""Scoring stored accounts in bulk: one query for their signals, then the engine.

Every path that puts a number on an account goes through here: live re-scoring
after new data, a newly published scorecard, the daily point and scores as of
a past moment.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.dispatch import Signal as DjangoSignal

from scorecards import engine
from scorecards.accounts.models import Account, Contact
from scorecards.engine.serialize import criterion_json
from scorecards.ingest.models import Signal
from scorecards.lib.pgbulk import bulk_insert
from scorecards.lib.sql import epoch, fetch, marks
from scorecards.scoring.models import (
    AccountScore,
    Override,
    PointKind,
    ScorecardVersion,
    ScorePoint,
)
from scorecards.scoring.scorecards import current_versions, parsed
from scorecards.scoring.trends import follow_scores

logger = logging.getLogger(__name__)

# Sent inside the transaction that stored new current scores, with ``scores``
# (the AccountScore rows) and ``now``: alerts evaluate on it, so an alert and
# the score that caused it are committed together.
scores_stored = DjangoSignal()

CHUNK = 1000
NO_HISTORY = engine.History()


@dataclass(frozen=True, slots=True)
class Scored:
    account: Account
    version: ScorecardVersion | None
    result: engine.AccountScore


def score_stored(
    accounts: Sequence[Account],
    *,
    versions: Sequence[ScorecardVersion],
    as_of: datetime,
) -> list[Scored]:
    """Score ``accounts`` as of ``as_of`` under the scorecard ``versions`` given."""
    by_key = {parsed(version).key: version for version in versions}
    cards = [parsed(version) for version in versions]
    chosen = {
        account.pk: engine.choose_scorecard(cards, account.scoring_attributes())
        for account in accounts
    }

    # Only what the chosen scorecards read: their metrics, as far back as
    # their longest window reaches.
    used = {card.key: card for card in chosen.values() if card is not None}
    metrics = set().union(*(card.metrics() for card in used.values()))
    ids = [pk for pk, card in chosen.items() if card is not None]
    histories = {}
    if metrics and ids:
        lookback = longest_lookback(list(used.values()))
        histories = load_histories(ids, metrics, as_of, lookback=lookback)
    roles = roles_of(ids)
    overrides = overrides_at(ids, as_of)

    scored = []
    for account in accounts:
        card = chosen[account.pk]
        if card is None:
            scored.append(Scored(account, None, engine.unscored(as_of)))
            continue
        result = engine.score_account(
            card,
            histories.get(account.pk, NO_HISTORY),
            as_of=as_of,
            roles=roles.get(account.pk, {}),
            overrides=overrides.get(account.pk),
        )
        scored.append(Scored(account, by_key[card.key], result))
    return scored


def longest_lookback(cards: Sequence[engine.Scorecard]) -> timedelta | None:
    lookbacks = [card.lookback() for card in cards]
    if not lookbacks or any(lookback is None for lookback in lookbacks):
        return None
    return max(lookback for lookback in lookbacks if lookback is not None)


def load_histories(
    ids: list[int],
    metrics: set[str] | frozenset[str],
    as_of: datetime,
    *,
    lookback: timedelta | None = None,
) -> dict[int, engine.History]:
    """Each account's signals of ``metrics`` up to ``as_of``, in receipt order.

    With a ``lookback`` (the longest window of the scorecards), only the signals
    inside it are read, and of the older ones only the latest time per metric,
    which is what staleness needs: two years of history cost what six months do.

    This is the hot path of live scoring, so it reads plain rows with the time
    as seconds, not model instances with datetimes.
    """
    builder = engine.HistoryBuilder[int]()
    if not ids or not metrics:
        return builder.build()
    table, names = Signal._meta.db_table, sorted(metrics)
    where = f"account_id IN ({marks(ids)}) AND metric IN ({marks(names)})"
    moment = connection.ops.adapt_datetimefield_value
    since = None
    if lookback is not None:
        since = moment(as_of - lookback)
        older = fetch(
            f"SELECT account_id, metric, {epoch('MAX(observed_at)')} FROM {table}"
            f" WHERE {where} AND observed_at <= %s GROUP BY account_id, metric",
            [*ids, *names, since],
        )
        for account_id, metric, latest in older:
            builder.add_earlier(account_id, metric, latest)

    within = (
        "observed_at <= %s"
        if since is None
        else "observed_at > %s AND observed_at <= %s"
    )
    bounds = [moment(as_of)] if since is None else [since, moment(as_of)]
    add = builder.add
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT account_id, metric, {epoch('observed_at')}, value, contact_id"
            f" FROM {table} WHERE {where} AND {within}"
            " ORDER BY account_id, metric, observed_at, id",
            [*ids, *names, *bounds],
        )
        for account_id, metric, seconds, value, contact_id in cursor:
            add(
                account_id,
                metric,
                seconds,
                value,
                str(contact_id) if contact_id else None,
            )
    return builder.build()


def overrides_at(ids: list[int], as_of: datetime) -> dict[int, dict[str, float]]:
    """The scores set by hand that hold at ``as_of``, by account and target."""
    found: dict[int, dict[str, float]] = {}
    if not ids:
        return found
    moment = connection.ops.adapt_datetimefield_value(as_of)
    rows = fetch(
        f"SELECT account_id, target, value FROM {Override._meta.db_table}"
        f" WHERE account_id IN ({marks(ids)}) AND set_at <= %s AND expires_at > %s"
        " AND (ended_at IS NULL OR ended_at > %s) ORDER BY set_at, id",
        [*ids, moment, moment, moment],
    )
    for account_id, target, value in rows:
        found.setdefault(account_id, {})[target] = value  # the latest wins
    return found


def roles_of(ids: list[int]) -> dict[int, dict[str, str]]:
    roles: dict[int, dict[str, str]] = {}
    if not ids:
        return roles
    rows = fetch(
        f"SELECT account_id, id, role FROM {Contact._meta.db_table}"
        f" WHERE account_id IN ({marks(ids)})",
        ids,
    )
    for account_id, contact_id, role in rows:
        roles.setdefault(account_id, {})[str(contact_id)] = role
    return roles


def store_scores(scored: Sequence[Scored], *, now: datetime) -> int:
    """Make these the accounts' current scores; add a history point where one
    changed. Returns how many changed."""
    ids = [item.account.pk for item in scored]
    before = {
        row[0]: row[1:]
        for row in AccountScore.objects.filter(account_id__in=ids).values_list(
            "account_id", "version_id", "status", "total", "grade"
        )
    }

    rows, points = [], []
    for item in scored:
        row = _score_row(item, now)
        old = before.get(item.account.pk)
        if old is None or old != _summary(row):
            points.append(_point(row, PointKind.CHANGE, now))
            _log_grade_change(item.account, old, row)
        rows.append(row)

    with transaction.atomic():
        _write_scores(rows, points)
        follow_scores([row.account_id for row in rows])
        scores_stored.send(sender=AccountScore, scores=rows, now=now)
    return len(points)


_SCORE_COLUMNS = (
    "account_id", "version_id", "status", "total", "grade", "coverage", "criteria",
    "overridden", "scored_at",
)  # fmt: skip
_POINT_COLUMNS = (
    "account_id", "at", "kind", "version_id", "status", "total", "grade", "coverage",
)  # fmt: skip


def _write_scores(rows: list[AccountScore], points: list[ScorePoint]) -> None:
    if connection.vendor != "postgresql":
        AccountScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["account"],
            update_fields=[name.removesuffix("_id") for name in _SCORE_COLUMNS[1:]],
        )
        ScorePoint.objects.bulk_create(points)
        return

    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _SCORE_COLUMNS[1:])
    bulk_insert(
        AccountScore,
        columns=_SCORE_COLUMNS,
        rows=(_values(row, _SCORE_COLUMNS) for row in rows),
        on_conflict=f"ON CONFLICT (account_id) DO UPDATE SET {updates}",
    )
    bulk_insert(
        ScorePoint,
        columns=_POINT_COLUMNS,
        rows=(_values(point, _POINT_COLUMNS) for point in points),
    )


def _values(row: AccountScore | ScorePoint, columns: Sequence[str]) -> list[object]:
    return [getattr(row, name) for name in columns]


def _score_row(item: Scored, now: datetime) -> AccountScore:
    result = item.result
    return AccountScore(
        account=item.account,
        version=item.version,
        status=str(result.status),
        total=result.total,
        grade=result.grade.name if result.grade else "",
        coverage=result.coverage,
        criteria=[criterion_json(c) for c in result.criteria],
        overridden=result.overridden,
        scored_at=now,
    )


def _point(row: AccountScore, kind: PointKind, at: datetime) -> ScorePoint:
    return ScorePoint(
        account_id=row.account_id,
        at=at,
        kind=kind,
        version_id=row.version_id,
        status=row.status,
        total=row.total,
        grade=row.grade,
        coverage=row.coverage,
    )


def _summary(row: AccountScore) -> tuple[object, ...]:
    return (row.version_id, row.status, row.total, row.grade)


def _log_grade_change(
    account: Account, old: tuple[object, ...] | None, new: AccountScore
) -> None:
    if old is None:
        return  # a new account: its first score is not news to an operator
    _, old_status, _, old_grade_name = old
    old_grade = old_grade_name or old_status
    new_grade = new.grade or new.status
    if old_grade == new_grade:
        return
    total = f"{new.total:.1f}" if new.total is not None else "no score"
    logger.info("account %s: %s -> %s (%s)", account.key, old_grade, new_grade, total)


def rescore(accounts: QuerySet[Account] | Sequence[Account], *, now: datetime) -> int:
    """Re-score ``accounts`` under the current scorecards; returns how many changed.

    Accounts already loaded were locked by the caller (as ingest does). A query
    is read in chunks, each locked in id order, as ingest locks, before its
    signals are read: a batch of signals arriving meanwhile waits, rather than
    being overwritten by a score of the data before it.
    """
    if not isinstance(accounts, QuerySet):
        versions = current_versions()
        return sum(
            _rescore_chunk(accounts[i : i + CHUNK], versions, now)
            for i in range(0, len(accounts), CHUNK)
        )

    changed, last = 0, 0
    while True:
        with transaction.atomic():
            locked = accounts.select_for_update().filter(pk__gt=last).order_by("pk")
            chunk = list(locked[:CHUNK])
            if not chunk:
                return changed
            # Read under the chunk's locks: a scorecard published since the
            # walk began has re-scored these accounts, and must not be undone.
            changed += _rescore_chunk(chunk, current_versions(), now)
        last = chunk[-1].pk


def _rescore_chunk(
    chunk: Sequence[Account], versions: Sequence[ScorecardVersion], now: datetime
) -> int:
    return store_scores(score_stored(chunk, versions=versions, as_of=now), now=now)
