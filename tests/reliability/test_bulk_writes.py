"""Bulk writes on PostgreSQL (lib/pgbulk.py) store what an INSERT would, or
refuse what an INSERT would refuse: never a value cut short."""

from datetime import UTC, datetime

import pytest
from django.db import DataError, transaction

from scorecards.accounts.models import Account
from scorecards.ingest.models import Signal
from scorecards.lib.pgbulk import bulk_insert
from scorecards.scoring.models import AccountScore

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

NOW = datetime(2026, 11, 30, tzinfo=UTC)
COLUMNS = ("account_id", "metric", "value", "observed_at", "received_at", "source",
           "external_id")  # fmt: skip


@pytest.fixture
def account() -> Account:
    return Account.objects.create(key="acme", name="Acme")


def test_a_value_longer_than_its_column_is_refused_not_cut_short(account):
    too_long = "m" * 201  # the metric column holds 200
    rows = [
        (account.pk, "usage", 1.0, NOW, NOW, "api", "one"),
        (account.pk, too_long, 2.0, NOW, NOW, "api", "two"),
    ]

    with pytest.raises(DataError, match="too long"), transaction.atomic():
        bulk_insert(Signal, columns=COLUMNS, rows=rows)

    assert not Signal.objects.exists()


def test_rows_come_back_in_the_order_given_and_are_stored_in_it(account):
    rows = [
        (account.pk, "usage", value, NOW, NOW, "api", f"id-{n}")
        for n, value in enumerate([3, 1.5, 2])  # ints and floats mixed
    ]

    returned = bulk_insert(Signal, columns=COLUMNS, rows=rows, returning="external_id")

    assert returned == [("id-0",), ("id-1",), ("id-2",)]
    stored = Signal.objects.order_by("pk").values_list("external_id", "value")
    assert list(stored) == [("id-0", 3.0), ("id-1", 1.5), ("id-2", 2.0)]


def test_json_and_missing_values_round_trip(account):
    criteria = [{"key": "usage", "score": 50.0, "note": "ünïcode ✓"}]
    columns = ("account_id", "status", "total", "grade", "coverage", "criteria",
               "overridden", "scored_at")  # fmt: skip

    bulk_insert(
        AccountScore,
        columns=columns,
        rows=[(account.pk, "insufficient_data", None, "", 0.0, criteria, False, NOW)],
    )

    score = AccountScore.objects.get(account=account)
    assert (score.total, score.criteria, score.scored_at) == (None, criteria, NOW)


def test_nothing_to_insert_sends_nothing(account, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk_insert(Signal, columns=COLUMNS, rows=[], returning="id") == []
