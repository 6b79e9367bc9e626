"""What publishing a draft scorecard would do to today's scores, before it is
published: every account scored under the scorecards there would then be, and
compared with its score now.

Nothing is written: the draft is an unsaved version, and the scores stay in
memory, a chunk of accounts at a time. A preview must answer while the user
waits, at 100,000 accounts, so it scores only what the draft can change:

1. An account that stays under another scorecard keeps its score: nothing it
   is scored by changes.
2. Under the draft, a criterion whose rules are those of the criterion at the
   same place in the account's current scorecard (weight, name and description
   aside) keeps its stored evaluation: reweighing and regrading read no signal.
   Stored evaluations are those of the account's current score, which every
   new signal and the nightly refresh keep current; the preview so shows what
   the edit changes, not what time changed since.
3. Only the criteria the draft adds or changes read signals, and only those
   criteria's metrics, as ``rescore`` reads them.

When the draft governs the accounts its version in force does (every edit
but one of ``applies_to`` or ``priority``: weights, grades, windows,
thresholds, criteria added, dropped or regrouped), the accounts under that
version are not loaded at all (``_rolled_up``): the
database reads the kept leaves' scores out of their stored breakdowns, each
changed leaf is scored for every account from reads of its window
(``windows.window_scores``), ``total_columns`` rolls them up, a column per
leaf, and the grades are counted over the columns; only the accounts that
change grade are named. Only accounts that are unusual (a score set by hand,
never scored, scored under a version no longer in force) are scored one by
one.
"""

import math
import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import batched, compress
from typing import Any

import numpy as np
from django.db import connection

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.engine.parsing import Format
from scorecards.lib.chunks import in_chunks
from scorecards.scoring.models import (
    AccountScore,
    Override,
    Scorecard,
    ScorecardVersion,
    Status,
    stored_score,
)
from scorecards.scoring.rescore import (
    NO_HISTORY,
    load_histories,
    overrides_at,
    roles_of,
    score_stored,
)
from scorecards.scoring.scorecards import current_versions, parsed
from scorecards.scoring.windows import window_scores

LISTED = 50  # changed accounts listed, the largest moves first
ROLLED_UP_CHUNK = 10_000  # stored scores fetched at a time
CHUNK = 1000  # accounts scored one by one at a time

# An account's score under the draft: the whole of it where it had to be
# scored afresh, only status, total and grade where stored evaluations sufficed.
type Result = engine.AccountScore | engine.Summary


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    name: str
    before: str  # grade or status
    after: str
    before_total: float | None
    after_total: float | None

    @property
    def moved(self) -> float:
        if self.before_total is None or self.after_total is None:
            return 100.0
        return abs(self.after_total - self.before_total)


@dataclass(slots=True)
class Preview:
    key: str
    version: int  # the number it would be published as
    accounts: int = 0  # accounts the draft would govern
    regraded: int = 0  # of every account, how many would change grade or status
    changes: list[Change] = field(default_factory=list)
    before: Counter[str] = field(default_factory=Counter)  # of the draft's accounts
    after: Counter[str] = field(default_factory=Counter)
    grades: list[str] = field(default_factory=list)  # the draft's, best first

    def distribution(self) -> list[tuple[str, int, int]]:
        """(grade, before, after) for every grade either side names: the
        draft's in its order, then any other (a grade the draft renames or
        drops, a status) as first met."""
        named = dict.fromkeys([*self.after, *self.before])
        grades = [grade for grade in self.grades if grade in named]
        grades += [grade for grade in named if grade not in self.grades]
        return [(grade, self.before[grade], self.after[grade]) for grade in grades]


def preview(source: str, *, format: Format, now: datetime) -> Preview:
    """Score every account as of ``now`` as if ``source`` were published.

    Raises engine.ScorecardError, listing every problem, for a draft that
    would not publish.
    """
    data = engine.decode_scorecard(source, format=format)
    card = engine.build_scorecard(data)
    existing = Scorecard.objects.filter(key=card.key).first()
    number = (existing.versions.count() if existing else 0) + 1
    draft = ScorecardVersion(
        scorecard=existing, number=number, name=card.name, source=source,
        format=format, definition=data, published_at=now, published_by="",
    )  # fmt: skip
    every = current_versions()
    versions = [v for v in every if v.scorecard.key != card.key]
    versions.append(draft)

    found = Preview(key=card.key, version=number, grades=[g.name for g in card.grades])
    changes: list[Change] = []
    in_force = next((v for v in every if v.scorecard.key == card.key), None)
    accounts = Account.objects.select_related("score").order_by("pk")
    chunks = in_chunks(accounts, CHUNK)
    if in_force is not None and _rolls_up_in_sql() and _governs_alike(card, in_force):
        skipped = _rolled_up(card, in_force, found, changes, now)
        chunks = (
            list(accounts.filter(pk__in=part))
            for part in batched(_left_over(every, skipped), CHUNK)
        )
    for chunk in chunks:
        scored = list(_scored(chunk, versions, draft, now))
        stored = [stored_score(account) for account, _, _ in scored]
        _tally(
            found,
            changes,
            [account.pk for account, _, _ in scored],
            [(_word(s.status, s.grade), s.total) if s else ("", None) for s in stored],
            [(_word(r.status, r.grade.name if r.grade else ""), r.total)
             for _, r, _ in scored],
            [governed for _, _, governed in scored],
            {account.pk: (account.key, account.name) for account in chunk},
        )  # fmt: skip
    changes.sort(key=lambda change: (-change.moved, change.key))
    found.changes = changes[:LISTED]
    return found


def _left_over(every: Sequence[ScorecardVersion], skipped: list[int]) -> list[int]:
    """The accounts a roll-up leaves to score one by one, in order: those
    never scored, those scored under a version no longer in force, and those
    it skipped."""
    never = Account.objects.filter(score=None).values_list("pk", flat=True)
    stale = (
        AccountScore.objects.exclude(version__in=[v.pk for v in every])
        .exclude(version=None)
        .values_list("account_id", flat=True)
    )
    return sorted({*never, *stale, *skipped})


def _tally(
    found: Preview,
    changes: list[Change],
    accounts: Sequence[int],
    before: Sequence[tuple[str, float | None]],  # grade or status, and total
    after: Sequence[tuple[str, float | None]],
    governed: Sequence[bool],  # whether the draft would score the account
    names: Mapping[int, tuple[str, str]] | None = None,  # key and name; else read
) -> None:
    """Count ``accounts``' scores now and under the draft into ``found``:
    those the draft governs in its distribution, and each that would change
    grade or status as a ``Change``."""
    found.accounts += sum(governed)
    found.before.update(word for word, _ in compress(before, governed))
    found.after.update(word for word, _ in compress(after, governed))
    moved = [i for i in range(len(accounts)) if before[i][0] != after[i][0]]
    found.regraded += len(moved)
    named = names or _keys_and_names([accounts[i] for i in moved])
    for i in moved:
        (was, was_total), (becomes, total) = before[i], after[i]
        changes.append(Change(*named[accounts[i]], was, becomes, was_total, total))


def _governs_alike(card: engine.Scorecard, in_force: ScorecardVersion) -> bool:
    """Whether the draft governs the accounts the version in force does: then
    each account under that version keeps the stored evaluation of every leaf
    whose rules stay, in its stored breakdown."""
    current = parsed(in_force)
    return (card.applies_to, card.priority) == (current.applies_to, current.priority)


def _rolled_up(
    card: engine.Scorecard,
    in_force: ScorecardVersion,
    found: Preview,
    changes: list[Change],
    now: datetime,
) -> list[int]:
    """Tally the accounts under ``in_force``, a column per leaf: the leaves
    whose rules stay from their stored scores, which the database reads
    straight out of each stored breakdown, and the others from the signals in
    their windows (``window_scores``). Returns the accounts it skipped, for
    scoring one by one: those with a score set by hand, now or when last
    scored (an override may have ended since).

    A breakdown lists its version's leaves in order, so the stored score of
    the version's leaf i is element i; the draft may add, drop or move
    leaves, and keeps the score of each leaf at the same path with the same
    rules.
    """
    index = {path: i for i, (path, _) in enumerate(parsed(in_force).leaves())}
    same = _same_rules(card, in_force)
    kept = [path for path, _ in card.leaves() if path in same]
    scores_sql = "".join(f", {_element(index[path], 'score')}" for path in kept)
    # Set by hand now, or when last scored (an override may have ended since).
    by_hand = " OR ".join(
        [_OVERRIDDEN, *(_element(i, "overridden") for i in range(len(index)))]
    )
    moment = connection.ops.adapt_datetimefield_value(now)
    ours, skipped = [], []
    for rows in _streamed(
        f"SELECT s.account_id, s.status, s.grade, s.total, {by_hand}{scores_sql}"
        f" FROM {AccountScore._meta.db_table} s WHERE s.version_id = %s",
        [moment, moment, moment, in_force.pk],
        ROLLED_UP_CHUNK,
    ):
        ours += [row for row in rows if not row[4]]
        skipped += [row[0] for row in rows if row[4]]

    ids = np.fromiter((row[0] for row in ours), dtype="i8", count=len(ours))
    scores = {}
    for path, criterion in card.leaves():
        if path in same:
            column = [row[5 + kept.index(path)] for row in ours]
            if connection.vendor == "sqlite":
                column = [_number(value) for value in column]
        else:
            fresh, otherwise = window_scores(criterion, ids, now)
            column = [fresh.get(pk, otherwise) for pk in ids.tolist()]
        scores[path] = np.array(column, dtype=float)  # None is NaN
    totals = engine.total_columns(card, scores, len(ours))

    after_totals = [None if math.isnan(x) else x for x in totals.total.tolist()]
    _tally(
        found,
        changes,
        ids.tolist(),
        [(_word(status, grade), total) for _, status, grade, total, *_ in ours],
        list(zip(_words(card, totals), after_totals, strict=True)),
        [True] * len(ours),
    )
    return skipped


def _words(card: engine.Scorecard, totals: engine.Totals) -> list[str]:
    """Each account's grade or status, as ``_word`` names it."""
    words = [_word(Status.SCORED, grade.name) for grade in card.grades]
    words += [_word(Status.SCORED, ""), _word(Status.INSUFFICIENT_DATA, "")]
    none, unscored = len(card.grades), len(card.grades) + 1
    which = np.where(
        totals.scored, np.where(totals.grade >= 0, totals.grade, none), unscored
    )
    return [words[i] for i in which.tolist()]


def _keys_and_names(accounts: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The key and name of each of ``accounts``."""
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(accounts), ROLLED_UP_CHUNK):
        found |= {
            pk: (key, name)
            for pk, key, name in Account.objects.filter(
                pk__in=accounts[start : start + ROLLED_UP_CHUNK]
            ).values_list("pk", "key", "name")
        }
    return found


# Whether a score set by hand holds now, as ``overrides_at`` reads them.
_OVERRIDDEN = (
    f"EXISTS (SELECT 1 FROM {Override._meta.db_table} o"
    " WHERE o.account_id = s.account_id AND o.set_at <= %s AND o.expires_at > %s"
    " AND (o.ended_at IS NULL OR o.ended_at > %s))"
)


def _streamed(
    sql: str, params: Sequence[object], size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` in lists of ``size``, read as they are needed (a
    server-side cursor on PostgreSQL), however many there are."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield rows


def _element(index: int, name: str) -> str:
    """SQL for field ``name`` of element ``index`` of a stored breakdown: a
    number, or NULL where it is null or missing (a missing ``overridden`` is
    false)."""
    if connection.vendor == "postgresql":
        if name == "overridden":
            return f"COALESCE((s.criteria -> {index} ->> '{name}')::boolean, false)"
        return f"(s.criteria -> {index} ->> '{name}')::float8"
    if name == "overridden":
        return f"COALESCE(s.criteria ->> '$[{index}].{name}', 0)"
    # The number's JSON text, for Python to read as json.loads would: SQLite's
    # own reading of it is not always the nearest float.
    return f"s.criteria -> '$[{index}].{name}'"


def _number(value: float | str | None) -> float | None:
    """A leaf score as ``_element`` gives it: a float, or JSON text on SQLite."""
    if value is None or value == "null":
        return None
    return float(value)


def _rolls_up_in_sql() -> bool:
    """PostgreSQL reads into JSON; SQLite does from 3.38, with ``->``."""
    return connection.vendor == "postgresql" or sqlite3.sqlite_version_info >= (3, 38)


def _scored(
    chunk: Sequence[Account],
    versions: Sequence[ScorecardVersion],
    draft: ScorecardVersion,
    now: datetime,
) -> Iterator[tuple[Account, Result, bool]]:
    """Each account of ``chunk`` that the draft may change, with its score
    under ``versions`` and whether the draft governs it."""
    cards = [parsed(version) for version in versions]
    current = {parsed(version).key: version.pk for version in versions}
    draft_card = parsed(draft)
    governed, moved = [], []
    for account in chunk:
        card = engine.choose_scorecard(cards, account.scoring_attributes())
        stored = stored_score(account)
        if card is None:
            if stored is None or stored.status != Status.UNSCORED:
                yield account, engine.unscored(now), False
        elif card.key == draft_card.key:
            governed.append(account)
        elif stored is None or stored.version_id != current[card.key]:
            moved.append(account)
    for scored in score_stored(moved, versions=versions, as_of=now):
        yield scored.account, scored.result, False
    yield from _under_draft(governed, draft_card, now)


def _under_draft(
    accounts: Sequence[Account], card: engine.Scorecard, now: datetime
) -> Iterator[tuple[Account, Result, bool]]:
    """Score ``accounts`` under the draft ``card``, reusing what it keeps."""
    if not accounts:
        return
    stored_versions = ScorecardVersion.objects.in_bulk(
        {score.version_id for a in accounts if (score := stored_score(a))} - {None}
    )
    # Which places keep their rules depends on the version only, not the account.
    same = {pk: _same_rules(card, version) for pk, version in stored_versions.items()}
    kept = {
        account.pk: _kept_scores(stored_score(account), same) for account in accounts
    }
    wanted = {
        account.pk: [
            (path, criterion)
            for path, criterion in card.leaves()
            if path not in kept[account.pk]
        ]
        for account in accounts
    }
    ids = [pk for pk, leaves in wanted.items() if leaves]
    metrics = {criterion.metric for pk in ids for _, criterion in wanted[pk]}
    histories = {}
    if ids and metrics:
        histories = load_histories(ids, metrics, now, lookback=card.lookback())
    roles = roles_of(ids)
    overrides = overrides_at([account.pk for account in accounts], now)
    t = engine.to_timestamp(now)
    for account in accounts:
        scores = dict(kept[account.pk])
        history = histories.get(account.pk, NO_HISTORY)
        for path, criterion in wanted[account.pk]:
            scores[path] = engine.evaluate_criterion(
                criterion,
                history[criterion.metric],
                t=t,
                roles=roles.get(account.pk, {}),
            ).score
        result = engine.summarize_leaves(
            card, scores, overrides=overrides.get(account.pk)
        )
        yield account, result, True


def _same_rules(card: engine.Scorecard, version: ScorecardVersion) -> frozenset[str]:
    """The places where the draft ``card`` has a criterion with the rules of
    the one ``version`` has there."""
    before = dict(parsed(version).leaves())
    return frozenset(
        path
        for path, criterion in card.leaves()
        if path in before and _rules(before[path]) == _rules(criterion)
    )


def _kept_scores(
    stored: AccountScore | None, same: dict[int, frozenset[str]]
) -> dict[str, float | None]:
    """The scores of the stored evaluations the draft can keep: same place,
    same rules. One set by hand is evaluated afresh, as the override may have
    ended."""
    if stored is None or stored.version_id not in same:
        return {}
    places = same[stored.version_id]
    return {
        item["path"]: item["score"]
        for item in stored.criteria
        if item["path"] in places and not item.get("overridden")
    }


def _rules(criterion: engine.Criterion) -> engine.Criterion:
    """What a criterion's evaluation depends on: all but its weight and words."""
    return replace(criterion, weight=0.0, name=None, description=None)


def _word(status: str, grade: str) -> str:
    if status == Status.SCORED:
        return grade or "no grade"
    return status
