"""What the reliability tests share: the book (see conftest.py) and the database."""

from datetime import UTC, datetime

import pytest

from scorecards import engine
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore

ACCOUNTS = [f"acc-{n:02d}" for n in range(12)]
SCORECARD = """\
key: default
name: Everyone
grades:
  - {name: healthy, min: 70}
  - {name: watch, min: 40}
  - {name: at_risk, min: 0}
criteria:
  - key: usage
    metric: usage
    weight: 2
    aggregate: mean
    normalize: {linear: [0, 1000]}
  - key: qbr
    metric: qbr_score
    weight: 1
    aggregate: latest
    normalize: {linear: [1, 5]}
"""
SETUP_AT = datetime(2026, 11, 1, tzinfo=UTC)


def on_postgres(request: pytest.FixtureRequest) -> bool:
    return request.config.getoption("database") == "postgres"


def offline_scores() -> dict[str, engine.AccountScore]:
    """The engine's scores from the stored signals, in the order received."""
    stored = Signal.objects.select_related("account").order_by("pk")
    signals = [
        engine.Signal(s.account.key, s.metric, s.value, s.observed_at) for s in stored
    ]
    return engine.score_portfolio(
        scorecards=[engine.parse_scorecard(SCORECARD)],
        accounts={account: {} for account in ACCOUNTS},
        histories=engine.histories_by_account(signals),
        as_of=datetime.now(UTC),
    )


def assert_scores_match_offline() -> None:
    """Every account's stored score is the engine's, from the stored signals."""
    offline = offline_scores()
    scores = AccountScore.objects.select_related("account")
    assert sorted(s.account.key for s in scores) == ACCOUNTS
    for score in scores:
        expected = offline[score.account.key]
        assert score.status == expected.status.value, score.account.key
        assert score.total == pytest.approx(expected.total), score.account.key
        grade = expected.grade.name if expected.grade else ""
        assert score.grade == grade, score.account.key
        raw = {c["key"]: (c["raw"], c["count"]) for c in score.criteria}
        assert raw == {
            c.key: (pytest.approx(c.raw), c.count) for c in expected.criteria
        }, score.account.key
