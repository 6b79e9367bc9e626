"""A scorecard preview says exactly what publishing the draft then does.

The preview keeps what the draft does not change (accounts under another
scorecard, criteria whose rules stay) and reads signals only for the rest; each
case here previews a draft, publishes it, and compares account by account.
"""

from datetime import UTC, datetime

import pytest

from scorecards.demo.bundled import bundled_scorecards
from scorecards.demo.load import load_portfolio
from scorecards.scoring import preview as preview_module
from scorecards.scoring.models import AccountScore
from scorecards.scoring.overrides import set_override
from scorecards.scoring.preview import LISTED, _word, preview
from scorecards.scoring.publish import publish

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ACCOUNTS = 45  # fewer than LISTED: the preview lists every change


def default_source() -> str:
    return next(p for p in bundled_scorecards() if p.stem == "default").read_text()


@pytest.fixture
def book(time_machine):
    time_machine.move_to(NOW, tick=False)
    load_portfolio(accounts=ACCOUNTS, seed=11, now=NOW, days=400, daily_points=0)


def words() -> dict[str, tuple[str, float | None]]:
    return {
        score.account.key: (_word(score.status, score.grade), score.total)
        for score in AccountScore.objects.select_related("account")
    }


EDITS = {
    "reweighed and regraded": [
        ("weight: 30", "weight: 5"),
        ("{name: watch, min: 45", "{name: watch, min: 60"),
    ],
    "a window changed": [("window: 60d", "window: 14d")],
    "a criterion added": [
        ("criteria:\n  - key: nps",
         "criteria:\n  - key: tickets\n    metric: support_tickets\n    weight: 10\n"
         "    aggregate: sum\n    window: 90d\n"
         "    normalize: {points: [[0, 100], [10, 0]]}\n  - key: nps"),
    ],
    "a criterion's rules changed in place": [("min_count: 2", "min_count: 1")],
    "accounts moved to another scorecard": [
        ("priority: 0", "priority: 0\napplies_to: {segment: [smb]}"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("edit", list(EDITS))
def test_the_preview_is_what_publishing_does(book, edit):
    draft = default_source()
    for old, new in EDITS[edit]:
        assert old in draft
        draft = draft.replace(old, new, 1)
    assert ACCOUNTS < LISTED
    before = words()

    shown = preview(draft, format="yaml", now=NOW)
    publish(source=draft, format="yaml", author="test", now=NOW)
    after = words()

    changed = {key for key in after if after[key][0] != before[key][0]}
    assert changed, "the edit should move some account to another grade"
    assert shown.regraded == len(changed)
    assert {c.key: c.after for c in shown.changes} == {k: after[k][0] for k in changed}
    for change in shown.changes:
        assert change.after_total == pytest.approx(after[change.key][1], abs=1e-9)
    governed = AccountScore.objects.filter(version__scorecard__key="default")
    assert shown.accounts == governed.count()
    assert sum(shown.after.values()) == shown.accounts


def test_overrides_hold_in_the_preview_as_after_publishing(book):
    scored = AccountScore.objects.filter(
        version__scorecard__key="default", status="scored"
    ).select_related("account")[:2]
    first, second = (score.account for score in scored)
    set_override(account=first, target="*", value=12, reason="notice", by="t",
                 now=NOW)  # fmt: skip
    set_override(account=second, target="engagement/usage", value=100,
                 reason="export broken", by="t", now=NOW)  # fmt: skip
    draft = default_source().replace("weight: 30", "weight: 90", 1)
    before = words()

    shown = preview(draft, format="yaml", now=NOW)
    publish(source=draft, format="yaml", author="test", now=NOW)
    after = words()

    assert after[first.key] == before[first.key]  # the total set by hand holds
    changed = {key for key in after if after[key][0] != before[key][0]}
    assert {c.key for c in shown.changes} == changed
    for change in shown.changes:
        assert change.after_total == pytest.approx(after[change.key][1], abs=1e-9)


@pytest.mark.parametrize(
    "edit",
    ["reweighed and regraded", "a window changed",
     "a criterion's rules changed in place"],
)  # fmt: skip
def test_a_draft_keeping_its_leaves_is_rolled_up_from_stored_scores(
    book, monkeypatch, edit
):
    # The same leaves in the same order: no account is scored one by one (each
    # would read its stored breakdown whole), but one with a score set by hand.
    scored_one_by_one = []
    one_by_one = preview_module._scored

    def recording(chunk, *args):
        scored_one_by_one.extend(account.key for account in chunk)
        return one_by_one(chunk, *args)

    monkeypatch.setattr(preview_module, "_scored", recording)
    first = AccountScore.objects.filter(version__scorecard__key="default").first()
    set_override(account=first.account, target="*", value=12, reason="notice",
                 by="t", now=NOW)  # fmt: skip
    draft = default_source()
    for old, new in EDITS[edit]:
        draft = draft.replace(old, new, 1)

    shown = preview(draft, format="yaml", now=NOW)

    assert scored_one_by_one == [first.account.key]
    governed = AccountScore.objects.filter(version__scorecard__key="default")
    assert shown.accounts == governed.count()
