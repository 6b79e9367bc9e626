"""The backtest on a book whose truth is known: outcomes drawn from a logistic
model of the criteria, so the fit must find the model's weights again.

Three criteria read one metric each (latest value, scored 0-100 as it is). Each
account's three values are drawn at random once, on START; its outcome is
decided 100 days later, with the chance of churn given by TRUE_WEIGHTS.
"""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from scorecards import engine, evidence
from scorecards.engine import Signal, histories_by_account
from scorecards.evidence.cases import (
    INSUFFICIENT,
    NOT_DECIDED,
    OTHER_SCORECARD,
    UNKNOWN_ACCOUNT,
)

START = datetime(2025, 1, 1, tzinfo=UTC)
DECIDED = START + timedelta(days=100)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LEAD = timedelta(days=90)
TRUE_WEIGHTS = {"usage": 50.0, "nps": 30.0, "support": 20.0}

DEFINITION = {
    "key": "default",
    "grades": [
        {"name": "healthy", "min": 70},
        {"name": "watch", "min": 40},
        {"name": "at_risk", "min": 0},
    ],
    "criteria": [
        {"key": "usage", "metric": "usage", "weight": 20, "aggregate": "latest",
         "normalize": {"linear": [0, 100]}},
        {"group": "voice", "weight": 80, "criteria": [
            {"key": "nps", "metric": "nps", "weight": 1, "aggregate": "latest",
             "normalize": {"linear": [0, 100]}},
            {"key": "support", "metric": "support", "weight": 1,
             "aggregate": "latest", "normalize": {"linear": [0, 100]}},
        ]},
    ],
}  # fmt: skip
CARD = engine.build_scorecard(DEFINITION)
PATHS = {"usage": "usage", "nps": "voice/nps", "support": "voice/support"}


def churn_chance(values):
    mix = sum(TRUE_WEIGHTS[name] * values[name] for name in TRUE_WEIGHTS) / 100
    return 1 / (1 + math.exp(-(3 - 6 * mix / 100)))


def make_book(count, seed=1):
    rng = random.Random(seed)
    signals, outcomes = [], []
    for n in range(count):
        account = f"acc-{n:05d}"
        values = {name: rng.uniform(0, 100) for name in TRUE_WEIGHTS}
        signals += [
            Signal(account, name, value, START) for name, value in values.items()
        ]
        kind = "churn" if rng.random() < churn_chance(values) else "renewal"
        outcomes.append(evidence.Outcome(account, kind, DECIDED))
    accounts = {f"acc-{n:05d}": {} for n in range(count)}
    return accounts, signals, outcomes


def run(accounts, signals, outcomes, **options):
    return evidence.backtest(
        scorecard=options.pop("scorecard", CARD),
        outcomes=outcomes,
        accounts=accounts,
        histories=histories_by_account(signals),
        lead=LEAD,
        now=NOW,
        **options,
    )


@pytest.fixture(scope="module")
def known():
    accounts, signals, outcomes = make_book(2000)
    return run(accounts, signals, outcomes, resamples=100)


def test_the_fitted_weights_recover_the_true_ones(known):
    suggested = {w.path: w for w in known.suggestion.weights}

    for name, weight in TRUE_WEIGHTS.items():
        found = suggested[PATHS[name]]
        assert found.suggested == pytest.approx(weight, abs=7)
        assert found.low - 3 <= weight <= found.high + 3
        assert found.low <= found.suggested <= found.high
    assert sum(w.suggested for w in suggested.values()) == pytest.approx(100)


def test_the_current_weights_are_the_shares_of_the_total(known):
    current = {w.path: w.current for w in known.suggestion.weights}

    assert current == pytest.approx(
        {"usage": 20.0, "voice/nps": 40.0, "voice/support": 40.0}
    )


def test_the_auc_is_the_share_of_pairs_the_score_orders_rightly(known):
    churned = [case.churned for case in known.cases]
    scores = [case.total for case in known.cases]

    assert known.current.auc == pytest.approx(evidence.pairwise_auc(churned, scores))
    assert 0.65 < known.current.auc < 0.9
    assert known.current.auc_low < known.current.auc < known.current.auc_high


def test_the_fitted_scorecard_predicts_better_than_the_mistaken_one(known):
    assert known.fitted.auc > known.current.auc + 0.01
    assert known.suggestion.cv_auc == pytest.approx(known.fitted.auc, abs=0.03)


def test_churn_falls_from_the_worst_decile_to_the_best(known):
    deciles = known.current.by_decile
    assert [d.cases for d in deciles] == [200] * 10
    assert deciles[0].churn_rate > 2 * deciles[-1].churn_rate
    assert known.current.worst_decile_lift == pytest.approx(
        deciles[0].churn_rate / known.current.churn_rate
    )
    grades = {g.label: g for g in known.current.by_grade}
    assert sum(g.cases for g in grades.values()) == 2000
    assert grades["at_risk"].churn_rate > grades["healthy"].churn_rate
    assert known.current.churned_but_healthy == grades["healthy"].churned


def test_each_criterion_has_its_own_auc(known):
    aucs = {c.path: c.auc for c in known.current.criteria}

    assert aucs["usage"] > aucs["voice/nps"] > aucs["voice/support"] > 0.5


def test_pairwise_auc_counts_ties_as_half():
    churned = [True, True, False, False]
    scores = [10.0, 50.0, 50.0, 90.0]

    assert evidence.pairwise_auc(churned, scores) == pytest.approx(3.5 / 4)
    assert evidence.roc_auc(churned, scores) == pytest.approx(3.5 / 4)
    assert evidence.roc_auc([True, True], [1.0, 2.0]) is None


def test_signals_after_the_as_of_time_change_nothing():
    accounts, signals, outcomes = make_book(300, seed=2)
    before = evidence.backtest_json(run(accounts, signals, outcomes, resamples=20))

    # The truth arrives after the as-of time: between it and the decision, on
    # the day of the decision, and after it. None of it may count.
    later = []
    for outcome in outcomes:
        good = 0.0 if outcome.kind == "churn" else 100.0
        for when in (DECIDED - LEAD + timedelta(seconds=1), DECIDED, NOW):
            later += [Signal(outcome.account, m, good, when) for m in TRUE_WEIGHTS]
    after = evidence.backtest_json(
        run(accounts, signals + later, outcomes, resamples=20)
    )

    assert after == before


def test_outcomes_left_out_are_counted_by_reason():
    accounts, signals, outcomes = make_book(40, seed=3)
    accounts["quiet"] = {}
    accounts["big"] = {"segment": "strategic"}
    outcomes += [
        evidence.Outcome("stranger", "churn", DECIDED),
        evidence.Outcome("quiet", "churn", DECIDED),
        evidence.Outcome("big", "renewal", DECIDED),
        evidence.Outcome("acc-00001", "renewal", NOW + timedelta(days=1)),
    ]
    strategic = engine.build_scorecard(
        {**DEFINITION, "key": "strategic", "priority": 5,
         "applies_to": {"segment": ["strategic"]}}
    )  # fmt: skip

    result = run(accounts, signals, outcomes, others=[strategic], resamples=10)

    reasons = {item.reason: item.count for item in result.left_out}
    assert reasons == {
        UNKNOWN_ACCOUNT: 1,
        INSUFFICIENT: 1,
        OTHER_SCORECARD: 1,
        NOT_DECIDED: 1,
    }
    assert len(result.cases) == 40
    assert any("too few outcomes" in warning for warning in result.warnings)


def test_too_few_outcomes_suggest_no_weights():
    accounts, signals, outcomes = make_book(6, seed=4)

    result = run(accounts, signals, outcomes)

    assert not result.suggestion.fitted
    assert result.fitted is None
    assert "too few outcomes to fit weights" in result.suggestion.warnings[0]


def test_downgrades_count_as_churn_only_when_asked():
    accounts, signals, outcomes = make_book(30, seed=5)
    outcomes = [
        evidence.Outcome(o.account, "downgrade", o.decided_at) for o in outcomes
    ]

    kept = run(accounts, signals, outcomes, resamples=0)
    lost = run(
        accounts, signals, outcomes, resamples=0,
        bad_kinds=frozenset({"churn", "downgrade"}),
    )  # fmt: skip

    assert (kept.current.churned, lost.current.churned) == (0, 30)


def test_the_draft_writes_the_weights_in_and_keeps_the_rest(known):
    weights = known.suggestion.as_weights()

    draft = evidence.draft_definition(DEFINITION, weights)

    usage, voice = draft["criteria"]
    assert usage["weight"] == round(weights["usage"], 1)
    assert voice["weight"] == pytest.approx(
        round(weights["voice/nps"], 1) + round(weights["voice/support"], 1), abs=0.11
    )
    assert voice["criteria"][0]["normalize"] == {"linear": [0, 100]}
    assert draft["grades"] == DEFINITION["grades"]
    assert DEFINITION["criteria"][0]["weight"] == 20  # the original is untouched
    engine.build_scorecard(draft)  # a valid scorecard


def test_a_book_mostly_unscorable_is_warned_about():
    accounts, signals, outcomes = make_book(30, seed=6)
    for n in range(40):
        accounts[f"new-{n}"] = {}
        outcomes.append(evidence.Outcome(f"new-{n}", "renewal", DECIDED))

    result = run(accounts, signals, outcomes, resamples=0)

    assert any(
        "40 outcomes of accounts this scorecard governs were left out" in warning
        for warning in result.warnings
    )


def test_a_criterion_that_points_the_wrong_way_gets_no_weight_and_a_note():
    accounts, signals, outcomes = make_book(600, seed=7)
    backwards = {**DEFINITION, "criteria": [
        {**DEFINITION["criteria"][0], "normalize": {"linear": [100, 0]}},
        DEFINITION["criteria"][1],
    ]}  # fmt: skip

    result = run(
        accounts, signals, outcomes, resamples=20,
        scorecard=engine.build_scorecard(backwards),
    )  # fmt: skip

    usage = result.suggestion.weights[0]
    assert usage.path == "usage"
    assert (usage.suggested, usage.coefficient > 0) == (0.0, True)
    assert "a higher score went with more churn" in usage.note
    assert result.suggestion.as_weights()["usage"] == 0.5
