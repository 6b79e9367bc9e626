"""A stored book with known truth (see outcome_helpers), a token, a frozen clock."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from outcome_helpers import (
    DEFAULT,
    NOW,
    START,
    STRATEGIC,
    Caller,
    truth,
)

from scorecards.accounts.service import upsert_accounts
from scorecards.api.tokens import create_token
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.scoring.publish import publish


@pytest.fixture(autouse=True)
def now(time_machine: Any) -> datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def book(db: None) -> list[tuple[str, float, float, str]]:
    start = START - timedelta(days=1)
    publish(source=DEFAULT, format="yaml", author="cs-ops", now=start)
    publish(source=STRATEGIC, format="yaml", author="cs-ops", now=start)
    rows = truth()
    upsert_accounts([{"key": key} for key, *_ in rows], now=start)
    signals = [
        IncomingSignal(account=key, metric=metric, value=value, observed_at=START)
        for key, usage, nps, _ in rows
        for metric, value in (("usage", usage), ("nps", nps))
    ]
    ingest_signals(signals, now=START)
    return rows


@pytest.fixture
def integrator(db: None, client: Client) -> Caller:
    _, secret = create_token(name="crm-sync", now=NOW)
    return Caller(client, secret)
