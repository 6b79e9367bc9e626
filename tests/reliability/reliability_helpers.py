"""What the reliability tests share: the book (see conftest.py) and the database."""

from datetime import UTC, datetime

import pytest

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
