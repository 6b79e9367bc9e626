"""The demo portfolio comes with what became of each account at its renewals,
drawn from its hidden health, so the bundled scorecards have something to be
measured against."""

from datetime import UTC, datetime, timedelta

import pytest

from scorecards import engine, evidence
from scorecards.cli.main import main
from scorecards.demo import generate
from scorecards.demo.bundled import bundled_scorecards
from scorecards.outcomes.models import Outcome

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SEED = 7


def demo_outcomes(accounts, days=730):
    book = generate.make_accounts(accounts, seed=SEED, end=NOW)
    return book, [
        o for a in book for o in generate.outcomes(a, days=days, end=NOW, seed=SEED)
    ]


def test_each_past_renewal_has_an_outcome_and_a_churned_account_leaves():
    book, outcomes = demo_outcomes(60)

    assert {o.kind for o in outcomes} >= {"renewal", "churn"}
    for account in book:
        mine = [o for o in outcomes if o.account == account.key]
        assert all(NOW - timedelta(days=730) < o.decided_at < NOW for o in mine)
        assert all(o.kind != "churn" for o in mine[:-1])
    assert demo_outcomes(60)[1] == outcomes  # the same seed, the same outcomes


def test_the_default_scorecard_foretells_the_demo_outcomes():
    book, outcomes = demo_outcomes(150)
    signals = [
        engine.Signal(s.account, s.metric, s.value, s.observed_at, s.contact)
        for account in book
        for s in generate.signals(account, days=730, end=NOW, seed=SEED)
    ]
    cards = [engine.load_scorecard(path) for path in bundled_scorecards()]
    [default] = [card for card in cards if card.key == "default"]

    result = evidence.backtest(
        scorecard=default,
        outcomes=[evidence.Outcome(o.account, o.kind, o.decided_at) for o in outcomes],
        accounts={a.key: {"segment": a.segment} for a in book},
        histories=engine.histories_by_account(signals),
        roles={a.key: {c.key: c.role for c in a.contacts} for a in book},
        others=cards,
        lead=timedelta(days=90),
        now=NOW,
        resamples=20,
    )

    assert result.current.churned >= 10
    assert result.current.auc > 0.65


@pytest.mark.django_db
def test_scorecards_demo_loads_the_outcomes(time_machine, capsys):
    time_machine.move_to(NOW, tick=False)

    status = main(["demo", "--accounts", "12"])

    out, err = capsys.readouterr()
    assert status == 0, err
    expected = demo_outcomes(12)[1]
    assert f"recorded {len(expected)} renewal outcomes" in out
    stored = set(Outcome.objects.values_list("account__key", "kind", "external_id"))
    assert stored == {(o.account, o.kind, o.id) for o in expected}


def test_the_offline_demo_book_can_be_backtested(tmp_path, capsys):
    folder = tmp_path / "book"
    assert main(["demo", "--offline", "--write", str(folder), "--accounts", "40"]) == 0
    capsys.readouterr()

    status = main([
        "backtest", "--scorecard", str(folder / "default.yaml"),
        "--scorecard", str(folder / "strategic.yaml"), "--key", "default",
        "--signals", str(folder / "signals.csv"),
        "--contacts", str(folder / "contacts.csv"),
        "--accounts", str(folder / "accounts.csv"),
        "--outcomes", str(folder / "outcomes.csv"),
    ])  # fmt: skip

    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Backtest of default, 90 days before each outcome" in out
