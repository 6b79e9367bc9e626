"""The stored book with known truth that the outcome tests share.

Forty accounts (acc-000 ...) each sent one usage and one NPS value on START,
drawn at random; whether each churned or renewed on DECIDED was drawn from a
logistic model of its usage alone. The scorecard `default` weighs usage and
NPS alike; `strategic` governs the accounts of that segment (none, at first).
"""

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.test import Client

START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
DECIDED = datetime(2026, 4, 30, tzinfo=UTC)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ACCOUNTS = 40

DEFAULT = """\
key: default
grades:
  - {name: healthy, min: 70}
  - {name: watch, min: 40}
  - {name: at_risk, min: 0}
criteria:
  - {key: usage, metric: usage, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
  - {key: nps, metric: nps, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
"""
STRATEGIC = """\
key: strategic
applies_to: {segment: [strategic]}
priority: 10
criteria:
  - {key: nps, metric: nps, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
"""


def truth(seed: int = 3) -> list[tuple[str, float, float, str]]:
    """(account, usage, nps, outcome) for each account of the book."""
    rng = random.Random(seed)
    rows = []
    for n in range(ACCOUNTS):
        usage, nps = rng.uniform(0, 100), rng.uniform(0, 100)
        churn = rng.random() < 1 / (1 + math.exp(-(3 - 6 * usage / 100)))
        rows.append((f"acc-{n:03d}", usage, nps, "churn" if churn else "renewal"))
    return rows


@dataclass
class Caller:
    client: Client
    secret: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers())

    def post(self, path: str, body: Any, **params: Any) -> Any:
        query = "&".join(f"{name}={value}" for name, value in params.items())
        return self.client.post(
            f"/api/v1{path}" + (f"?{query}" if query else ""),
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(),
        )


def outcome_items(rows: list[tuple[str, float, float, str]]) -> list[dict[str, Any]]:
    return [
        {"account": key, "outcome": outcome, "decided_at": "2026-04-30"}
        for key, _, _, outcome in rows
    ]
