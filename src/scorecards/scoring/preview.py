"""What publishing a draft scorecard would do to today's scores, before it is
published: every account scored under the scorecards there would then be, and
compared with its score now.

Nothing is written: the draft is an unsaved version, and the scores stay in
memory, a chunk of accounts at a time.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.engine.parsing import Format
from scorecards.lib.chunks import in_chunks
from scorecards.scoring.models import Scorecard, ScorecardVersion, Status, stored_score
from scorecards.scoring.rescore import score_stored
from scorecards.scoring.scorecards import current_versions

LISTED = 50  # changed accounts listed, the largest moves first


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

    def distribution(self) -> list[tuple[str, int, int]]:
        """(grade, before, after) for every grade either side names."""
        grades = list(dict.fromkeys([*self.after, *self.before]))
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
    versions = [v for v in current_versions() if v.scorecard.key != card.key]
    versions.append(draft)

    found = Preview(key=card.key, version=number)
    changes = []
    for chunk in in_chunks(Account.objects.select_related("score").order_by("pk")):
        for scored in score_stored(chunk, versions=versions, as_of=now):
            now_score = stored_score(scored.account)
            before = _word(now_score.status, now_score.grade) if now_score else ""
            grade = scored.result.grade
            after = _word(scored.result.status, grade.name if grade else "")
            governed = scored.version is draft
            if governed:
                found.accounts += 1
                found.before[before] += 1
                found.after[after] += 1
            if before != after:
                found.regraded += 1
                changes.append(
                    Change(
                        key=scored.account.key,
                        name=scored.account.name,
                        before=before,
                        after=after,
                        before_total=now_score.total if now_score else None,
                        after_total=scored.result.total,
                    )
                )
    changes.sort(key=lambda change: (-change.moved, change.key))
    found.changes = changes[:LISTED]
    return found


def _word(status: str, grade: str) -> str:
    if status == Status.SCORED:
        return grade or "no grade"
    return status
