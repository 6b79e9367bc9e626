"""Rows of numbers read as numpy columns: packed into one binary string on
PostgreSQL, turned from rows into columns on SQLite; the same numbers either
way, and a null refused rather than a row dropped."""

from datetime import UTC, datetime

import pytest

from scorecards.accounts.models import Account
from scorecards.ingest.models import Signal
from scorecards.lib.columns import read_columns

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
VALUES = [0.1, -2.5, 1e15, -1e15, 5e-324, 0.0, 1 / 3]
COLUMNS = [("id", "i8"), ("value", "f8"), ("account_id", "i8")]


@pytest.fixture
def account():
    return Account.objects.create(key="acme", name="Acme")


def signal(account, n, value):
    Signal.objects.create(
        account=account, metric="m", value=value, observed_at=NOW, received_at=NOW,
        source="test", external_id=str(n),
    )  # fmt: skip


def test_columns_hold_every_value_exactly(account):
    for n, value in enumerate(VALUES):
        signal(account, n, value)

    ids, values, accounts = read_columns(COLUMNS, "FROM ingest_signal", [])

    stored = dict(Signal.objects.values_list("id", "value"))
    assert dict(zip(ids.tolist(), values.tolist(), strict=True)) == stored
    assert sorted(values.tolist()) == sorted(VALUES)
    assert accounts.tolist() == [account.pk] * len(VALUES)


def test_times_are_the_seconds_python_gives_them(account):
    times = [
        NOW, NOW.replace(microsecond=1), NOW.replace(microsecond=999_999),
        datetime(1900, 1, 1, 0, 0, 0, 3, tzinfo=UTC),
        datetime(2255, 6, 1, 23, 59, 59, 654_321, tzinfo=UTC),
    ]  # fmt: skip
    for n, moment in enumerate(times):
        Signal.objects.create(
            account=account, metric="m", value=n, observed_at=moment,
            received_at=NOW, source="test", external_id=str(n),
        )  # fmt: skip

    values, seconds = read_columns(
        [("value", "f8"), ("observed_at", "time")], "FROM ingest_signal", []
    )

    found = dict(zip(values.tolist(), seconds.tolist(), strict=True))
    assert found == {n: moment.timestamp() for n, moment in enumerate(times)}


def test_no_row_is_empty_columns(account):
    signal(account, 1, 1.0)
    ids, values, _ = read_columns(
        COLUMNS, "FROM ingest_signal WHERE metric = %s", ["other"]
    )
    assert (len(ids), len(values)) == (0, 0)


def test_a_null_is_refused_not_left_out(account):
    signal(account, 1, 1.0)
    with pytest.raises(ValueError, match="null"):
        read_columns([("id", "i8"), ("contact_id", "i8")], "FROM ingest_signal", [])
