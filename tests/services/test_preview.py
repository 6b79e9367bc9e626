"""A scorecard preview says exactly what publishing the draft then does.

The preview keeps what the draft does not change (accounts under another
scorecard, criteria whose rules stay) and reads signals only for the rest; each
case here previews a draft, publishes it, and compares account by account.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.demo.bundled import bundled_scorecards
from scorecards.demo.load import load_portfolio
from scorecards.ingest.models import Signal
from scorecards.scoring import preview as preview_module
from scorecards.scoring import windows
from scorecards.scoring.models import AccountScore
from scorecards.scoring.overrides import set_override
from scorecards.scoring.preview import LISTED, Preview, _word, preview
from scorecards.scoring.publish import publish
from scorecards.scoring.rescore import load_histories
from scorecards.scoring.windows import window_scores

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ACCOUNTS = 45  # fewer than LISTED: the preview lists every change


def default_source() -> str:
    return next(p for p in bundled_scorecards() if p.stem == "default").read_text()


@pytest.fixture
def book(time_machine):
    time_machine.move_to(NOW, tick=False)
    load_portfolio(accounts=ACCOUNTS, seed=11, now=NOW, days=400, daily_points=0)


@pytest.fixture
def scored_one_by_one(monkeypatch) -> list[str]:
    """The keys of the accounts a preview scores one by one, as it goes."""
    keys: list[str] = []
    one_by_one = preview_module._scored

    def recording(chunk, *args):
        keys.extend(account.key for account in chunk)
        return one_by_one(chunk, *args)

    monkeypatch.setattr(preview_module, "_scored", recording)
    return keys


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
    "a criterion dropped": [
        ("  - key: nps\n    name: NPS\n    metric: nps\n    weight: 30\n"
         "    aggregate: nps\n    window: 180d\n    min_count: 2\n"
         "    normalize: {linear: [-100, 100]}\n", ""),
    ],
    "a stakeholder's roles reweighed": [
        ("role_weights: {decision_maker: 2, champion: 1}",
         "role_weights: {decision_maker: 1, champion: 6}"),
        ("max_share: 0.5", "max_share: 0.9"),
    ],
    "a window dropped": [("    window: 180d\n    min_count: 2", "    min_count: 2")],
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
     "a criterion's rules changed in place", "a stakeholder's roles reweighed",
     "a window dropped", "a criterion added", "a criterion dropped"],
)  # fmt: skip
def test_a_draft_governing_the_same_accounts_is_rolled_up_from_stored_scores(
    book, scored_one_by_one, edit
):
    # The same accounts governed: no account is scored one by one (each would
    # read its stored breakdown whole), but one with a score set by hand.
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


EDGES = """
key: edges
name: Edges
grades: [{name: any, min: 0}]
criteria:
  - {key: total, metric: logins, weight: 1, window: 30d, aggregate: sum,
     normalize: {linear: [0, 100]}}
  - {key: last, metric: logins, weight: 1, window: 30d, aggregate: latest,
     normalize: {linear: [0, 100]}}
"""


@pytest.mark.parametrize("accounts_at_once", [windows.ACCOUNTS_AT_ONCE, 1])
def test_a_changed_criterion_reads_exactly_its_window(
    db, monkeypatch, accounts_at_once
):
    # The preview reads a changed criterion's signals for every account in one
    # query; a signal a microsecond either side of the window's edges counts
    # as it does when the account is scored: after ``as_of - window``, up to
    # ``as_of`` itself, and the one received last of two at the same moment.
    # A window too large to hold is read a few accounts at a time.
    monkeypatch.setattr(windows, "ACCOUNTS_AT_ONCE", accounts_at_once)
    monkeypatch.setattr(windows, "WINDOW_ROWS", accounts_at_once)
    # "quiet", wanted with no signal, is left out: it takes the score of an
    # empty window, which comes beside the scores.
    edge, other, quiet = (
        Account.objects.create(key=key, name=key) for key in ("edge", "other", "quiet")
    )
    start = NOW - timedelta(days=30)
    for n, (account, at, value) in enumerate([
        (edge, start, 1), (edge, start + timedelta(microseconds=1), 2),
        (other, NOW - timedelta(days=1), 3),
        (edge, start + timedelta(milliseconds=500), 4), (edge, NOW, 16),
        (edge, NOW, 8), (other, NOW, 5),
        (edge, NOW + timedelta(microseconds=1), 32),
        (edge, NOW + timedelta(seconds=0.5), 64),
    ]):  # fmt: skip
        Signal.objects.create(
            account=account, metric="logins", value=value, observed_at=at,
            received_at=NOW, source="test", external_id=str(n),
        )  # fmt: skip
    card = engine.build_scorecard(engine.decode_scorecard(EDGES, format="yaml"))
    total, last = (criterion for _, criterion in card.leaves())
    wanted = np.array([edge.pk, quiet.pk])  # not "other"

    assert window_scores(total, wanted, NOW) == ({edge.pk: 2 + 4 + 16 + 8}, None)
    assert window_scores(last, wanted, NOW) == ({edge.pk: 8}, None)
    histories = load_histories([edge.pk], {"logins"}, NOW)
    scored = engine.score_account(card, histories[edge.pk], as_of=NOW)
    assert [c.score for c in scored.criteria] == [30, 8]


def test_accounts_without_a_breakdown_to_keep_are_scored_one_by_one(
    book, scored_one_by_one
):
    # A roll-up reads the breakdowns stored under the version in force. An
    # account never scored has none, and one scored under a version since
    # replaced (its re-score not yet done) has one the draft cannot read by
    # place: both are scored one by one, and come out as publishing scores them.
    replaced = AccountScore.objects.filter(version__scorecard__key="default")[0]
    old_version = replaced.version
    publish(source=default_source().replace("weight: 30", "weight: 31", 1),
            format="yaml", author="test", now=NOW)  # fmt: skip
    stale = AccountScore.objects.filter(version__scorecard__key="default")[0]
    AccountScore.objects.filter(pk=stale.pk).update(version=old_version)
    Account.objects.create(key="new", name="New")
    draft = default_source().replace("window: 60d", "window: 14d")
    before = words()

    shown = preview(draft, format="yaml", now=NOW)
    publish(source=draft, format="yaml", author="test", now=NOW)
    after = words()

    assert sorted(scored_one_by_one) == sorted([stale.account.key, "new"])
    changed = {k for k in after if after[k][0] != before.get(k, ("",))[0]}
    assert "new" in changed
    assert {c.key: c.after for c in shown.changes} == {k: after[k][0] for k in changed}
    governed = AccountScore.objects.filter(version__scorecard__key="default")
    assert shown.accounts == governed.count()


def test_the_distribution_lists_the_drafts_grades_best_first_then_the_rest():
    shown = Preview(
        key="default", version=2, grades=["healthy", "watch", "at_risk"],
        before=Counter({"at_risk": 1, "retired": 4, "healthy": 2}),
        after=Counter({"insufficient_data": 1, "watch": 3, "at_risk": 3}),
    )  # fmt: skip

    assert shown.distribution() == [
        ("healthy", 2, 0), ("watch", 0, 3), ("at_risk", 1, 3),
        ("insufficient_data", 0, 1), ("retired", 4, 0),
    ]  # fmt: skip


def test_a_preview_knows_the_drafts_grades(book):
    draft = default_source().replace("{name: watch, min: 45", "{name: watch, min: 60")

    shown = preview(draft, format="yaml", now=NOW)

    assert shown.grades == ["healthy", "watch", "at_risk"]
