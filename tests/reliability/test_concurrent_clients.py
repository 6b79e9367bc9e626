"""Eight clients post overlapping batches to a real server at the same time.

They share one pool of observations: each client sends a random part of it, in
batches that overlap the other clients' (and repeat items inside a batch), some
with ids and some without. Afterwards every observation is stored exactly once,
and every stored score is what the engine computes, offline, from the stored
signals in the order they were received.
"""

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from reliability_helpers import ACCOUNTS, assert_scores_match_offline

from scorecards.engine.signals import derived_id
from scorecards.ingest.models import Signal
from scorecards.testing.liveserver import Answer, LiveServer

# The server writes from its own process: the test must see its commits.
pytestmark = [pytest.mark.usefixtures("book"), pytest.mark.django_db(transaction=True)]

CLIENTS = 8
BATCHES = 8
BATCH_SIZE = 60
START = datetime(2026, 11, 10, tzinfo=UTC)


def observation_pool() -> list[dict[str, Any]]:
    """Usage with ids and without; QBR ratings that tie on time, so the latest
    one is decided by which arrived last; ids that two accounts claim."""
    pool = []
    for n, account in enumerate(ACCOUNTS):
        for day in range(20):
            at = START + timedelta(days=day, minutes=n)
            item = {"account": account, "metric": "usage", "value": 37.0 * day + n,
                    "observed_at": at.isoformat()}  # fmt: skip
            if day % 2:
                item["id"] = f"usage-{account}-{day}"
            pool.append(item)
        for rating in range(1, 6):
            pool.append(
                {
                    "account": account,
                    "metric": "qbr_score",
                    "value": float(rating),
                    "observed_at": START.isoformat(),
                    "source": "qbr",
                    "id": f"qbr-{account}-{rating}",
                }
            )
    # The same (source, id) said of two accounts: whichever comes first is
    # stored, the other is a duplicate, and both accounts stay consistent.
    for n in range(8):
        for account in ACCOUNTS[n : n + 2]:
            pool.append(
                {
                    "account": account,
                    "metric": "usage",
                    "value": 500.0 + n,
                    "observed_at": START.isoformat(),
                    "id": f"shared-{n}",
                }
            )
    return pool


def key(item: dict[str, Any]) -> tuple[str, str]:
    ident = item.get("id") or derived_id(
        item["account"],
        item["metric"],
        item["value"],
        datetime.fromisoformat(item["observed_at"]),
        None,
    )
    return item.get("source", "api"), ident


def client(service: LiveServer, seed: int, pool: list[dict[str, Any]]) -> list[Any]:
    chance = random.Random(seed)
    answers: list[Answer | BaseException] = []
    for _ in range(BATCHES):
        batch = chance.sample(pool, BATCH_SIZE)
        batch += chance.sample(batch, 5)  # repeats inside the batch
        chance.shuffle(batch)
        try:
            answer = service.call("POST", "/api/v1/signals", {"signals": batch})
        except BaseException as error:  # the test reports it, not the thread
            answers.append(error)
            continue
        answers.append((answer, {key(item) for item in batch}))
    return answers


def test_eight_clients_at_once_store_each_signal_once_and_score_it_right(
    service: LiveServer,
) -> None:
    pool = observation_pool()
    results: dict[int, list[Any]] = {}
    threads = [
        threading.Thread(
            target=lambda n=n: results.__setitem__(n, client(service, n, pool))
        )
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    answers = [answer for n in range(CLIENTS) for answer in results[n]]
    assert len(answers) == CLIENTS * BATCHES
    failures = [a for a in answers if not isinstance(a, tuple) or a[0].status != 200]
    assert not failures, failures[:3]
    sent = set().union(*(keys for _, keys in answers))
    accepted = sum(answer.json()["accepted"] for answer, _ in answers)

    stored = list(Signal.objects.values_list("source", "external_id"))
    assert len(stored) == len(set(stored)), "a signal was stored twice"
    assert set(stored) == sent, "a signal was lost or made up"
    assert accepted == len(sent), "the answers counted a signal twice or not at all"

    assert_scores_match_offline()
